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

from callboard.catalog.schema_check import js_keys

Predicate = Callable[[Any], bool]

_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*")
_VERSION = re.compile(r"[a-z0-9A-Z]+")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*")
_URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:")
_SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
_FORBIDDEN_HOST = re.compile(r"[\s<>^|%]")


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


def is_valid_label_key(value: Any) -> bool:
    return _prefix_and_or_suffix(value, is_valid_dns_subdomain, is_valid_object_name)


def is_valid_label_value(value: Any) -> bool:
    return value == "" or is_valid_object_name(value)


def is_valid_annotation_key(value: Any) -> bool:
    return _prefix_and_or_suffix(value, is_valid_dns_subdomain, is_valid_object_name)


def is_valid_annotation_value(value: Any) -> bool:
    return isinstance(value, str)


def is_valid_tag(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and _TAG.fullmatch(value) is not None


def is_valid_url(value: Any) -> bool:
    """Whether WHATWG ``new URL(value)`` would accept the string: a scheme, and a host for web schemes."""
    if not isinstance(value, str):
        return False
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


@dataclass(frozen=True, slots=True)
class FieldFormatViolation:
    """The first field that breaks a rule: Backstage's message and the field's path in the entity."""

    message: str
    path: tuple[str | int, ...]


def check_field_formats(entity: dict[str, Any], rules: FieldFormatRules) -> FieldFormatViolation | None:
    """Apply the rules in Backstage's order and return the first violation, or None."""
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
    found = f' expected {expectation} but found "{_js_string(value)}".' if expectation else ""
    return FieldFormatViolation(f'"{field}" is not valid;{found}{_ADR_LINK}', path)


def _js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join(_js_string(item) for item in value)
    return str(value)
