"""Form problems in words people use: "Owner is required", "Name: use lower-case letters, digits and dashes".

JSON Schema's own messages ("'My Service' does not match '^[a-z][a-z0-9-]{1,40}$'") are written for the
template's author; the person filling the form gets these, built from the same error and the field's title.
Patterns made of character classes with counts (what names and ids use) are put in words; any other pattern is
quoted as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from jsonschema.exceptions import ValidationError

TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "yes or no",
    "array": "a list",
    "object": "a group of fields",
}
FORMAT_WORDS = {
    "email": "an email address",
    "uri": "a URL (https://...)",
    "url": "a URL (https://...)",
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time",
}


def field_title(schema: Mapping[str, Any], name: str) -> str:
    """How the form labels the field: its ``title``, else its name as words ("repoUrl" → "Repo url")."""
    title = schema.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "This field"


def human_message(error: ValidationError, properties: Mapping[str, Any]) -> str:
    """The problem as the form says it, for the field it concerns."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        schema = properties.get(missing) if isinstance(properties.get(missing), Mapping) else {}
        return f"{field_title(schema or {}, missing)} is required"
    name = path[0] if path else ""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    title = field_title(properties.get(name) or schema, name) if name else "The form"
    value, expected = error.instance, cast(Any, error.validator_value)
    match error.validator:
        case "pattern":
            return f"{title}: {pattern_words(str(expected))}"
        case "minLength":
            return f"{title} must be at least {expected} characters" if expected > 1 else f"{title} is required"
        case "maxLength":
            return f"{title} must be at most {expected} characters (it has {len(str(value))})"
        case "enum":
            given_names = schema.get("enumNames")
            names: list[Any] = given_names if isinstance(given_names, list) else list(expected or [])
            return f"{title} must be one of: {', '.join(str(n) for n in names)}"
        case "type":
            wanted = [expected] if isinstance(expected, str) else list(expected)
            return f"{title} must be {' or '.join(TYPE_WORDS.get(w, w) for w in wanted)}"
        case "minimum" | "exclusiveMinimum":
            return f"{title} must be {'more than' if error.validator == 'exclusiveMinimum' else 'at least'} {expected}"
        case "maximum" | "exclusiveMaximum":
            return f"{title} must be {'less than' if error.validator == 'exclusiveMaximum' else 'at most'} {expected}"
        case "format":
            return f"{title} must be {FORMAT_WORDS.get(str(expected), str(expected))}"
        case "minItems":
            return f"{title}: choose at least {expected}"
        case "maxItems":
            return f"{title}: choose at most {expected}"
        case "uniqueItems":
            return f"{title}: each item only once"
        case "const":
            return f"{title} must be {expected}"
    return f"{title}: {error.message}"


# -- patterns in words ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One character class of a pattern and how many of it: ``[a-z0-9-]{1,40}``."""

    words: tuple[str, ...]  # "lower-case letters", "digits", "dashes"
    least: int
    most: int | None  # None: no upper limit


CLASS_WORDS = {
    "a-z": ("lower-case letter", "lower-case letters"),
    "A-Z": ("capital letter", "capital letters"),
    "0-9": ("digit", "digits"),
    "-": ("dash", "dashes"),
    "_": ("underscore", "underscores"),
    ".": ("dot", "dots"),
    " ": ("space", "spaces"),
    "/": ("slash", "slashes"),
}


def pattern_words(pattern: str) -> str:
    """``^[a-z][a-z0-9-]{1,40}$`` → "start with a lower-case letter, then use lower-case letters, digits and dashes
    (2 to 41 characters)"; a pattern outside that simple shape is quoted."""
    pieces = _pieces(pattern)
    if not pieces or len(pieces) > 2:
        return f"does not have the expected form (pattern {pattern})"
    least = sum(piece.least for piece in pieces)
    most = None if any(piece.most is None for piece in pieces) else sum(piece.most or 0 for piece in pieces)
    if most is None:
        size = f"at least {least} character{'s' if least != 1 else ''}"
    elif least == most:
        size = f"{least} character{'s' if least != 1 else ''}"
    else:
        size = f"{least} to {most} characters"
    if len(pieces) == 2 and pieces[0].least == pieces[0].most == 1:
        first, rest = pieces
        return f"start with {_any_of(first.words)}, then use {_listed(rest.words)} ({size})"
    if len(pieces) == 1:
        return f"use {_listed(pieces[0].words)} ({size})"
    return f"does not have the expected form (pattern {pattern})"


def _listed(words: Sequence[str]) -> str:
    plural = [CLASS_PLURAL.get(word, word) for word in words]
    return plural[0] if len(plural) == 1 else ", ".join(plural[:-1]) + " and " + plural[-1]


def _any_of(words: Sequence[str]) -> str:
    singular = [f"a {word}" if not word.startswith("'") else word for word in words]
    return singular[0] if len(singular) == 1 else ", ".join(singular[:-1]) + " or " + singular[-1]


CLASS_PLURAL = dict(CLASS_WORDS.values()) | {"letter": "letters"}


def _pieces(pattern: str) -> list[Piece] | None:
    """The pattern as character classes with counts, or None when it is anything else."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        return None
    text, at, pieces = pattern[1:-1], 0, []
    while at < len(text):
        if text[at] == "[":
            end = text.find("]", at + 2)
            if end < 0:
                return None
            words = _class_words(text[at + 1 : end])
            at = end + 1
        elif text[at] == "\\" and text[at + 1 : at + 2] in ("d", "w"):
            words = ("digit",) if text[at + 1] == "d" else ("letter", "digit", "underscore")
            at += 2
        else:
            return None
        if words is None:
            return None
        least, most, at = _count(text, at)
        if least < 0:
            return None
        pieces.append(Piece(words, least, most))
    return pieces


def _class_words(inside: str) -> tuple[str, ...] | None:
    if inside.startswith("^"):
        return None
    found: list[str] = []
    at = 0
    while at < len(inside):
        if at + 2 < len(inside) and inside[at + 1] == "-" and inside[at : at + 3] in CLASS_WORDS:
            found.append(CLASS_WORDS[inside[at : at + 3]][0])
            at += 3
        elif inside[at] == "\\" and at + 1 < len(inside):
            escaped = inside[at + 1]
            if escaped == "d":
                found.append("digit")
            elif escaped in CLASS_WORDS:
                found.append(CLASS_WORDS[escaped][0])
            else:
                return None
            at += 2
        elif inside[at] in CLASS_WORDS:
            found.append(CLASS_WORDS[inside[at]][0])
            at += 1
        else:
            return None
    unique = list(dict.fromkeys(found))
    if "capital letter" in unique and "lower-case letter" in unique:  # both cases: just "letters"
        unique[unique.index("capital letter")] = "letter"
        unique.remove("lower-case letter")
    return tuple(unique)


def _count(text: str, at: int) -> tuple[int, int | None, int]:
    """The quantifier at ``at``: (least, most, where the pattern goes on); least -1 for one not understood."""
    if at >= len(text) or text[at] not in "{+*?":
        return 1, 1, at
    if text[at] == "+":
        return 1, None, at + 1
    if text[at] == "*":
        return 0, None, at + 1
    if text[at] == "?":
        return 0, 1, at + 1
    end = text.find("}", at)
    if end < 0:
        return -1, None, at
    low, _, high = text[at + 1 : end].partition(",")
    try:
        least = int(low)
        most = least if "," not in text[at + 1 : end] else (int(high) if high else None)
    except ValueError:
        return -1, None, at
    return least, most, end + 1
