"""What a user installs: the wheel `make dist` builds, in a clean virtualenv with nothing of this checkout, runs
the demo and serves the portal's pages and its front-end files (no npm on the user's machine)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, wait_until_ready

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).with_name("uv")


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    arguments = [str(part) for part in command]
    done = subprocess.run(arguments, capture_output=True, text=True, cwd=cwd, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(UV, "build", "--wheel", "--quiet", "--out-dir", out, REPO)
    (built,) = out.glob("callboard-*.whl")
    return built


def test_the_wheel_carries_the_front_end_and_the_type_marker_and_no_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "callboard/web/static/vendor/htmx/htmx.min.js",
        "callboard/web/static/vendor/elkjs/elk.bundled.js",
        "callboard/web/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "callboard/py.typed",
        "callboard/demo/catalog/components.yaml",
        "callboard/storage/migrations/env.py",
    ):
        assert shipped in names, shipped
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/", "frontend/"))]
    version = re.match(r"callboard-([^-]+)-py3-none-any\.whl", wheel.name)
    assert version and re.match(r"\d+\.\d+", version.group(1)), wheel.name  # from the git tag, or its fallback


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv of its own with the wheel and its dependencies from the package index, nothing else."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    _run(UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel)
    return venv


@pytest.fixture(scope="module")
def demo(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    log = (folder / "demo.log").open("w+")
    process = subprocess.Popen(
        [str(installed / "bin" / "callboard"), "demo", "--port", str(port), "--data-dir", str(folder / "data")],
        cwd=folder,  # not the checkout: nothing of it may be needed
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, folder / "demo.log", seconds=180)
        token = re.search(r"API token: (\S+)", (folder / "demo.log").read_text("utf-8"))
        assert token, (folder / "demo.log").read_text("utf-8")
        yield url, token.group(1)
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_the_installed_demo_serves_the_catalog_and_its_front_end_files(demo: tuple[str, str], installed: Path) -> None:
    url, token = demo
    components = httpx.get(
        f"{url}/api/catalog/entities", params={"filter": "kind=component"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert components.status_code == 200 and len(components.json()) > 10
    for asset in ("htmx/htmx.min.js", "elkjs/elk.bundled.js"):
        assert httpx.get(f"{url}/static/vendor/{asset}").status_code == 200
    sign_in = httpx.get(f"{url}/", headers={"Accept": "text/html"}, follow_redirects=True)
    assert "Continue as guest" in sign_in.text
    version = _run(installed / "bin" / "callboard", "version")
    assert re.match(r"callboard \d+\.\d+", version), version


# -- the container image ------------------------------------------------------------------------------------
# No image can be built on the machines the tests run on (no container engine, and no registry to pull the
# Python base image from): the Dockerfile's promises are checked, and its entry point and health check are run
# here, outside a container, against the same wheel.


def _instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_dockerfile_builds_in_two_stages_and_runs_as_a_user_with_volumes_and_a_health_check() -> None:
    instructions = _instructions()
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(stages) == 2 and stages[0].endswith(" AS build") and "slim" in (REPO / "Dockerfile").read_text()
    final = instructions[[index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"][1] :]
    user = [rest for keyword, rest in final if keyword == "USER"]
    assert user == ["callboard"]
    assert json.loads(next(rest for k, rest in final if k == "VOLUME")) == ["/etc/callboard", "/var/lib/callboard"]
    assert not [rest for keyword, rest in final if keyword == "COPY" and "--from=build" not in rest]  # no source
    assert any("liveness" in rest for keyword, rest in final if keyword == "HEALTHCHECK")


def test_the_image_entry_point_and_health_check_work_outside_a_container(installed: Path, tmp_path: Path) -> None:
    instructions = dict(_instructions())
    entrypoint = json.loads(instructions["ENTRYPOINT"])
    health = json.loads(instructions["HEALTHCHECK"].split(" CMD ", 1)[1])
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    data.mkdir()
    (etc / "app-config.yaml").write_text(
        "app: {baseUrl: 'http://127.0.0.1:7007'}\n"
        "backend:\n  auth:\n    externalAccess:\n"
        "      - {type: static, options: {token: image-test-token-0042, subject: 'service:probe'}}\n",
        "utf-8",
    )
    port = str(free_port())
    command = [part.replace("/etc/callboard", str(etc)).replace("7007", port) for part in entrypoint]
    command[0] = str(installed / "bin" / command[0])
    with (tmp_path / "serve.log").open("w+") as log:
        server = subprocess.Popen(command, cwd=data, stdout=log, stderr=subprocess.STDOUT)
        try:
            probe = [str(installed / "bin" / health[0]), *(part.replace("7007", port) for part in health[1:])]
            deadline = time.monotonic() + 120
            while subprocess.run(probe, capture_output=True, check=False).returncode != 0:
                assert server.poll() is None, (tmp_path / "serve.log").read_text("utf-8")
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text("utf-8")
                time.sleep(0.5)
            listed = httpx.get(
                f"http://127.0.0.1:{port}/api/catalog/entities",
                headers={"Authorization": "Bearer image-test-token-0042"},
            )
            assert listed.status_code == 200
            assert (data / "data").is_dir()  # the data directory is where the image's volume is mounted
        finally:
            server.terminate()
            server.wait(30)
