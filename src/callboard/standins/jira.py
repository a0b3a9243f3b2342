"""Jira's REST API as the Jira plugin uses it, in both flavours: Jira Cloud (v3, basic auth with an e-mail and an
API token, the enhanced search ``GET /rest/api/3/search/jql`` paged by ``nextPageToken``) and Data Center (v2,
a personal access token as bearer, ``GET /rest/api/2/search`` with ``total``); a project, and ``myself``.

JQL is understood as far as the plugin writes it: clauses ``field = "v"``, ``!=``, ``in ("a", "b")`` and
``updated >= -14d`` joined by AND, then ORDER BY. Anything else is answered as Jira answers bad JQL (400 with
``errorMessages``), so a change to the plugin's queries that this does not understand fails its tests.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callboard.standins.base import Vendor, error, iso, seeded

TYPES = (("Bug", 1), ("Story", 3), ("Task", 3), ("Epic", 1))
STATUSES = (
    ("To Do", "new", "To Do"),
    ("In Progress", "indeterminate", "In Progress"),
    ("In Review", "indeterminate", "In Progress"),
    ("Done", "done", "Done"),
)
PRIORITIES = ("Highest", "High", "Medium", "Low")
PEOPLE = ("Amara Okafor", "Lena Fischer", "Tom Becker", "Priya Nair", None)
SUMMARIES = (
    "Quotes time out when a carrier is slow",
    "Show the carrier's logo on the booking page",
    "Retry failed label prints",
    "Move rate tables to the new database",
    "Alert when the scan backlog grows",
    "Document the booking API's errors",
    "Upgrade to Python 3.12",
    "Cache carrier rates for five minutes",
    "Customs form misses the HS code",
    "Split the tracking consumer by region",
    "Add an ETA confidence band",
    "Remove the legacy CSV export",
)
CLAUSE = re.compile(
    r'\s*(\w+)\s*(!=|>=|=|\bin\b)\s*("(?:[^"\\]|\\.)*"|\((?:[^)"]|"(?:[^"\\]|\\.)*")*\)|-?\w+)\s*', re.I
)
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Issue:
    key: str
    summary: str
    type: str
    status: str
    priority: str
    assignee: str | None
    updated: float
    created: float
    components: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class Project:
    key: str
    name: str
    issues: list[Issue] = field(default_factory=list)


class Jira(Vendor):
    name = "jira"

    def __init__(self) -> None:
        super().__init__()
        self.projects: dict[str, Project] = {}

    def unauthorised(self) -> Response:
        return error(
            401,
            {
                "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                "errors": {},
            },
        )

    def limited(self) -> Response:
        wait = int(self.limited_until - self.clock()) + 1
        return JSONResponse(
            {"errorMessages": ["Rate limit exceeded."], "errors": {}},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )

    @staticmethod
    def basic(email: str, token: str) -> str:
        return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()

    def add_project(self, key: str, name: str, components: tuple[str, ...] = (), count: int = 24) -> Project:
        pick = seeded("jira", key)
        now = self.clock()
        project = Project(key, name)
        for index in range(count):
            kind = pick.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
            status = pick.choices([s[0] for s in STATUSES], [3, 2, 1, 3])[0]
            updated = now - pick.randint(600, 30 * 86400)
            project.issues.append(
                Issue(
                    key=f"{key}-{120 - index}",
                    summary=pick.choice(SUMMARIES),
                    type=kind,
                    status=status,
                    priority=pick.choice(PRIORITIES),
                    assignee=pick.choice(PEOPLE),
                    updated=updated,
                    created=updated - pick.randint(86400, 20 * 86400),
                    components=[pick.choice(components)] if components else [],
                    labels=pick.sample(["customer", "tech-debt", "security", "ops"], k=pick.randint(0, 2)),
                )
            )
        self.projects[key] = project
        return project

    # -- JQL ----------------------------------------------------------------------------------------------------

    def select(self, jql: str) -> list[Issue]:
        where, _, order = jql.partition(" ORDER BY ")
        clauses = [part for part in re.split(r"\s+AND\s+", where.strip()) if part]
        issues: list[Issue] | None = None
        tests = []
        for clause in clauses:
            match = CLAUSE.fullmatch(clause)
            if match is None:
                raise ValueError(f"Error in the JQL Query: cannot read '{clause}'")
            name, operator, raw = match.group(1).lower(), match.group(2).lower(), match.group(3)
            values = [_unquote(v) for v in QUOTED.findall(raw)] if raw.startswith(("(", '"')) else [raw]
            if name == "project":
                project = self.projects.get(values[0])
                if project is None:
                    raise LookupError(f"The value '{values[0]}' does not exist for the field 'project'.")
                issues = list(project.issues)
            else:
                tests.append(_test(name, operator, values, self.clock()))
        if issues is None:
            raise ValueError("The plugin's queries always name a project")
        found = [issue for issue in issues if all(test(issue) for test in tests)]
        for term in reversed([t.strip() for t in order.split(",") if t.strip()]):
            key, _, direction = term.partition(" ")
            if key.lower() not in ("updated", "priority", "created"):
                raise ValueError(f"Error in the JQL Query: cannot order by '{key}'")
            reverse = direction.strip().upper() == "DESC"
            if key.lower() == "priority":
                found.sort(key=lambda issue: -PRIORITIES.index(issue.priority), reverse=reverse)
            else:
                found.sort(key=lambda issue: getattr(issue, key.lower()), reverse=reverse)
        return found

    def issue_json(self, issue: Issue, version: str) -> dict[str, Any]:
        status = next(s for s in STATUSES if s[0] == issue.status)
        category_key = {"new": 2, "indeterminate": 4, "done": 3}[status[1]]
        assignee = None
        if issue.assignee:
            account = issue.assignee.lower().replace(" ", ".")
            assignee = {"displayName": issue.assignee, "accountId" if version == "3" else "name": account}
        return {
            "id": str(abs(hash(issue.key)) % 100000),
            "key": issue.key,
            "self": f"https://northwind.atlassian.net/rest/api/{version}/issue/{issue.key}",
            "fields": {
                "summary": issue.summary,
                "issuetype": {"name": issue.type, "subtask": False},
                "status": {
                    "name": issue.status,
                    "statusCategory": {"id": category_key, "key": status[1], "name": status[2]},
                },
                "priority": {"name": issue.priority},
                "assignee": assignee,
                "updated": iso(issue.updated).replace("Z", ".000+0000"),
                "created": iso(issue.created).replace("Z", ".000+0000"),
                "components": [{"name": name} for name in issue.components],
                "labels": issue.labels,
            },
        }

    # -- routes -------------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        guarded = self.guarded
        return Starlette(
            routes=[
                Route("/rest/api/3/search/jql", guarded(self.search_cloud), methods=["GET"]),
                Route("/rest/api/2/search", guarded(self.search_server), methods=["GET"]),
                Route("/rest/api/{version}/project/{key}", guarded(self.project), methods=["GET"]),
                Route("/rest/api/{version}/myself", guarded(self.myself), methods=["GET"]),
            ]
        )

    def _search(self, request: Request) -> list[Issue] | Response:
        try:
            return self.select(request.query_params.get("jql", ""))
        except (ValueError, LookupError) as problem:
            return error(400, {"errorMessages": [str(problem)], "warningMessages": []})

    async def search_cloud(self, request: Request) -> Response:
        found = self._search(request)
        if isinstance(found, Response):
            return found
        start = int(request.query_params.get("nextPageToken") or 0)
        most = min(100, int(request.query_params.get("maxResults", "50")))
        page = found[start : start + most]
        body: dict[str, Any] = {
            "issues": [self.issue_json(issue, "3") for issue in page],
            "isLast": start + most >= len(found),
        }
        if not body["isLast"]:
            body["nextPageToken"] = str(start + most)
        return JSONResponse(body)

    async def search_server(self, request: Request) -> Response:
        found = self._search(request)
        if isinstance(found, Response):
            return found
        start = int(request.query_params.get("startAt", "0"))
        most = min(100, int(request.query_params.get("maxResults", "50")))
        issues = [self.issue_json(issue, "2") for issue in found[start : start + most]]
        return JSONResponse(
            {"expand": "schema,names", "startAt": start, "maxResults": most, "total": len(found), "issues": issues}
        )

    async def project(self, request: Request) -> Response:
        project = self.projects.get(request.path_params["key"])
        if project is None:
            return error(
                404,
                {
                    "errorMessages": [f"No project could be found with key '{request.path_params['key']}'."],
                    "errors": {},
                },
            )
        version = request.path_params["version"]
        return JSONResponse(
            {
                "id": str(abs(hash(project.key)) % 100000),
                "key": project.key,
                "name": project.name,
                "self": f"https://northwind.atlassian.net/rest/api/{version}/project/{project.key}",
                "projectTypeKey": "software",
                "avatarUrls": {},
            }
        )

    async def myself(self, request: Request) -> Response:
        return JSONResponse(
            {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Callboard service account", "active": True}
        )


def _unquote(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


def _test(name: str, operator: str, values: list[str], now: float) -> Any:
    if name == "statuscategory" and operator in ("=", "!="):
        wanted = values[0].lower()
        same = operator == "="
        return lambda issue: (next(s for s in STATUSES if s[0] == issue.status)[2].lower() == wanted) == same
    if name == "component" and operator == "in":
        return lambda issue: any(value in issue.components for value in values)
    if name == "labels" and operator == "in":
        return lambda issue: any(value in issue.labels for value in values)
    if name == "updated" and operator == ">=" and re.fullmatch(r"-\d+d", values[0]):
        since = now - int(values[0][1:-1]) * 86400
        return lambda issue: issue.updated >= since
    raise ValueError(f"Error in the JQL Query: the stand-in does not read '{name} {operator}'")
