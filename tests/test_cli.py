"""The command line as a user runs it: a real subprocess of the installed ``callboard`` script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-web
spec:
  type: website
  lifecycle: production
  owner: team-a
"""


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callboard", *args],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "good.yaml").write_text(COMPONENT)
    bad = tmp_path / "services" / "bad"
    bad.mkdir(parents=True)
    (bad / "catalog-info.yaml").write_text(COMPONENT.replace("  owner: team-a\n", "") + "---\nkind: Group\n")
    (tmp_path / "services" / ".github.yml").write_text("on: push\njobs: {}\n")  # not a descriptor
    return tmp_path


def test_validate_valid_file_exits_zero(repo: Path) -> None:
    result = run("catalog", "validate", "good.yaml", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "1 entity in 1 file: 1 valid, 0 invalid"


def test_validate_folder_reports_each_problem_with_place_and_hint(repo: Path) -> None:
    result = run("catalog", "validate", ".", cwd=repo)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "services/bad/catalog-info.yaml:5:1: component:default/artist-web: InputError: Processor "
        "BuiltinKindsEntityProcessor threw an error while validating the entity component:default/artist-web; "
        "caused by TypeError: /spec must have required property 'owner' - missingProperty: owner"
    )
    assert lines[1] == "    hint: Add spec.owner."
    assert lines[2].startswith("services/bad/catalog-info.yaml:9:1: <no ref>: InputError: Entity envelope failed")
    assert lines[-1] == "3 entities in 3 files: 1 valid, 2 invalid"


def test_validate_json_lines(repo: Path) -> None:
    result = run("catalog", "validate", "--format", "json", "services", "good.yaml", cwd=repo)
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["file"], r["doc"], r["valid"]) for r in rows] == [
        ("services/bad/catalog-info.yaml", 0, False),
        ("services/bad/catalog-info.yaml", 1, False),
        ("good.yaml", 0, True),
    ]
    assert rows[0]["ref"] == "component:default/artist-web"
    assert rows[0]["field"] == "spec"
    assert rows[2]["error"] is None
    assert "3 entities" in result.stderr


HOSTILE = {
    "shapes.yaml": (
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: "x"\n---\n'
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: [1]\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: null\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        'metadata: {name: a, annotations: [1], description: "\\0"}\nspec: 5\n'
    ),
    "nul.yaml": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        'metadata: {name: n, description: "a\\0b"}\nspec: {type: service, lifecycle: production, owner: me}\n'
    ),
    "deep.yaml": "x: " + "[" * 100_000 + "\n",
}


def test_validate_keeps_going_through_hostile_files_and_names_each_field(repo: Path) -> None:
    for name, text in HOSTILE.items():
        (repo / "hostile" / name).parent.mkdir(exist_ok=True)
        (repo / "hostile" / name).write_text(text)
    (repo / "hostile" / "latin1.yaml").write_bytes(b"kind: Component\nmetadata: {name: caf\xe9}\n")
    result = run("catalog", "validate", "hostile", "good.yaml", cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert "hostile/shapes.yaml:3:1" in out and "metadata" in out
    assert "hostile/shapes.yaml:7:1" in out and "hostile/shapes.yaml:11:1" in out
    assert "hostile/nul.yaml" in out and "metadata.description holds a NUL character" in out
    assert "hostile/deep.yaml" in out and "catalog.limits.depth" in out
    assert "hostile/latin1.yaml" in out and "UTF-8" in out
    assert out.splitlines()[-1].endswith("1 valid, 7 invalid")


def test_validate_missing_path_fails(repo: Path) -> None:
    result = run("catalog", "validate", "nope.yaml", cwd=repo)
    assert result.returncode == 1
    assert "nope.yaml: no such file or folder" in result.stderr


def test_custom_kind_from_config_is_accepted(repo: Path) -> None:
    (repo / "app-config.yaml").write_text(
        "catalog:\n  kinds:\n    - kind: Environment\n      apiVersions: [acme.io/v1]\n"
        "      schema: {type: object, required: [tier]}\n"
    )
    (repo / "env.yaml").write_text(
        "apiVersion: acme.io/v1\nkind: Environment\nmetadata: {name: prod}\nspec: {tier: 1}\n"
    )
    assert run("catalog", "validate", "env.yaml", cwd=repo).returncode == 0
    (repo / "env.yaml").write_text("apiVersion: acme.io/v1\nkind: Environment\nmetadata: {name: prod}\nspec: {}\n")
    result = run("catalog", "validate", "env.yaml", cwd=repo)
    assert result.returncode == 1
    assert "Processor KindSchemaProcessor threw an error" in result.stdout


def test_bad_config_exits_two_with_file_and_key(repo: Path) -> None:
    (repo / "app-config.yaml").write_text("catalog:\n  orphanStrategy: sometimes\n")
    result = run("catalog", "validate", "good.yaml", cwd=repo)
    assert result.returncode == 2
    assert "app-config.yaml: catalog.orphanStrategy:" in result.stderr


def test_config_print_redacts_secrets(repo: Path) -> None:
    (repo / "app-config.yaml").write_text("app: {title: T}\nintegrations:\n  github:\n    - token: ${GH}\n")
    result = run("config", "print", cwd=repo, env={"GH": "ghp_verysecret"})
    assert result.returncode == 0, result.stderr
    assert "ghp_verysecret" not in result.stdout
    assert "token: <secret>" in result.stdout


def test_validate_whole_corpus_without_a_crash(corpus: Path, tmp_path: Path) -> None:
    result = run("catalog", "validate", str(corpus / "catalog"), str(corpus / "templates"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1].startswith("175 entities in 144 files")


@pytest.mark.parametrize("value", ["many", "0", "-3", "1000"])
def test_serve_refuses_a_request_thread_count_it_cannot_use(tmp_path: Path, value: str) -> None:
    result = run("serve", "--port", "0", cwd=tmp_path, env={"CALLBOARD_REQUEST_THREADS": value})
    assert result.returncode == 2
    assert f"CALLBOARD_REQUEST_THREADS must be a whole number from 1 to 256, not '{value}'" in result.stderr


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_taken_port_is_said_first_with_the_fix(tmp_path: Path, command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["--data-dir", str(tmp_path / "demo")] if command == "demo" else ["--host", "127.0.0.1"]
        result = run(command, "--port", str(port), *args, cwd=tmp_path)
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert (
        first
        == f"error: port {port} on 127.0.0.1 is already in use (another Callboard, or another program, listens there)."
    )
    assert "--port" in result.stderr
    assert "token" not in result.stderr.lower() and "Traceback" not in result.stderr
    assert not (tmp_path / "demo").exists()  # nothing was started or written


DEMO_TEMPLATE = Path(__file__).resolve().parent.parent / "src/callboard/demo/templates/service/template.yaml"


def test_the_bundled_template_runs_end_to_end_dry_and_for_real(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("name: my-svc\nowner: group:default/platform-team\n")
    dry = run("template", "run", str(DEMO_TEMPLATE), "--values", str(values), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: publishing skipped" in dry.stderr and "dry run: registering skipped" in dry.stderr
    assert "✓ [register] Finished step Register in the catalog" in dry.stderr
    published = tmp_path / "published"
    real = run(
        "template", "run", str(DEMO_TEMPLATE), "--values", str(values), "--publish-dir", str(published), cwd=tmp_path
    )
    assert real.returncode == 0, real.stderr
    assert (published / "my-svc" / "catalog-info.yaml").is_file()
    assert "not registered: no catalog" in real.stderr  # said, not silently skipped
    assert json.loads(real.stdout)["links"][1]["url"] == f"file:{published / 'my-svc'}"


@pytest.mark.parametrize("command", [("template", "run"), ("discover",), ("serve",), ("catalog", "validate")])
def test_help_names_values_as_people_would(tmp_path: Path, command: tuple[str, ...]) -> None:
    shown = run(*command, "--help", cwd=tmp_path, env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout and "list[" not in shown.stdout  # flags take no value; lists repeat
    assert "<file>…" in shown.stdout  # --config (or the paths) may be given more than once
