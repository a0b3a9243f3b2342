"""uvicorn's fast HTTP parser (httptools), with the request head bounded as its slower h11 parser bounds it.

httptools parses a request in a fraction of h11's time, but keeps no limit on the request line and
headers: a client that never ends its head would grow the server's memory without end. This protocol counts
the bytes of each request head as they arrive and answers 431 once they pass ``REQUEST_HEAD_BYTES``.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from callboard.core.limits import REQUEST_HEAD_BYTES

_TOO_LARGE = b"Request line and headers are too large."


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
            super().send_400_response(msg)

    def _refuse_head(self) -> None:
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(_TOO_LARGE)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n" + _TOO_LARGE
        )
        self.transport.close()
