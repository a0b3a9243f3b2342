"""The CI/CD tab, the pipeline card and Retry against a local GitLab speaking REST v4's pipelines and jobs."""

from __future__ import annotations

import time
from typing import Any

import httpx

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import TOKEN

PAGE = "/catalog/default/component/label-printer"
TAB = f"{PAGE}/tabs/gitlab-ci"
ENTITY = "component:default/label-printer"
PROJECT = "northwind/platform/label-printer"


def _pipelines(client: httpx.Client, entity: str = ENTITY, **params: Any) -> dict[str, Any]:
    response = client.get("/api/gitlab-ci/pipelines", params={"entity": entity, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_tab_lists_pipelines_filters_them_and_opens_one_with_jobs_by_stage(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    assert 'hx-get="/catalog/default/component/label-printer/tabs/gitlab-ci"' in client.get(f"{PAGE}/gitlab-ci").text
    project = vendors.gitlab.project(PROJECT)
    tab = client.get(TAB)
    assert tab.status_code == 200, tab.text
    newest = max(project.pipelines, key=lambda p: p.created)
    assert f"#{newest.iid}</a>" in tab.text
    on_main = _pipelines(client, branch="main")
    assert on_main["pipelines"] and {p["ref"] for p in on_main["pipelines"]} == {"main"}
    failed = _pipelines(client, status="failed")["pipelines"]
    assert failed and {p["status"] for p in failed} == {"failed"}

    detail = client.get(TAB, params={"pipeline": failed[0]["id"]})
    order = [detail.text.index(f"<h3>{stage}</h3>") for stage in ("build", "test", "deploy")]
    assert order == sorted(order)  # stages in the order the pipeline runs them
    assert ">Retry</button>" in detail.text
    assert any(PROJECT.replace("/", "%2F") in call or PROJECT in call for call in vendors.gitlab.calls)
    card = client.get(f"{PAGE}/cards/gitlab-ci")
    assert "Latest on <strong>main</strong>" in card.text


def test_retry_is_sent_audited_and_refused_where_not_granted(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    failed = _pipelines(client, status="failed")["pipelines"][0]
    done = client.post(f"/api/gitlab-ci/pipelines/{failed['id']}/retry", params={"entity": ENTITY})
    assert done.status_code == 202, done.text
    assert vendors.gitlab.retries == [(PROJECT, failed["id"])]
    again = client.get(f"/api/gitlab-ci/pipelines/{failed['id']}", params={"entity": ENTITY}).json()
    assert again["pipeline"]["status"] == "pending"

    theirs = vendors.gitlab.project("northwind/theirs").pipelines[0]
    detail = client.get("/catalog/default/component/theirs/tabs/gitlab-ci", params={"pipeline": theirs.id})
    assert "Retry</button>" not in detail.text
    refused = client.post(f"/api/gitlab-ci/pipelines/{theirs.id}/retry", params={"entity": "component:default/theirs"})
    assert refused.status_code == 403
    hidden = client.post("/api/gitlab-ci/pipelines/1/retry", params={"entity": "component:default/hidden"})
    assert hidden.status_code == 404
    assert len(vendors.gitlab.retries) == 1
    outcomes = [entry["details"]["outcome"] for entry in portal.audit_entries(actions=["gitlab-ci.pipeline.retry"])]
    assert sorted(outcomes) == ["denied", "ok"]


def test_shared_calls_stale_since_bad_annotation_and_a_refused_token(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    for _ in range(4):
        client.get(TAB)
    assert sum(count for call, count in vendors.gitlab.calls.items() if call.endswith("/pipelines")) == 1
    portal.clock.advance(61)
    vendors.gitlab.limited_until = time.time() + 300
    stale = _pipelines(client)
    assert stale["pipelines"] and "GitLab is limiting our calls (HTTP 429)" in stale["problem"]
    vendors.gitlab.limited_until = 0
    assert "not group/project" in client.get("/catalog/default/component/bad-project/tabs/gitlab-ci").text
    vendors.gitlab.credentials = {"another"}
    health = client.get("/admin/plugins/gitlab-ci/health").text
    assert "GitLab refused the portal&#39;s credential (HTTP 401)" in health
    for text in (health, client.get(TAB).text, client.get(PAGE).text):
        assert TOKEN not in text
