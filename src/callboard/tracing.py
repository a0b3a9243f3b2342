"""OpenTelemetry traces, when an operator asks for them with OpenTelemetry's own variables.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) switches tracing on: every request becomes a span
sent over OTLP/HTTP to that collector, named by method and route, with the request's id as an attribute.
``OTEL_SERVICE_NAME`` (default ``callboard``), ``OTEL_RESOURCE_ATTRIBUTES`` and the exporter's other variables
work as the OpenTelemetry SDK documents them. The SDK is an optional extra (``pip install
'callboard[tracing]'``); without it, a set endpoint is reported once and the portal runs untraced.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


def tracer_provider(environ: Mapping[str, str] = os.environ) -> Any:
    """A tracer provider exporting to the configured collector, or None when tracing is not asked for."""
    if not (environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return None
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    try:  # an optional extra: imported only when tracing is asked for
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415
        from opentelemetry.sdk.resources import OTELResourceDetector, Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: no traces are sent "
            "(pip install 'callboard[tracing]')"
        )
        return None
    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME", "callboard")}).merge(
        OTELResourceDetector().detect()
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
