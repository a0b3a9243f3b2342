"""OpenTelemetry traces, switched on by OTEL_EXPORTER_OTLP_ENDPOINT: a served portal sends a span per request
over OTLP/HTTP to a collector (here a receiver on loopback that decodes OTLP's protobuf payloads)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from callboard.tracing import tracer_provider
from tests.support import AUTH, Server, free_port, wait_until_ready, with_test_access


class Collector:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/v1/traces", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        body = ExportTraceServiceRequest()
        body.ParseFromString(await request.body())
        with self.lock:
            for resource_spans in body.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                        self.spans.append({"name": span.name, "resource": resource, "attributes": attributes})
        return Response(b"", media_type="application/x-protobuf")


@pytest.fixture
def collector() -> Iterator[tuple[Collector, str]]:
    receiver = Collector()
    with Server(receiver.app) as server:
        yield receiver, server.url


def test_no_endpoint_no_tracing() -> None:
    assert tracer_provider({}) is None
    assert tracer_provider({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}) is None


def test_requests_become_spans_at_the_collector(collector: tuple[Collector, str], tmp_path: Path) -> None:
    receiver, url = collector
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(with_test_access({"backend": {"database": {"connection": f"sqlite:///{tmp_path}/cb.db"}}}))
    )
    port = free_port()
    environment = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_SERVICE_NAME": "portal-test",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    with (tmp_path / "serve.log").open("w+") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("callboard")), "serve", "-c", str(config), "--port", str(port)],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        try:
            portal = f"http://127.0.0.1:{port}"
            wait_until_ready(portal, server, tmp_path / "serve.log")
            answer = httpx.get(f"{portal}/api/catalog/entities", headers={**AUTH, "X-Request-Id": "trace-me-12345678"})
            assert answer.status_code == 200
            deadline = time.monotonic() + 30
            while not any(s["name"] == "GET /api/catalog/entities" for s in receiver.spans):
                assert time.monotonic() < deadline, receiver.spans
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(30)
    span = next(s for s in receiver.spans if s["name"] == "GET /api/catalog/entities")
    assert span["resource"]["service.name"] == "portal-test"
    assert span["attributes"]["callboard.request_id"] == "trace-me-12345678"
    assert (
        span["attributes"].get("http.status_code") == 200 or span["attributes"].get("http.response.status_code") == 200
    )
