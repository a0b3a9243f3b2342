"""A small Kubernetes API server for the demo and the tests: the workload paths the official client calls.

Per cluster, under ``/clusters/<name>``: list (``limit``/``continue`` pages with a ``resourceVersion``), watch
(``watch=true&resourceVersion=...``, chunked JSON lines, BOOKMARK events, 410 Gone for a compacted version,
``timeoutSeconds``), and get, merge-patch and delete of one workload, for ``apps/v1`` Deployments,
StatefulSets and DaemonSets and ``batch/v1`` CronJobs. Bearer tokens are checked when a cluster has one.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GROUPS = {"deployments": "apps/v1", "statefulsets": "apps/v1", "daemonsets": "apps/v1", "cronjobs": "batch/v1"}
KIND_OF = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet", "cronjobs": "CronJob"}
_PATH = re.compile(
    r"^/clusters/(?P<cluster>[^/]+)/apis/(?P<group>apps|batch)/v1/"
    r"(?:namespaces/(?P<namespace>[^/]+)/)?(?P<plural>deployments|statefulsets|daemonsets|cronjobs)(?:/(?P<name>[^/]+))?$"
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class FakeCluster:
    """One cluster's workloads and the event log watches read (the newest ``keep`` events)."""

    def __init__(self, name: str, token: str | None = None, keep: int = 200_000) -> None:
        self.name = name
        self.token = token
        self.version = 1000
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.log: deque[tuple[int, str, str, dict[str, Any]]] = deque(maxlen=keep)
        self.changed = threading.Condition()
        self.requests: list[str] = []

    # -- changing it (what kubectl apply/delete would do) ---------------------------------------------

    def apply(self, plural: str, item: Mapping[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(dict(item))
        metadata = stored.setdefault("metadata", {})
        metadata.setdefault("namespace", "default")
        key = (plural, metadata["namespace"], metadata["name"])
        with self.changed:
            before = self.objects.get(key)
            self.version += 1
            metadata["resourceVersion"] = str(self.version)
            metadata.setdefault("uid", before["metadata"]["uid"] if before else str(uuid.uuid4()))
            metadata.setdefault("creationTimestamp", before["metadata"]["creationTimestamp"] if before else now_iso())
            stored["apiVersion"], stored["kind"] = GROUPS[plural], KIND_OF[plural]
            self.objects[key] = stored
            self.log.append((self.version, plural, "MODIFIED" if before else "ADDED", stored))
            self.changed.notify_all()
        return stored

    def patch(self, plural: str, namespace: str, name: str, patch: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.objects.get((plural, namespace, name))
        if found is None:
            return None
        merged = _merge(copy.deepcopy(found), patch)
        merged["metadata"].pop("resourceVersion", None)
        return self.apply(plural, merged)

    def delete(self, plural: str, namespace: str, name: str) -> bool:
        with self.changed:
            found = self.objects.pop((plural, namespace, name), None)
            if found is None:
                return False
            self.version += 1
            gone = copy.deepcopy(found)
            gone["metadata"]["resourceVersion"] = str(self.version)
            self.log.append((self.version, plural, "DELETED", gone))
            self.changed.notify_all()
        return True

    # -- reading it ----------------------------------------------------------------------------------

    def page(self, plural: str, limit: int, after: str) -> dict[str, Any]:
        with self.changed:
            keys = sorted(key for key in self.objects if key[0] == plural)
            version = self.version
        start = int(after) if after else 0
        chosen = keys[start : start + limit] if limit else keys[start:]
        more = bool(limit) and start + limit < len(keys)
        return {
            "apiVersion": GROUPS[plural],
            "kind": KIND_OF[plural] + "List",
            "metadata": {"resourceVersion": str(version), **({"continue": str(start + limit)} if more else {})},
            "items": [self.objects[key] for key in chosen if key in self.objects],
        }

    def events(self, plural: str, since: int, timeout: float) -> Iterator[dict[str, Any]]:
        """Events after resourceVersion ``since`` until ``timeout`` seconds pass, with a BOOKMARK when idle."""
        deadline = time.monotonic() + timeout
        seen = since
        with self.changed:
            oldest = self.log[0][0] if self.log else self.version + 1
            if since < oldest - 1 and since < self.version:
                yield {
                    "type": "ERROR",
                    "object": {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "message": f"too old resource version: {since} ({oldest - 1})",
                        "reason": "Expired",
                        "code": 410,
                    },
                }
                return
        last_sent = time.monotonic()
        while time.monotonic() < deadline:
            with self.changed:
                fresh = (
                    [entry for entry in self.log if entry[0] > seen and entry[1] == plural]
                    if self.version > seen
                    else []
                )
                if not fresh:
                    self.changed.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            for version, _, kind, item in fresh:
                seen = version
                yield {"type": kind, "object": item}
            if fresh:
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent > 10:
                last_sent = time.monotonic()
                yield {
                    "type": "BOOKMARK",
                    "object": {
                        "kind": KIND_OF[plural],
                        "apiVersion": GROUPS[plural],
                        "metadata": {"resourceVersion": str(seen)},
                    },
                }


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch (RFC 7386), as ``kubectl patch --type merge`` sends."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class KubernetesStandIn:
    """Serves several clusters on one loopback port: ``url_of(name)`` is what a cluster's ``url`` should be."""

    def __init__(self, port: int = 0) -> None:
        self.clusters: dict[str, FakeCluster] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="kubernetes-standin", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url_of(self, name: str) -> str:
        return f"{self.url}/clusters/{name}"

    def add(self, name: str, token: str | None = None) -> FakeCluster:
        cluster = FakeCluster(name, token)
        self.clusters[name] = cluster
        return cluster

    def start(self) -> KubernetesStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> KubernetesStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _handler(standin: KubernetesStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, code: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> tuple[FakeCluster, dict[str, str], dict[str, list[str]]] | None:
            parts = urlsplit(self.path)
            found = _PATH.match(parts.path)
            cluster = standin.clusters.get(found.group("cluster")) if found else None
            if found is None or cluster is None:
                self._send(
                    404, _status(404, "NotFound", f"the server could not find the requested resource {parts.path}")
                )
                return None
            cluster.requests.append(f"{self.command} {self.path}")
            if cluster.token and self.headers.get("Authorization") != f"Bearer {cluster.token}":
                self._send(401, _status(401, "Unauthorized", "Unauthorized"))
                return None
            return cluster, {k: v for k, v in found.groupdict().items() if v}, parse_qs(parts.query)

        def do_GET(self) -> None:
            routed = self._route()
            if routed is None:
                return
            cluster, path, query = routed
            plural = path["plural"]
            if "name" in path:
                item = cluster.objects.get((plural, path.get("namespace", "default"), path["name"]))
                if item is None:
                    self._send(404, _status(404, "NotFound", f'{plural} "{path["name"]}" not found'))
                else:
                    self._send(200, item)
                return
            if query.get("watch", ["false"])[0] in ("true", "1"):
                self._watch(cluster, plural, query)
                return
            limit = int(query.get("limit", ["0"])[0] or 0)
            self._send(200, cluster.page(plural, limit, query.get("continue", [""])[0]))

        def _watch(self, cluster: FakeCluster, plural: str, query: Mapping[str, list[str]]) -> None:
            since = int(query.get("resourceVersion", ["0"])[0] or 0) or cluster.version
            timeout = float(query.get("timeoutSeconds", ["60"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for event in cluster.events(plural, since, timeout):
                    data = json.dumps(event).encode() + b"\n"
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_PATCH(self) -> None:
            routed = self._route()
            if routed is None:
                return
            cluster, path, _ = routed
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            found = cluster.patch(path["plural"], path.get("namespace", "default"), path.get("name", ""), body)
            if found is None:
                self._send(404, _status(404, "NotFound", f'{path["plural"]} "{path.get("name")}" not found'))
            else:
                self._send(200, found)

        def do_DELETE(self) -> None:
            routed = self._route()
            if routed is None:
                return
            cluster, path, _ = routed
            if cluster.delete(path["plural"], path.get("namespace", "default"), path.get("name", "")):
                self._send(200, _status(200, "", "deleted") | {"status": "Success"})
            else:
                self._send(404, _status(404, "NotFound", f'{path["plural"]} "{path.get("name")}" not found'))

    return Handler


def deployment(
    name: str,
    version: str,
    *,
    namespace: str = "default",
    replicas: int = 3,
    ready: int | None = None,
    kubernetes_id: str | None = None,
    image: str | None = None,
    labels: Mapping[str, str] | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """A Deployment as ``kubectl get -o json`` shows it once rolled out (or with ``ready`` pods so far), rolled
    out now or ``at`` (an RFC 3339 time)."""
    ready = replicas if ready is None else ready
    all_labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/version": version, **(labels or {})}
    if kubernetes_id:
        all_labels["backstage.io/kubernetes-id"] = kubernetes_id
    image = image or f"registry.example.com/{name}:{version}"
    stamp = at or now_iso()
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": all_labels,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/version": version}},
                "spec": {"containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080}]}]},
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready >= replicas else "False",
                    "reason": "MinimumReplicasAvailable",
                    "lastUpdateTime": stamp,
                    "lastTransitionTime": stamp,
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "lastUpdateTime": stamp,
                    "lastTransitionTime": stamp,
                },
            ],
        },
    }
