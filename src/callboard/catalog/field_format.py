"""The field-format rules Backstage applies to names, namespaces, labels, annotations, tags and links.

Each rule is a named predicate; the name picks the expectation text of Backstage's error message, so a custom
rule set (``catalog.fieldFormat`` in a later issue, or a plugin) can swap predicates without losing messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from callboard.catalog.javascript import js_keys, js_string

Predicate = Callable[[Any], bool]

_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*")
_VERSION = re.compile(r"[a-z0-9A-Z]+")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*")
_URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:")
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
_FORBIDDEN_HOST = re.compile(r"[\s<>^|%]")
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][^\s]*)?\Z")


def is_valid_object_name(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _OBJECT_NAME.fullmatch(value) is not None


def is_valid_dns_label(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _DNS_LABEL.fullmatch(value) is not None


def is_valid_dns_subdomain(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 253
        and all(is_valid_dns_label(label) for label in value.split("."))
    )


def _prefix_and_or_suffix(value: Any, prefix: Predicate, suffix: Predicate) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) == 1:
        return suffix(parts[0])
    return len(parts) == 2 and prefix(parts[0]) and suffix(parts[1])


def is_valid_api_version(value: Any) -> bool:
    return _prefix_and_or_suffix(
        value, is_valid_dns_subdomain, lambda n: 1 <= len(n) <= 63 and _VERSION.fullmatch(n) is not None
    )


def is_valid_kind(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _KIND.fullmatch(value) is not None


def is_valid_namespace(value: Any) -> bool:
    return is_valid_dns_label(value)


_PREFIXED_NAME = re.compile(
    r"(?:([a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)*)/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])"
)


def _is_prefixed_name(value: Any) -> bool:
    """``[<dns-subdomain>/]<name>`` in one regex, with the length limits checked after the match."""
    if not isinstance(value, str):
        return False
    match = _PREFIXED_NAME.fullmatch(value)
    if match is None:
        return False
    prefix, name = match.group(1), match.group(2)
    if len(name) > 63:
        return False
    return prefix is None or (len(prefix) <= 253 and all(len(label) <= 63 for label in prefix.split(".")))


def is_valid_label_key(value: Any) -> bool:
    return _is_prefixed_name(value)


def is_valid_label_value(value: Any) -> bool:
    return value == "" or is_valid_object_name(value)


def is_valid_annotation_key(value: Any) -> bool:
    return _is_prefixed_name(value)


def is_valid_annotation_value(value: Any) -> bool:
    return isinstance(value, str)


def is_valid_tag(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _TAG.fullmatch(value) is not None


def is_valid_url(value: Any) -> bool:
    """Whether WHATWG ``new URL(value)`` would accept the string: a scheme, and a host for web schemes."""
    if not isinstance(value, str):
        return False
    if _PLAIN_WEB_URL.match(value) is not None:
        return True
    text = value.strip()
    if _URL_SCHEME.match(text) is None:
        return False
    scheme = text.split(":", 1)[0].lower()
    if scheme not in _SPECIAL_SCHEMES:
        return True
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    host = parts.hostname or ""
    return bool(host) and _FORBIDDEN_HOST.search(host) is None


def is_non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and len(value.strip()) >= 1


_EXPECTATIONS: dict[str, str] = {
    "is_valid_label_value": "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], "
    "at most 63 characters in total",
    "is_valid_object_name": "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], "
    "at most 63 characters in total",
    "is_valid_label_key": "a valid prefix and/or suffix",
    "is_valid_api_version": "a valid prefix and/or suffix",
    "is_valid_annotation_key": "a valid prefix and/or suffix",
    "is_valid_namespace": "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total",
    "is_valid_dns_label": "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total",
    "is_valid_tag": "a string that is sequences of [a-z0-9+#] separated by [-], at most 63 characters in total",
    "is_valid_annotation_value": "a string",
    "is_valid_kind": "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total",
    "is_valid_url": "a string that is a valid url",
    "is_non_empty_string": "a non empty string",
}

_ADR_LINK = (
    " To learn more about catalog file format, visit: "
    "https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/adr002-default-catalog-file-format.md"
)


@dataclass(frozen=True, slots=True)
class FieldFormatRules:
    """The predicates the field-format policy uses; replace any of them to loosen or tighten a rule."""

    api_version: Predicate = is_valid_api_version
    kind: Predicate = is_valid_kind
    entity_name: Predicate = is_valid_object_name
    namespace: Predicate = is_valid_namespace
    label_key: Predicate = is_valid_label_key
    label_value: Predicate = is_valid_label_value
    annotation_key: Predicate = is_valid_annotation_key
    annotation_value: Predicate = is_valid_annotation_value
    tag: Predicate = is_valid_tag

    def with_overrides(self, **overrides: Predicate) -> FieldFormatRules:
        return replace(self, **overrides)


#: Backstage's rules; pass this very object to get the regex fast path.
DEFAULT_FIELD_RULES = FieldFormatRules()


@dataclass(frozen=True, slots=True)
class FieldFormatViolation:
    """The first field that breaks a rule: Backstage's message and the field's path in the entity."""

    message: str
    path: tuple[str | int, ...]


def check_field_formats(entity: dict[str, Any], rules: FieldFormatRules) -> FieldFormatViolation | None:
    """Apply the rules in Backstage's order and return the first violation, or None."""
    if _all_valid(entity, rules):
        return None
    return _first_violation(entity, rules)


def _all_valid(entity: dict[str, Any], rules: FieldFormatRules) -> bool:
    """The common case, answered without building messages: every field is well formed."""
    if rules is DEFAULT_FIELD_RULES:
        return _all_valid_by_default_rules(entity)
    metadata = entity["metadata"]
    if not (rules.api_version(entity.get("apiVersion")) and rules.kind(entity.get("kind"))):
        return False
    if not rules.entity_name(metadata.get("name")):
        return False
    if "namespace" in metadata and not rules.namespace(metadata["namespace"]):
        return False
    labels = metadata.get("labels")
    if labels and not all(rules.label_key(k) and rules.label_value(v) for k, v in labels.items()):
        return False
    annotations = metadata.get("annotations")
    if annotations and not all(rules.annotation_key(k) and rules.annotation_value(v) for k, v in annotations.items()):
        return False
    tags = metadata.get("tags")
    if tags and not all(rules.tag(tag) for tag in tags):
        return False
    for link in metadata.get("links") or ():
        if not isinstance(link, dict) or not is_valid_url(link.get("url")):
            return False
        if ("title" in link and not is_non_empty_string(link["title"])) or (
            "icon" in link and not is_non_empty_string(link["icon"])
        ):
            return False
    return True


_API_VERSION = re.compile(r"(?:([a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)*)/)?[a-z0-9A-Z]{1,63}")
_KIND_63 = re.compile(r"[a-zA-Z][a-z0-9A-Z]{0,62}")


def _all_valid_by_default_rules(entity: dict[str, Any]) -> bool:
    """The default rules as direct regex matches: the hot path of catalog ingestion."""
    metadata = entity["metadata"]
    api_version = entity.get("apiVersion")
    if type(api_version) is not str or (match := _API_VERSION.fullmatch(api_version)) is None:
        return False
    if match.group(1) is not None and not _prefix_lengths_ok(match.group(1)):
        return False
    kind = entity.get("kind")
    if type(kind) is not str or _KIND_63.fullmatch(kind) is None:
        return False
    name = metadata.get("name")
    if type(name) is not str or len(name) > 63 or _OBJECT_NAME.fullmatch(name) is None:
        return False
    if "namespace" in metadata:
        namespace = metadata["namespace"]
        if type(namespace) is not str or len(namespace) > 63 or _DNS_LABEL.fullmatch(namespace) is None:
            return False
    for section in ("labels", "annotations"):
        mapping = metadata.get(section)
        if not mapping:
            continue
        for key, value in mapping.items():
            if (match := _PREFIXED_NAME.fullmatch(key)) is None or len(match.group(2)) > 63:
                return False
            if match.group(1) is not None and not _prefix_lengths_ok(match.group(1)):
                return False
            if type(value) is not str or (section == "labels" and value != "" and not is_valid_object_name(value)):
                return False
    for tag in metadata.get("tags") or ():
        if type(tag) is not str or len(tag) > 63 or _TAG.fullmatch(tag) is None:
            return False
    for link in metadata.get("links") or ():
        if type(link) is not dict or not is_valid_url(link.get("url")):
            return False
        if ("title" in link and not is_non_empty_string(link["title"])) or (
            "icon" in link and not is_non_empty_string(link["icon"])
        ):
            return False
    return True


def _prefix_lengths_ok(prefix: str) -> bool:
    return len(prefix) <= 253 and (len(prefix) <= 63 or all(len(label) <= 63 for label in prefix.split(".")))


def _first_violation(entity: dict[str, Any], rules: FieldFormatRules) -> FieldFormatViolation | None:
    metadata = entity["metadata"]
    checks: list[tuple[str, Any, Predicate, tuple[str | int, ...], bool]] = [
        ("apiVersion", entity.get("apiVersion"), rules.api_version, ("apiVersion",), True),
        ("kind", entity.get("kind"), rules.kind, ("kind",), True),
        ("metadata.name", metadata.get("name"), rules.entity_name, ("metadata", "name"), True),
    ]
    if "namespace" in metadata:
        checks.append(("metadata.namespace", metadata["namespace"], rules.namespace, ("metadata", "namespace"), True))
    for field, value, predicate, path, _ in checks:
        violation = _require(field, value, predicate, path)
        if violation:
            return violation
    for section, key_rule, value_rule in (
        ("labels", rules.label_key, rules.label_value),
        ("annotations", rules.annotation_key, rules.annotation_value),
    ):
        mapping = metadata.get(section) or {}
        for key in js_keys(mapping):
            path = ("metadata", section, key)
            violation = _require(f"{section}.{key}", key, key_rule, path) or _require(
                f"{section}.{key}", mapping[key], value_rule, path
            )
            if violation:
                return violation
    for index, tag in enumerate(metadata.get("tags") or []):
        violation = _require(f"tags.{index}", tag, rules.tag, ("metadata", "tags", index))
        if violation:
            return violation
    for index, item in enumerate(metadata.get("links") or []):
        link = item if isinstance(item, dict) else {}
        base = ("metadata", "links", index)
        violation = _require(f"links.{index}.url", link.get("url"), is_valid_url, (*base, "url"))
        for name in ("title", "icon"):
            if violation is None and name in link:
                violation = _require(f"links.{index}.{name}", link[name], is_non_empty_string, (*base, name))
        if violation:
            return violation
    return None


def _require(field: str, value: Any, predicate: Predicate, path: tuple[str | int, ...]) -> FieldFormatViolation | None:
    if value is None:
        return FieldFormatViolation(f"{field} must have a value", path)
    if predicate(value):
        return None
    expectation = _EXPECTATIONS.get(getattr(predicate, "__name__", ""))
    found = f' expected {expectation} but found "{js_string(value)}".' if expectation else ""
    return FieldFormatViolation(f'"{field}" is not valid;{found}{_ADR_LINK}', path)
