"""The Kubernetes version source: list each workload kind once, then watch from its resourceVersion.

An unchanged cluster costs one open watch per kind; a watch that ends is renewed from the last
resourceVersion it saw (bookmarks keep that fresh), and only a 410 Gone (the version was compacted away)
lists again. Progress is stored, so the next run of the task, on any replica, resumes without a re-list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from callboard_deployments.model import Observation
from callboard_deployments.settings import Cluster, Watching
from callboard_deployments.workloads import KINDS, observe

log = logging.getLogger(__name__)

Record = Callable[[list[Observation], "tuple[str, str, str | None] | None"], object]
Remove = Callable[[Observation], None]

_LISTS = {
    "deployments": ("apps", "list_deployment_for_all_namespaces"),
    "statefulsets": ("apps", "list_stateful_set_for_all_namespaces"),
    "daemonsets": ("apps", "list_daemon_set_for_all_namespaces"),
    "cronjobs": ("batch", "list_cron_job_for_all_namespaces"),
}
#: Watch events are written in groups of at most this many.
_BATCH = 500


class Gone(Exception):
    """The resourceVersion a watch asked for is too old: list again."""


class Progress:
    """Where each kind's watch resumes, and what to tell the store when the cluster is heard from."""

    def __init__(self, load: Callable[[str], str], save: Callable[..., None]) -> None:
        self.load = load
        self.save = save


def api_client(cluster: Cluster) -> client.ApiClient:
    """A client for ``cluster`` with its auth: a service account token, a kubeconfig context, in-cluster, none."""
    configuration = client.Configuration()
    if cluster.auth_provider == "kubeconfig":
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=cluster.kubeconfig, context=cluster.context, client_configuration=configuration
        )
    elif cluster.auth_provider == "inCluster" or (
        cluster.auth_provider == "serviceAccount" and not cluster.service_account_token and not cluster.url
    ):
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    if cluster.url:
        configuration.host = cluster.url.rstrip("/")
    if cluster.auth_provider == "serviceAccount" and cluster.service_account_token:
        configuration.api_key = {"authorization": f"Bearer {cluster.service_account_token}"}
    if cluster.skip_tls_verify:
        configuration.verify_ssl = False
    if cluster.ca_data:
        configuration.ssl_ca_cert = _ca_file(cluster.name, cluster.ca_data)
    elif cluster.ca_file:
        configuration.ssl_ca_cert = cluster.ca_file
    return client.ApiClient(configuration)


def _ca_file(name: str, data: str) -> str:
    digest = hashlib.sha256(f"{name}\n{data}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"callboard-ca-{digest}.pem"
    if not path.exists():
        path.write_bytes(base64.b64decode(data))
    return str(path)


class ClusterWatch:
    """Keeps one cluster's workloads current until ``deadline`` (a monotonic time) or ``stop``."""

    def __init__(
        self, cluster: Cluster, watching: Watching, record: Record, remove: Remove, progress: Progress
    ) -> None:
        self.cluster = cluster
        self.watching = watching
        self.record = record
        self.remove = remove
        self.progress = progress
        self.api = api_client(cluster)
        self._open: set[Any] = set()
        self._lock = threading.Lock()

    def key(self, kind: str) -> str:
        return f"kubernetes:{self.cluster.name}:{kind}"

    def run(self, deadline: float, stop: threading.Event) -> None:
        threads = [
            threading.Thread(
                target=self._keep, args=(kind, deadline, stop), name=f"watch-{self.cluster.name}-{kind}", daemon=True
            )
            for kind in self.watching.kinds
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.api.close()  # type: ignore[no-untyped-call]

    def _keep(self, kind: str, deadline: float, stop: threading.Event) -> None:
        version = self.progress.load(self.key(kind))
        failures = 0
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if not version:
                    version = self.relist(kind)
                version = self.watch(kind, version, deadline, stop)
                failures = 0
            except Gone:
                log.info(
                    "deployments: %s %s: resourceVersion %s expired; listing again", self.cluster.name, kind, version
                )
                version = ""
            except Exception as error:  # a cluster that is down must not stop the others
                if stop.is_set():
                    return  # the portal is stopping and ``interrupt`` cut the watch: no fault of the cluster's
                failures += 1
                reason = _reason(error)
                log.warning("deployments: %s %s: %s", self.cluster.name, kind, reason)
                self.progress.save(self.key(kind), self.cluster.name, error=reason)
                stop.wait(min(30.0, 0.5 * 2**failures, max(0.0, deadline - time.monotonic())))

    def _call(self, kind: str, **arguments: Any) -> Any:
        group, method = _LISTS[kind]
        api = client.AppsV1Api(self.api) if group == "apps" else client.BatchV1Api(self.api)
        return getattr(api, method)(_preload_content=False, **arguments)

    def relist(self, kind: str) -> str:
        """Every workload of ``kind``, page by page; what was stored and is no longer listed goes."""
        found: list[Observation] = []
        token: str | None = None
        version = ""
        while True:
            arguments: dict[str, Any] = {"limit": self.watching.page_size, "_request_timeout": (10, 120)}
            if token:
                arguments["_continue"] = token
            response = self._call(kind, **arguments)
            page = json.loads(response.data)
            found.extend(observe(kind, item, self.cluster.name) for item in page.get("items") or [])
            metadata = page.get("metadata") or {}
            version = str(metadata.get("resourceVersion") or version)
            token = metadata.get("continue")
            if not token:
                break
        self.record(found, ("kubernetes", self.cluster.name, KINDS[kind]))
        self.progress.save(self.key(kind), self.cluster.name, resource_version=version, listed=True)
        return version

    def watch(self, kind: str, version: str, deadline: float, stop: threading.Event) -> str:
        seconds = max(1, min(self.watching.watch_seconds, int(deadline - time.monotonic()) or 1))
        response = self._call(
            kind,
            watch=True,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=seconds,
            _request_timeout=(10, seconds + 30),
        )
        self.progress.save(self.key(kind), self.cluster.name, resource_version=version)
        with self._lock:
            self._open.add(response)
        try:
            for batch in _batches(response, stop):
                version = self._apply(kind, batch, version)
                self.progress.save(self.key(kind), self.cluster.name, resource_version=version)
        finally:
            with self._lock:
                self._open.discard(response)
            response.close()
            response.release_conn()
        return version

    def interrupt(self) -> None:
        """End the open watches now (the portal is stopping): their threads see ``stop`` and return."""
        with self._lock:
            responses = list(self._open)
        for response in responses:
            try:
                response.shutdown()
            except Exception:  # already closed by its thread
                log.debug("deployments: a watch of %s was already closed", self.cluster.name)

    def _apply(self, kind: str, lines: list[str], version: str) -> str:
        changed: list[Observation] = []
        for line in lines:
            event = json.loads(line)
            kind_of_event = event.get("type")
            item = event.get("object") or {}
            if kind_of_event == "ERROR":
                if item.get("code") == 410:
                    raise Gone()
                raise ApiException(status=item.get("code"), reason=str(item.get("message")))
            version = str((item.get("metadata") or {}).get("resourceVersion") or version)
            if kind_of_event == "BOOKMARK":
                continue
            observation = observe(kind, item, self.cluster.name)
            if kind_of_event == "DELETED":
                if changed:
                    self.record(changed, None)  # in order: a workload re-created after deletion stays
                    changed = []
                self.remove(observation)
            else:
                changed.append(observation)
        if changed:
            self.record(changed, None)
        return version


def _batches(response: Any, stop: threading.Event) -> Iterator[list[str]]:
    """The watch's events, a list per chunk the server sent: a burst is written in one transaction, a lone
    change at once (waiting for more would delay what the page shows)."""
    pending = b""
    for chunk in response.stream(1 << 16, decode_content=True):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        batch = [line.decode() for line in lines if line.strip()]
        for start in range(0, len(batch), _BATCH):
            yield batch[start : start + _BATCH]
        if stop.is_set():
            return
    if pending.strip():
        yield [pending.decode()]


def _reason(error: Exception) -> str:
    if isinstance(error, ApiException):
        return f"the API server answered {error.status} {error.reason}".strip()
    return f"{type(error).__name__}: {error}"[:300]
