"""The timeline picture: time across, one lane per type (or environment), each change a mark linking to it.

Deployments are diamonds, incidents triangles in the alert colour, everything else dots; the SVG is drawn
here, on the server, so pages need no script and no chart library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from markupsafe import Markup

from callboard_change_events.model import INCIDENT_TYPES, TYPES, parse_time

WIDTH = 960
LANE = 28
LEFT = 150
RIGHT = 16
TOP = 22


def svg(
    events: Sequence[Mapping[str, Any]],
    *,
    since: float,
    until: float,
    lanes_by: str = "type",
    marker: float | None = None,
) -> Markup:
    """An SVG of ``events`` between ``since`` and ``until``; ``marker`` draws a line at a moment (an incident)."""
    lanes = _lanes(events, lanes_by)
    height = TOP + LANE * max(1, len(lanes)) + 24
    span = max(until - since, 1.0)
    plot = WIDTH - LEFT - RIGHT

    def x(moment: float) -> float:
        return LEFT + plot * min(max((moment - since) / span, 0.0), 1.0)

    parts = [
        f'<svg class="change-timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="Timeline of {len(events)} changes" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, lane in enumerate(lanes):
        y = TOP + LANE * index + LANE / 2
        parts.append(f'<line class="lane" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
        parts.append(f'<text class="lane-label" x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{escape(lane)}</text>')
    for tick, label in _ticks(since, until):
        parts.append(f'<line class="tick" x1="{x(tick):.1f}" y1="{TOP - 6}" x2="{x(tick):.1f}" y2="{height - 20}"/>')
        parts.append(f'<text class="tick-label" x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle">{label}</text>')
    if marker is not None:
        parts.append(
            f'<line class="marker" x1="{x(marker):.1f}" y1="{TOP - 10}" x2="{x(marker):.1f}" y2="{height - 20}"/>'
        )
    lane_index = {lane: index for index, lane in enumerate(lanes)}
    for event in events:
        moment = parse_time(event["time"], "time")
        cx, cy = x(moment), TOP + LANE * lane_index[_lane_of(event, lanes_by)] + LANE / 2
        title = escape(f"{event['time'][:16].replace('T', ' ')} · {event['type']} · {event['title']}")
        mark = _mark(str(event["type"]), cx, cy)
        href = escape(str(event.get("url") or f"/change-events/events/{event['id']}"))
        parts.append(f'<a href="{href}"><title>{title}</title>{mark}</a>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _mark(change_type: str, cx: float, cy: float) -> str:
    css = f"mark type-{escape(change_type)}"
    if change_type == "deployment":
        diamond = f"M{cx:.1f} {cy - 8:.1f} L{cx + 8:.1f} {cy:.1f} L{cx:.1f} {cy + 8:.1f} L{cx - 8:.1f} {cy:.1f} Z"
        return f'<path class="{css}" d="{diamond}"/>'
    if change_type in INCIDENT_TYPES:
        return (
            f'<path class="{css}" d="M{cx:.1f} {cy - 8:.1f} L{cx + 8:.1f} {cy + 7:.1f} L{cx - 8:.1f} {cy + 7:.1f} Z"/>'
        )
    return f'<circle class="{css}" cx="{cx:.1f}" cy="{cy:.1f}" r="5"/>'


def _lane_of(event: Mapping[str, Any], lanes_by: str) -> str:
    if lanes_by == "entity":
        refs = event.get("entityRefs") or ["(no entity)"]
        return str(refs[0]).split("/", 1)[-1]
    if lanes_by == "environment":
        return str(event.get("environment") or "(no environment)")
    return str(event["type"])


def _lanes(events: Sequence[Mapping[str, Any]], lanes_by: str) -> list[str]:
    present = {_lane_of(event, lanes_by) for event in events}
    if lanes_by == "type":
        return [name for name in TYPES if name in present]
    return sorted(present)


def _ticks(since: float, until: float) -> list[tuple[float, str]]:
    """About six ticks on whole hours or days, labelled as people read them."""
    span = until - since
    step = next(
        (s for s in (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400) if span / s <= 8), 30 * 86400
    )
    first = (int(since) // step + 1) * step
    fmt = "%H:%M" if step < 86400 else "%d %b"
    return [
        (moment, datetime.fromtimestamp(moment, UTC).strftime(fmt)) for moment in range(first, int(until) + 1, step)
    ]
