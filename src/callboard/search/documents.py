"""What gets indexed: search documents built from catalog entities and from built TechDocs sites.

Document fields follow Backstage's collators (``software-catalog`` and ``techdocs``) so results carry over
to its search API; ``keywords`` is ours: the words a person would use to name the thing (its name, kind,
type, owner, tags), weighted between the title and the prose.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

CATALOG = "software-catalog"
TECHDOCS = "techdocs"

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchDocument:
    """One thing search can find. ``key`` is unique within ``type``; ``resource_ref`` is the entity whose
    read permission decides who may see it (None: everyone signed in)."""

    type: str
    key: str
    title: str
    text: str
    location: str
    keywords: str = ""
    resource_ref: str | None = None
    kind: str | None = None
    owner: str | None = None
    lifecycle: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        """The ``document`` of a search API result: title, text, location and the collator's extra fields."""
        return {"title": self.title, "text": self.text, "location": self.location, **self.fields}


def _short(ref: str) -> str:
    """``group:default/payments`` → ``payments``: the words people type."""
    return ref.rsplit("/", 1)[-1].split(":", 1)[-1]


def entity_location(namespace: str, kind: str, name: str) -> str:
    return f"/catalog/{namespace}/{kind}/{name}".lower()


def entity_fields(entity: Mapping[str, Any]) -> dict[str, Any]:
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    kind = str(entity.get("kind", ""))
    owner = spec.get("owner") if isinstance(spec.get("owner"), str) else None
    # The stitched relation holds the owner as a full ref, whatever shorthand the descriptor used.
    for relation in entity.get("relations") or []:
        if isinstance(relation, Mapping) and relation.get("type") == "ownedBy" and relation.get("targetRef"):
            owner = str(relation["targetRef"])
            break
    return {
        "kind": kind,
        "namespace": str(metadata.get("namespace") or "default"),
        "name": str(metadata.get("name", "")),
        "type": str(spec.get("type") or "other") if isinstance(spec.get("type", ""), str) else "other",
        "lifecycle": spec.get("lifecycle") if isinstance(spec.get("lifecycle"), str) else None,
        "owner": owner,
    }


def _facets(facts: Mapping[str, Any]) -> dict[str, str | None]:
    """The filterable columns, lower-cased as filters compare them."""
    return {
        "kind": str(facts["kind"]).lower(),
        "owner": str(facts["owner"] or "").lower() or None,
        "lifecycle": str(facts["lifecycle"] or "").lower() or None,
    }


def entity_document(entity: Mapping[str, Any], ref: str) -> SearchDocument:
    """The ``software-catalog`` document of an entity (``ref`` is its lower-cased entity ref)."""
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    facts = entity_fields(entity)
    name = facts["name"]
    title = str(metadata.get("title") or name)
    profile: Mapping[str, Any] = spec["profile"] if isinstance(spec.get("profile"), Mapping) else {}
    text_parts = [str(metadata.get("description") or "")]
    if facts["kind"].lower() in ("user", "group"):
        text_parts += [str(profile.get("displayName") or ""), str(profile.get("email") or "")]
    tags = [str(tag) for tag in metadata.get("tags") or [] if isinstance(tag, str | int)]
    system = spec.get("system") if isinstance(spec.get("system"), str) else None
    keywords = [
        name,
        str(profile.get("displayName") or ""),  # what people call a team or a person: a name, not prose
        facts["kind"],
        facts["type"] if facts["type"] != "other" else "",
        _short(facts["owner"]) if facts["owner"] else "",
        _short(system) if system else "",
        *tags,
    ]
    return SearchDocument(
        type=CATALOG,
        key=ref,
        title=title,
        text=" : ".join(part for part in text_parts if part),
        location=entity_location(facts["namespace"], facts["kind"], name),
        keywords=" ".join(word for word in keywords if word),
        resource_ref=ref,
        **_facets(facts),
        fields={
            "kind": facts["kind"],
            "namespace": facts["namespace"],
            "name": name,
            "type": facts["type"],
            "componentType": facts["type"],
            "lifecycle": facts["lifecycle"] or "",
            "owner": facts["owner"] or "",
            "tags": tags,
        },
    )


def plain(text: str) -> str:
    """Index text as MkDocs writes it, without markup or heading anchors."""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text)).replace("¶", " ")).strip()


def docs_documents(entity: Mapping[str, Any], ref: str, search_index: Mapping[str, Any]) -> Iterator[SearchDocument]:
    """``techdocs`` documents from a site's ``search/search_index.json``: one per page and per section.

    MkDocs indexes each page twice (the whole page, then each section), which is why Backstage shows the
    same text several times (#24918). Here a page with sections is a document with its title only (so a
    search for the page's name finds it; a preview is kept to show, not to search) and each section holds
    its own text; sections with nothing but a heading are left out.
    """
    facts = entity_fields(entity)
    entity_title = str((entity.get("metadata") or {}).get("title") or facts["name"])
    base = entity_location(facts["namespace"], facts["kind"], facts["name"]) + "/docs/"
    entries = [entry for entry in search_index.get("docs") or [] if isinstance(entry, Mapping)]
    page_titles = {
        str(e.get("location", "")): plain(str(e.get("title", "")))
        for e in entries
        if "#" not in str(e.get("location", ""))
    }
    section_texts: dict[str, list[str]] = {}
    for entry in entries:
        location = str(entry.get("location", ""))
        if "#" in location:
            section_texts.setdefault(location.split("#", 1)[0], []).append(plain(str(entry.get("text", ""))))
    for entry in entries:
        location = str(entry.get("location", ""))
        title = plain(str(entry.get("title", "")))
        text = plain(str(entry.get("text", "")))
        page, _, anchor = location.partition("#")
        preview = ""
        if anchor:
            if not text:
                continue
            page_title = page_titles.get(page, "") if page else f"{entity_title} docs"
            heading = title if not page_title or page_title == title else f"{page_title} › {title}"
        else:
            # The front page is titled "Home" in most sites; the entity's name says more in a result list.
            heading = f"{entity_title} docs" if not page else title
            # A page with sections is found by its title; its sections hold the searchable text. Its first
            # words are kept (not indexed) to show under the title.
            sections = [part for part in section_texts.get(page, []) if part]
            preview = _preview(sections[0]) if sections else ""
            text = "" if sections else _without_heading(text, title)
        yield SearchDocument(
            type=TECHDOCS,
            key=f"{ref}#{location}",
            title=heading,
            text=text,
            location=base + location,
            keywords=f"{entity_title} {facts['name']}",
            resource_ref=ref,
            **_facets(facts),
            fields={
                "kind": facts["kind"],
                "namespace": facts["namespace"],
                "name": facts["name"],
                "path": location,
                "entityTitle": entity_title,
                **({"preview": preview} if not anchor and preview else {}),
                "componentType": facts["type"],
                "type": facts["type"],
                "lifecycle": facts["lifecycle"] or "",
                "owner": facts["owner"] or "",
            },
        )


def _preview(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit)] + "…"


def _without_heading(text: str, title: str) -> str:
    return text[len(title) :].strip() if text.startswith(title) else text
