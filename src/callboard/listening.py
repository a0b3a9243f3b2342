"""Whether the portal can listen where it is asked to, checked before anything is printed or started."""

from __future__ import annotations

import errno
import socket


def why_cannot_listen(host: str, port: int) -> str | None:
    """What stops a server listening on ``host:port`` (already in use, not an address of this machine), or None.

    Binds a probe socket as uvicorn will (with SO_REUSEADDR, so a port in TIME_WAIT is free) and closes it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"{host} is not a name or address this machine can listen on ({error.strerror})"
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (another Callboard, or another program, listens there)"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None
