"""From facts to entities: which folders are components, and for each field the value with the strongest
evidence, with the file and rule that gave it (and the values that lost, so disagreements are visible).

Favour being explainable over being clever: every value comes from one fact a person can open and read.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from callboard.discovery.model import Fact, Repository, entity_name

PROVENANCE = "callboard.dev/provenance"
#: Where an owner "comes from" when nothing named one: the source's ``defaultOwner``.
DEFAULT_OWNER_SOURCE = "discovery configuration"
RESOURCE_TYPES = {
    "postgres": "database",
    "mysql": "database",
    "mongodb": "database",
    "redis": "cache",
    "kafka": "queue",
    "rabbitmq": "queue",
}
LIST_FIELDS = {"metadata.tags"}


@dataclass(frozen=True)
class Options:
    default_owner: str = "group:unknown"  # when no CODEOWNERS rule names an owner
    handles: Mapping[str, str] = field(default_factory=dict)  # "@acme/payments-devs" → "group:payments"
    github_hosts: tuple[str, ...] = ("github.com",)
    #: Field → the confidence below which it is left for review instead of guessed (``*``: every other field).
    min_confidence: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Inferred:
    """An entity with where each of its fields came from."""

    entity: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    unit: str
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        metadata = self.entity.get("metadata") or {}
        return f"{self.entity['kind']}:{metadata.get('namespace') or 'default'}/{metadata.get('name')}".lower()


def evidence(fact: Fact, value: Any = None, confidence: float | None = None) -> dict[str, Any]:
    return {
        "value": fact.value if value is None else value,
        "source": fact.source,
        "rule": fact.rule,
        "confidence": round(fact.confidence if confidence is None else confidence, 2),
        "by": "inference",
    }


def owner_ref(handle: str, options: Options) -> str:
    """A CODEOWNERS owner as an entity ref: the configured mapping, else @org/team → group, @user → user."""
    if handle in options.handles:
        return options.handles[handle]
    if handle.startswith("@") and "/" in handle:
        return f"group:{handle.split('/', 1)[1].lower()}"
    if handle.startswith("@"):
        return f"user:{handle[1:].lower()}"
    return f"user:{handle.split('@', 1)[0].lower()}"


def _pattern_applies(pattern: str, unit: str) -> bool:
    """Whether a CODEOWNERS pattern covers a component folder (its whole folder, or everything)."""
    cleaned = pattern.strip("/").removesuffix("/**").removesuffix("/*")
    if cleaned in ("", "*", "**"):
        return True
    return unit == cleaned or unit.startswith(cleaned + "/")


class _Unit:
    def __init__(self, path: str) -> None:
        self.path = path
        self.facts: dict[str, list[tuple[Fact, float]]] = defaultdict(list)
        self.name = ""


def _units(repo: Repository, facts: Sequence[Fact]) -> tuple[list[str], str | None]:
    """Component folders, and the type every component gets when no manifest says more."""
    units = sorted({f.unit for f in facts if f.field == "unit"})
    if units:
        return units, None
    if any(f.field in ("techdocs", "docs-site") for f in facts):
        # Backstage's well-known types are service, website and library: published docs are a website.
        return [""], "website"
    if any(f.field in ("deployment", "infrastructure") for f in facts):
        return [""], "infrastructure"
    return [], None


def infer(repo: Repository, facts: Sequence[Fact], options: Options) -> list[Inferred]:
    paths, fallback_type = _units(repo, facts)
    if not paths:
        return []
    units = {path: _Unit(path) for path in paths}
    for unit in units.values():
        named = [f for f in facts if f.field == "metadata.name" and f.unit == unit.path]
        unit.name = max(named, key=lambda f: f.confidence).value if named else ""
    taken: set[str] = set()
    for unit in units.values():
        if not unit.name:
            unit.name = _folder_name(unit.path, repo)
        if unit.name in taken:
            unit.name = f"{unit.name}-{_folder_name(unit.path, repo)}"
        taken.add(unit.name)
    for fact in facts:
        for unit, weight in _targets(fact, units, by_name=fallback_type is None):
            unit.facts[fact.field].append((fact, fact.confidence * weight))
    found: list[Inferred] = []
    for unit in units.values():
        found += _entities(repo, unit, units, fallback_type, options)
    return found


def _folder_name(path: str, repo: Repository) -> str:
    return entity_name(path.rsplit("/", 1)[-1] if path else repo.name)


def _targets(fact: Fact, units: Mapping[str, _Unit], *, by_name: bool) -> list[tuple[_Unit, float]]:
    """Which components a fact is about, and how much it counts for each.

    A repository-wide fact (a pipeline) counts less in a repository of several components: it may be about
    any of them. A fact about a named workload goes to the component of that name (or the only component,
    if the repository's manifests make one).
    """
    if fact.unit == "*":
        weight = 1.0 if len(units) == 1 else 0.6
        return [(unit, weight) for unit in units.values()]
    if fact.unit.startswith("name:"):
        wanted = fact.unit[5:]
        matched = [unit for unit in units.values() if unit.name == wanted]
        if not matched and len(units) == 1 and by_name:
            matched = list(units.values())
        return [(unit, 1.0) for unit in matched]
    enclosing = [path for path in units if path in ("", fact.unit) or fact.unit.startswith(path + "/")]
    if enclosing:
        return [(units[max(enclosing, key=len)], 1.0)]
    # A fact about a folder that holds components (a monorepo's root README): it counts half for each.
    inside = [unit for path, unit in units.items() if fact.unit == "" or path.startswith(fact.unit + "/")]
    return [(unit, 0.5) for unit in inside]


def _choose(candidates: list[tuple[Fact, float]]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The value with the strongest evidence (the best fact, plus a little for each further fact that agrees),
    and the best fact of each value that lost."""
    by_value: dict[str, list[tuple[Fact, float]]] = defaultdict(list)
    for fact, weight in candidates:
        by_value[str(fact.value)].append((fact, weight))
    if not by_value:
        return None
    scored = []
    for agreeing in by_value.values():
        best_fact, best = max(agreeing, key=lambda item: item[1])
        scored.append((min(1.0, best + 0.05 * (len(agreeing) - 1)), best_fact))
    scored.sort(key=lambda item: -item[0])
    winner = evidence(scored[0][1], confidence=scored[0][0])
    return winner, [evidence(fact, confidence=score) for score, fact in scored[1:]]


def _entities(
    repo: Repository, unit: _Unit, units: Mapping[str, _Unit], fallback_type: str | None, options: Options
) -> list[Inferred]:
    provenance: dict[str, dict[str, Any]] = {}
    metadata: dict[str, Any] = {"name": unit.name}
    spec: dict[str, Any] = {}
    annotations: dict[str, str] = {}
    own = [fact for fact, _ in unit.facts.get("metadata.name", []) if fact.unit == unit.path]
    provenance["metadata.name"] = (
        evidence(max(own, key=lambda fact: fact.confidence), unit.name)
        if own
        else {
            "value": unit.name,
            "source": unit.path or ".",
            "rule": "named after its folder",
            "confidence": 0.5,
            "by": "inference",
        }
    )
    for name, candidates in unit.facts.items():
        if (
            name
            in (
                "metadata.name",
                "unit",
                "workspace",
                "api",
                "resource",
                "codeowners",
                "techdocs",
                "deployment",
                "infrastructure",
                "docs-site",
            )
            or name in LIST_FIELDS
        ):
            continue
        chosen = _choose(candidates)
        if chosen is None:
            continue
        winner, losers = chosen
        provenance[name] = {**winner, **({"alternatives": losers} if losers else {})}
        _set(metadata, spec, annotations, name, winner["value"])
    tags = sorted({str(fact.value) for fact, _ in unit.facts.get("metadata.tags", [])})
    if tags:
        metadata["tags"] = tags
        first = unit.facts["metadata.tags"][0][0]
        provenance["metadata.tags"] = evidence(first, tags)
    if "spec.type" not in provenance:
        kind = fallback_type or "library"
        rule = {
            "website": "the repository holds only docs: it publishes a documentation site",
            "infrastructure": "the repository holds only infrastructure code",
        }.get(kind, "a package that nothing here deploys")
        spec["type"] = kind
        provenance["spec.type"] = {
            "value": kind,
            "source": unit.path or ".",
            "rule": rule,
            "confidence": 0.3,
            "by": "inference",
        }
    if repo.archived:
        spec["lifecycle"] = "deprecated"
        provenance["spec.lifecycle"] = {
            "value": "deprecated",
            "source": repo.web_url or repo.name,
            "rule": "the repository is archived",
            "confidence": 0.95,
            "by": "inference",
        }
    elif "spec.lifecycle" not in provenance:
        in_use = fallback_type is not None and spec["type"] == fallback_type  # docs or infrastructure: merged is live
        lifecycle = "production" if in_use else "experimental"
        spec["lifecycle"] = lifecycle
        provenance["spec.lifecycle"] = {
            "value": lifecycle,
            "source": unit.path or ".",
            "rule": "nothing shows it runs in production"
            if lifecycle == "experimental"
            else "a repository of only docs or infrastructure is in use once merged",
            "confidence": 0.2,
            "by": "inference",
        }
    spec["owner"], provenance["spec.owner"] = _owner(unit, options)
    docs = _techdocs(unit, units)
    if docs:
        annotations["backstage.io/techdocs-ref"], provenance["metadata.annotations.backstage.io/techdocs-ref"] = docs
    _repository_annotations(repo, unit, annotations, provenance)
    component_ref = {"kind": "Component", "name": unit.name}
    apis = _apis(unit, spec, provenance, component_ref)
    resources = _resources(unit, spec, provenance)
    if annotations:
        metadata["annotations"] = annotations
    component = Inferred(
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": metadata, "spec": spec},
        provenance,
        unit.path,
    )
    return [component, *apis, *resources]


def _set(metadata: dict[str, Any], spec: dict[str, Any], annotations: dict[str, str], name: str, value: Any) -> None:
    if name.startswith("metadata.annotations."):
        annotations[name.removeprefix("metadata.annotations.")] = str(value)
    elif name.startswith("metadata."):
        metadata[name.removeprefix("metadata.")] = value
    elif name.startswith("spec."):
        spec[name.removeprefix("spec.")] = value


def _owner(unit: _Unit, options: Options) -> tuple[str, dict[str, Any]]:
    for fact, _ in unit.facts.get("codeowners", []):
        applying = [(pattern, owners) for pattern, owners in fact.value if _pattern_applies(pattern, unit.path)]
        if applying:
            pattern, owners = applying[-1]  # the last matching rule wins, as on GitHub
            ref = owner_ref(owners[0], options)
            rule = f"CODEOWNERS gives {pattern} to {owners[0]}" + (
                f" (mapped to {ref})" if owners[0] in options.handles else ""
            )
            return ref, {"value": ref, "source": fact.source, "rule": rule, "confidence": 0.9, "by": "inference"}
    return options.default_owner, {
        "value": options.default_owner,
        "source": DEFAULT_OWNER_SOURCE,
        "rule": "no CODEOWNERS rule covers it: the source's default owner",
        "confidence": 0.3,
        "by": "inference",
    }


def _techdocs(unit: _Unit, units: Mapping[str, _Unit]) -> tuple[str, dict[str, Any]] | None:
    for fact, _ in sorted(unit.facts.get("techdocs", []), key=lambda item: -len(item[0].value)):
        folder = str(fact.value)
        if folder == unit.path or (len(units) == 1 and (folder == "" or unit.path.startswith(folder + "/"))):
            relative = posixpath.relpath(folder or ".", unit.path or ".")
            value = f"dir:{relative}"
            return value, evidence(fact, value)
    return None


def _repository_annotations(
    repo: Repository, unit: _Unit, annotations: dict[str, str], provenance: dict[str, dict[str, Any]]
) -> None:
    if not repo.web_url:
        return
    path = f"/{unit.path}" if unit.path else ""
    source = f"url:{repo.web_url}/tree/{repo.branch}{path}"
    annotations["backstage.io/source-location"] = source
    provenance["metadata.annotations.backstage.io/source-location"] = {
        "value": source,
        "source": repo.web_url,
        "rule": "where the repository is",
        "confidence": 1.0,
        "by": "inference",
    }
    parts = urlsplit(repo.web_url)
    if parts.netloc in repo_hosts(repo):
        slug = parts.path.strip("/")
        annotations["github.com/project-slug"] = slug
        provenance["metadata.annotations.github.com/project-slug"] = {
            "value": slug,
            "source": repo.web_url,
            "rule": "the repository is on GitHub",
            "confidence": 1.0,
            "by": "inference",
        }


def repo_hosts(repo: Repository) -> tuple[str, ...]:
    return tuple(repo.facts.get("github_hosts") or ("github.com",))


def _apis(
    unit: _Unit, spec: dict[str, Any], provenance: dict[str, dict[str, Any]], component: Mapping[str, str]
) -> list[Inferred]:
    found: list[Inferred] = []
    names: list[str] = []
    for fact, _ in unit.facts.get("api", []):
        api = fact.value
        name = api.get("name") or f"{component['name']}-{api['type']}"
        if name in names:
            continue
        names.append(name)
        entity_provenance = {
            "metadata.name": evidence(fact, name),
            "spec.type": evidence(fact, api["type"]),
            "spec.definition": evidence(fact, f"(the text of {fact.source})"),
            "spec.owner": {
                **provenance["spec.owner"],
                "rule": f"owned like {component['name']}: " + provenance["spec.owner"]["rule"],
            },
            "spec.lifecycle": {
                **provenance["spec.lifecycle"],
                "rule": f"as {component['name']}: " + provenance["spec.lifecycle"]["rule"],
            },
        }
        metadata: dict[str, Any] = {"name": name}
        if api.get("description"):
            metadata["description"] = api["description"]
            entity_provenance["metadata.description"] = evidence(fact, api["description"])
        found.append(
            Inferred(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "API",
                    "metadata": metadata,
                    "spec": {
                        "type": api["type"],
                        "lifecycle": spec["lifecycle"],
                        "owner": spec["owner"],
                        "definition": api["definition"],
                    },
                },
                entity_provenance,
                unit.path,
            )
        )
    if names:
        spec["providesApis"] = names
        best = unit.facts["api"][0][0]
        provenance["spec.providesApis"] = evidence(best, names)
    return found


def _resources(unit: _Unit, spec: dict[str, Any], provenance: dict[str, dict[str, Any]]) -> list[Inferred]:
    best: dict[str, tuple[Fact, float]] = {}
    for fact, weight in unit.facts.get("resource", []):
        if fact.value not in best or weight > best[fact.value][1]:
            best[fact.value] = (fact, weight)
    found: list[Inferred] = []
    refs: list[str] = []
    for tech, (fact, weight) in sorted(best.items()):
        name = f"{unit.name}-{tech}"
        refs.append(f"resource:{name}")
        found.append(
            Inferred(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Resource",
                    "metadata": {"name": name, "description": f"The {tech} {unit.name} uses.", "tags": [tech]},
                    "spec": {"type": RESOURCE_TYPES.get(tech, "resource"), "owner": spec["owner"]},
                },
                {
                    "metadata.name": evidence(fact, name, weight),
                    "spec.type": evidence(fact, RESOURCE_TYPES.get(tech, "resource"), weight),
                    "spec.owner": {**provenance["spec.owner"], "rule": f"owned like {unit.name}"},
                },
                unit.path,
            )
        )
    if refs:
        spec["dependsOn"] = refs
        provenance["spec.dependsOn"] = evidence(best[sorted(best)[0]][0], refs)
    return found
