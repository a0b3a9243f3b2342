"""Fuzzing the proxy's path normaliser against a model of how lenient servers read a path.

The model decodes the way upstreams are known to (percent escapes once to three times, IIS's %uXXXX, overlong
UTF-8 as a lax decoder reads it, NFKC look-alikes, Tomcat's ;parameters, backslashes as slashes) and resolves
the result the way a file server would. Whatever the normaliser lets through must stay below the target in
every one of those readings.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote, unquote_to_bytes

from hypothesis import example, given, settings
from hypothesis import strategies as st

from callboard.proxy.paths import PathRefused, safe_remainder
from tests.support import fuzz_examples

PREFIX = "/api/proxy/svc"
PIECES = [
    "/",
    "/",
    "/",
    ".",
    "..",
    "a",
    "b.c",
    "%2e",
    "%2E",
    "%252e",
    "%25",
    "%2f",
    "%2F",
    "%5c",
    "\\",
    ";",
    ";x=1",
    "%3b",
    "%u002e",
    "%U002E",
    "%uff0e",
    "%c0%ae",
    "%e0%80%ae",
    "%c0%2e",
    "\uff0e",
    "\u2024",
    "\ufe52",
    "%00",
    "%0a",
    " ",
    "..%2f",
    "%2e%2e",
    "~",
    "%ef%bc%8e",
    "%e2%80%a4",
    "%",
    "%zz",
    "?",
    "#",
    "@",
    ":",
]
_IIS = re.compile(r"%u([0-9a-fA-F]{4})")


def _lax_bytes(data: bytes) -> str:
    """What a lax UTF-8 decoder makes of bytes: overlong two- and three-byte forms read as their code point."""
    data = re.sub(rb"\xc0([\x80-\xbf])", lambda m: bytes([m.group(1)[0] - 0x80]), data)
    data = re.sub(rb"\xe0\x80([\x80-\xbf])", lambda m: bytes([m.group(1)[0] - 0x80]), data)
    data = data.replace(b"\xc0.", b"..")  # %c0%2e read as a dot by the laxest
    return data.decode("utf-8", "replace")


def readings(path: str) -> set[str]:
    found = {path}
    current = {path}
    for _ in range(3):
        decoded = set()
        for text in current:
            decoded.add(unquote(text, errors="replace"))
            decoded.add(_lax_bytes(unquote_to_bytes(text)))
            decoded.add(_IIS.sub(lambda m: chr(int(m.group(1), 16)), text))
        current = decoded - found
        found |= decoded
    more = set()
    for text in found:
        for variant in (text, unicodedata.normalize("NFKC", text)):
            slashed = variant.replace("\\", "/")
            more.add(slashed)
            more.add("/".join(segment.split(";", 1)[0] for segment in slashed.split("/")))
            more.add("/".join(segment.rstrip(". ") or segment for segment in slashed.split("/")))
    return found | more


def escapes(path: str) -> bool:
    """Whether a server resolving ``path`` below /base/ would end up outside it."""
    for reading in readings(path):
        resolved = posixpath.normpath("/base/" + reading.lstrip("/"))
        if not (resolved == "/base" or resolved.startswith("/base/")):
            return True
        if re.match(r"^/*[A-Za-z][A-Za-z0-9+.-]*://", reading):
            return True  # an absolute URL, which some upstreams would fetch
    return False


@settings(max_examples=fuzz_examples(3000), deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
@example(["/", "..;", "/", "x"])
@example(["/", "%c0%ae", "%c0%ae", "/", "x"])
@example(["/", "%uff0e", "%uff0e", "/"])
@example(["/", "\u2024", "\u2024", "/"])
@example(["/", "..", " ", "/"])
def test_what_the_normaliser_passes_stays_below_the_target_in_every_reading(pieces: list[str]) -> None:
    path = "/" + "".join(pieces)
    try:
        passed = safe_remainder(PREFIX + path, PREFIX)
    except PathRefused as refused:
        assert str(refused)
        return
    assert passed == path
    assert not escapes(passed), f"{passed!r} leaves the target in some server's reading"
