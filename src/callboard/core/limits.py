"""How much one request, file or template may ask of the server: the limits, with their safe defaults.

Each limit is configured in app-config (the config key is named in every refusal) and handed to the part
that enforces it; nothing reads configuration here.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


#: Largest request line plus headers the HTTP server reads: room for every filter parameter the query limits
#: allow (20 of 1,024 characters, percent-encoded), still bounded per connection.
REQUEST_HEAD_BYTES = 256 * KIB


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """``backend.limits``: request bodies per route family, and the size of list queries."""

    api_body_bytes: int = 1 * MIB
    validate_body_bytes: int = 5 * MIB
    proxy_body_bytes: int = 10 * MIB
    max_filters: int = 20
    max_conditions: int = 20
    max_filter_length: int = 1024
    max_limit: int = 10_000
    max_offset: int = 2**31 - 1


@dataclass(frozen=True, slots=True)
class DescriptorLimits:
    """``catalog.limits``: what one descriptor file may hold before it is refused with a visible error."""

    file_bytes: int = 20 * MIB
    documents_per_file: int = 50_000
    #: Nodes a file would have with every YAML alias expanded (what JSON of it holds); counted before any
    #: value is built, so an alias bomb costs nothing.
    expanded_nodes: int = 2_000_000
    depth: int = 200


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """``scaffolder.limits``: what one template expression or rendered file may produce, and for how long."""

    output_bytes: int = 5 * MIB
    render_seconds: float = 5.0
    loop_iterations: int = 1_000_000
