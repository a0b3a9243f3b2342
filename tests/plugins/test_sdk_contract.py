"""The SDK is the plugin contract: its public names and their signatures are snapshotted with the plugin API
version. Changing them without changing the version fails here; the version must move the semver way:
MINOR for additions, MAJOR for anything changed or removed."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

from callboard import sdk
from callboard.plugins import PLUGIN_API_VERSION, api_version_parts

SNAPSHOT = Path(__file__).parent / "sdk_snapshot.json"


def _describe(value: Any) -> str:
    if dataclasses.is_dataclass(value) and isinstance(value, type):
        fields = ", ".join(f"{f.name}: {f.type}" for f in dataclasses.fields(value))
        return f"dataclass({fields})"
    if isinstance(value, type):
        members = []
        for name, member in sorted(vars(value).items()):
            if name.startswith("_") and name != "__init__":
                continue
            if callable(member):
                members.append(f"{name}{_signature(member)}")
            elif isinstance(member, property):
                members.append(f"{name}: property")
        annotations = ", ".join(f"{k}: {v}" for k, v in getattr(value, "__annotations__", {}).items())
        return f"class[{annotations}]({'; '.join(members)})"
    if callable(value):
        return f"function{_signature(value)}"
    return f"{type(value).__name__} = {value!r}"


def _signature(function: Any) -> str:
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"


def current() -> dict[str, str]:
    return {name: _describe(getattr(sdk, name)) for name in sorted(sdk.__all__)}


def test_the_sdk_matches_its_snapshot_for_this_plugin_api_version(update_golden: bool) -> None:
    now = current()
    if update_golden:
        SNAPSHOT.write_text(json.dumps({"version": PLUGIN_API_VERSION, "sdk": now}, indent=1, sort_keys=True) + "\n")
    stored = json.loads(SNAPSHOT.read_text("utf-8"))
    removed_or_changed = sorted(n for n in stored["sdk"] if now.get(n) != stored["sdk"][n])
    added = sorted(set(now) - set(stored["sdk"]))
    if stored["version"] == PLUGIN_API_VERSION:
        assert not removed_or_changed and not added, (
            f"callboard.sdk changed ({', '.join(removed_or_changed + added)}) but PLUGIN_API_VERSION is still "
            f"{PLUGIN_API_VERSION}: raise MINOR for additions, MAJOR for changes or removals, then run "
            "pytest tests/plugins/test_sdk_contract.py --update-golden"
        )
    ours, theirs = api_version_parts(), api_version_parts(stored["version"])
    if removed_or_changed:
        assert ours[0] > theirs[0], f"{', '.join(removed_or_changed)} changed or went away: that needs a new MAJOR"


def test_every_sdk_name_resolves_and_nothing_private_is_exported() -> None:
    assert all(not name.startswith("_") for name in sdk.__all__)
    assert all(hasattr(sdk, name) for name in sdk.__all__)
    modules = {getattr(getattr(sdk, name), "__module__", "") for name in sdk.__all__}
    internal = {m for m in modules if m.startswith("callboard.") and ".store" in m}
    assert not internal
