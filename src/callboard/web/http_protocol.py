"""uvicorn's fast HTTP parser (httptools), with the request head bounded as its slower h11 parser bounds it.

httptools parses a request in a fraction of h11's time, but keeps no limit on the request line and
headers: a client that never ends its head would grow the server's memory without end. This protocol counts
the bytes of each request head as they arrive and answers 431 once they pass ``REQUEST_HEAD_BYTES``.
Requests the parser refuses are answered in the API's JSON error shape, like every other error.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from callboard.core.limits import REQUEST_HEAD_BYTES

_TOO_LARGE = f"The request line and headers are over {REQUEST_HEAD_BYTES} bytes; send less in the URL or headers"
_MALFORMED = (
    "Invalid HTTP request: the request line or a header holds what HTTP does not allow "
    "(control characters in a header value, say)"
)


class _HeadTooLarge(Exception):
    """Raised from the parser's callback: httptools stops parsing, and uvicorn answers through
    ``send_400_response``, which this protocol turns into the 431."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    head_limit = REQUEST_HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Checked after parsing, so that a small head arriving with the start of a large body is not
        # refused: the parser then already left the head. At most one read beyond the limit is parsed.
        if self._reading_head and self._head_bytes > self.head_limit and not self.transport.is_closing():
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        # A head that arrived in one read is measured here, where the parser has it whole.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.head_limit:
            self._too_large = True
            raise _HeadTooLarge
        self._reading_head = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse_head()
        else:
            self._refuse(400, "Bad Request", "InputError", _MALFORMED)

    def _refuse_head(self) -> None:
        self._refuse(431, "Request Header Fields Too Large", "InputError", _TOO_LARGE)

    def _refuse(self, status: int, reason: str, name: str, message: str) -> None:
        # Backstage's error body; the request is named as far as it was read (the URL cut short).
        url = bytes(getattr(self, "url", b""))[:2000].decode("latin-1")
        try:
            method = self.parser.get_method().decode("latin-1")
        except Exception:  # the parser fails before the method on a malformed request line
            method = ""
        body = json.dumps(
            {
                "error": {"name": name, "message": message},
                "request": {"method": method, "url": url},
                "response": {"statusCode": status},
            }
        )
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n{body}".encode("ascii")
        )
        self.transport.close()
