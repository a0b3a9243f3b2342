"""Which entity a workload belongs to, as Backstage's Kubernetes and Argo CD plugins match them.

Kubernetes: the workload's ``backstage.io/kubernetes-id`` label equals the entity's annotation of that name, or
the workload's labels satisfy the entity's ``backstage.io/kubernetes-label-selector``; an entity's
``backstage.io/kubernetes-namespace`` narrows either to one namespace. Argo CD: the application's name is the
entity's ``argocd/app-name``, or its labels satisfy ``argocd/app-selector``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callboard.sdk import EntityRef, PluginCatalog
from callboard_deployments import selectors

KUBERNETES_ID = "backstage.io/kubernetes-id"
LABEL_SELECTOR = "backstage.io/kubernetes-label-selector"
NAMESPACE = "backstage.io/kubernetes-namespace"
ARGOCD_APP = "argocd/app-name"
ARGOCD_SELECTOR = "argocd/app-selector"
ANNOTATIONS = (KUBERNETES_ID, LABEL_SELECTOR, ARGOCD_APP, ARGOCD_SELECTOR)
_CHUNK = 500

log = logging.getLogger(__name__)


@dataclass
class _Index:
    by_kubernetes_id: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    by_app: dict[str, list[str]] = field(default_factory=dict)
    kubernetes_selectors: list[tuple[str, selectors.Selector, str | None]] = field(default_factory=list)
    app_selectors: list[tuple[str, selectors.Selector]] = field(default_factory=list)
    #: What the index was built from: a rebuild that finds the same changes nothing.
    signature: frozenset[tuple[str, str, str]] = frozenset()


class Matcher:
    """Built from the catalog's annotated entities; rebuilt when the catalog changes (``forget``)."""

    def __init__(self, catalog: PluginCatalog) -> None:
        self._catalog = catalog
        self._index: _Index | None = None
        self._lock = threading.Lock()

    def forget(self) -> None:
        self._index = None

    def current(self) -> _Index:
        index = self._index
        if index is None:
            with self._lock:
                index = self._index or _build(self._catalog)
                self._index = index
        return index

    def refresh(self) -> bool:
        """Rebuild from the catalog; whether anything that matching depends on changed."""
        before = self._index.signature if self._index is not None else None
        self._index = None
        return self.current().signature != before

    def entity_for(
        self, source: str, namespace: str, name: str, match_key: str, labels: Mapping[str, str]
    ) -> str | None:
        index = self.current()
        if source == "argocd":
            refs = index.by_app.get(name.lower())
            if refs:
                return refs[0]
            return next((ref for ref, test in index.app_selectors if test(labels)), None)
        if match_key:
            for ref, only_namespace in index.by_kubernetes_id.get(match_key.lower(), []):
                if only_namespace is None or only_namespace == namespace:
                    return ref
        for ref, test, only_namespace in index.kubernetes_selectors:
            if (only_namespace is None or only_namespace == namespace) and test(labels):
                return ref
        return None


def _build(catalog: PluginCatalog) -> _Index:
    index = _Index()
    seen: set[tuple[str, str, str]] = set()
    for annotation in ANNOTATIONS:
        for entity in _annotated(catalog, annotation):
            ref = EntityRef.of(dict(entity)).key
            annotations = entity.get("metadata", {}).get("annotations") or {}
            value = str(annotations.get(annotation, "")).strip()
            namespace = str(annotations.get(NAMESPACE) or "").strip() or None
            seen.add((ref, annotation, f"{value}|{namespace}"))
            try:
                _add(index, annotation, ref, value, namespace)
            except ValueError as error:  # the entity's Deployments tab says so (pages.annotation_problems)
                log.info("deployments: %s %s: %s", ref, annotation, error)
    for values in (index.by_kubernetes_id.values(), index.by_app.values()):
        for refs in values:
            refs.sort()  # the same entity wins on every replica when two claim one workload
    index.kubernetes_selectors.sort(key=lambda item: item[0])
    index.app_selectors.sort(key=lambda item: item[0])
    index.signature = frozenset(seen)
    return index


def _add(index: _Index, annotation: str, ref: str, value: str, namespace: str | None) -> None:
    if not value:
        return
    if annotation == KUBERNETES_ID:
        index.by_kubernetes_id.setdefault(value.lower(), []).append((ref, namespace))
    elif annotation == LABEL_SELECTOR:
        index.kubernetes_selectors.append((ref, selectors.parse(value), namespace))
    elif annotation == ARGOCD_APP:
        for app in value.split(","):
            index.by_app.setdefault(app.strip().lower(), []).append(ref)
    else:
        index.app_selectors.append((ref, selectors.parse(value)))


def _annotated(catalog: PluginCatalog, annotation: str) -> list[Mapping[str, Any]]:
    """Entities carrying ``annotation``: its values from the catalog's facets, then the entities by value."""
    key = f"metadata.annotations.{annotation}"
    values = [value for value, _ in catalog.counts(key, {})]
    found: list[Mapping[str, Any]] = []
    for start in range(0, len(values), _CHUNK):
        chunk: Sequence[str] = values[start : start + _CHUNK]
        found.extend(catalog.find({key: chunk}, limit=len(chunk) * 20))
    return found


def annotation_problems(entity: Mapping[str, Any]) -> list[str]:
    """The entity's selector annotations that do not parse, each with the fix (they match nothing)."""
    annotations = entity.get("metadata", {}).get("annotations") or {}
    found = []
    for annotation in (LABEL_SELECTOR, ARGOCD_SELECTOR):
        value = str(annotations.get(annotation) or "").strip()
        if value:
            try:
                selectors.parse(value)
            except ValueError as error:
                found.append(f"The {annotation} annotation matches nothing: {error}")
    return found
