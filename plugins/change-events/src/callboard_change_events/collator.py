"""Search finds recent change events by title and version; who may see one is decided by its entity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from callboard.sdk import SearchDocument
from callboard_change_events import store
from callboard_change_events.service import ChangeEvents

#: Most documents one collection gives (the newest); older events stay reachable through their pages.
MAX_DOCUMENTS = 20_000


class RecentChanges:
    type = "change-event"

    def __init__(self, service: Callable[[], ChangeEvents | None]) -> None:
        self._service = service

    def collect(self, catalog: Any) -> Iterator[SearchDocument]:
        service = self._service()
        if service is None or service.settings.search_days == 0:
            return
        since = service.context.now() - service.settings.search_days * 86400
        query = store.Query(since=since, limit=store.MAX_PAGE)
        given = 0
        while given < MAX_DOCUMENTS:
            batch = store.listed(service.context.database, query)
            for event in batch:
                refs = event["entityRefs"]
                if not refs:
                    continue  # unmatched: no entity decides who may read it, so search does not show it
                yield SearchDocument(
                    type=self.type,
                    key=event["id"],
                    title=event["title"],
                    text=" ".join(
                        part for part in (event["type"], event["version"], event["environment"], *refs) if part
                    ),
                    location=f"/change-events/events/{event['id']}",
                    keywords=" ".join(part for part in (event["version"], event["type"]) if part),
                    # Search checks this entity's read permission; the event page checks every entity's.
                    resource_ref=refs[0],
                    fields={"changeType": event["type"], "time": event["time"], "version": event["version"]},
                )
                given += 1
            if len(batch) < query.limit:
                return
            query = store.Query(since=since, limit=store.MAX_PAGE, after=int(batch[-1]["id"]))
