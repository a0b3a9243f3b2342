"""The part of a proxied path below the endpoint, refused when any server could read it as leaving the target.

Upstreams disagree on what a path means, so the check assumes the most lenient reading of each: percent
escapes decoded up to three times (``%252e`` is ``%2e`` is ``.``), IIS's ``%uXXXX`` escapes, Tomcat's path
parameters (``..;x`` is ``..``), overlong UTF-8 (``%c0%ae`` is ``.`` to a lax decoder), compatibility forms
(``U+FF0E`` full-width and ``U+2024`` one-dot-leader are ``.`` after NFKC), and Windows' trimming of trailing
dots and spaces (``.. `` and ``...`` are ``..``). A path that matches none of these passes unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes

_IIS_ESCAPE = re.compile(r"%u[0-9a-fA-F]{4}")
_SCHEME = re.compile(r"^/*[A-Za-z][A-Za-z0-9+.-]*:")


class PathRefused(ValueError):
    """The path could step outside the endpoint's target; the message says which form was found."""


def safe_remainder(raw_path: str, prefix: str) -> str:
    """The raw path below ``prefix`` (``/`` when empty), or :class:`PathRefused`."""
    rest = raw_path[len(prefix) :]
    if rest and not rest.startswith("/"):
        raise PathRefused("The path does not belong to this endpoint")
    check_path(rest)
    return rest or "/"


def check_path(path: str) -> None:
    if _IIS_ESCAPE.search(path):
        raise PathRefused("The path may not contain %u escapes")
    decoded = path
    for _ in range(3):
        try:
            once = unquote_to_bytes(decoded).decode("utf-8")
        except UnicodeDecodeError:
            raise PathRefused("The path is not valid UTF-8 once decoded (overlong or broken escapes)") from None
        if _IIS_ESCAPE.search(once):
            raise PathRefused("The path may not contain %u escapes")
        if once == decoded:
            break
        decoded = once
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in decoded):
        raise PathRefused("The path may not contain control characters")
    if "\\" in decoded:
        raise PathRefused("The path may not contain backslashes")
    normalised = unicodedata.normalize("NFKC", decoded)
    for segment in normalised.split("/"):
        bare = segment.split(";", 1)[0]
        if bare and "." in bare and not bare.rstrip(". "):
            raise PathRefused("The path may not contain '.' or '..' segments in any form")
    if decoded.startswith("//") or _SCHEME.match(decoded) or _SCHEME.match(normalised):
        raise PathRefused("The path may not be an absolute URL")
