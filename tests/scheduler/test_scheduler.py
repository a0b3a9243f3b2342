"""Scheduled tasks on SQLite and a real PostgreSQL: a global task runs once across replicas, a dead replica's
lease runs out and another takes over, local tasks run everywhere, and every run is kept with its outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from callboard.auth.config import PermissionConfig
from callboard.auth.policy import Access, ConfigPolicy
from callboard.core.errors import InputError, NotAllowedError, NotFoundError
from callboard.core.identity import Identity
from callboard.core.permissions import SYSTEM
from callboard.plugins.backend import ScheduledTask
from callboard.scheduler import store
from callboard.scheduler.service import LEASE_MARGIN_SECONDS, Scheduler, next_time
from callboard.sdk.testing import FakeClock
from callboard.storage.db import Database
from tests.support import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as migrated:
        yield migrated


def caller(subject: str, *, may_run: bool) -> Access:
    """A caller as the portal's policy sees them: ``may_run`` by a rule granting ``scheduler.task.run``."""
    rules = [{"permission": "scheduler.task.run", "principals": [subject]}] if may_run else []
    policy = ConfigPolicy(PermissionConfig.model_validate({"rules": rules, "defaultDecision": "deny"}))
    return Access(Identity("user", subject), policy)


class Counter:
    def __init__(self, pause: float = 0.0, fail: bool = False) -> None:
        self.calls = 0
        self.pause = pause
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.calls += 1
        time.sleep(self.pause)
        if self.fail:
            raise RuntimeError("the upstream said no")


def test_a_global_task_runs_once_across_replicas(database: Database) -> None:
    clock = FakeClock()
    work = Counter(pause=0.3)
    replicas = [Scheduler(database, clock=clock, replica=f"r{i}") for i in range(3)]
    for replica in replicas:
        replica.add("acme", ScheduledTask("acme.sync", work, every_seconds=60))
    barrier = threading.Barrier(len(replicas))

    def round_of(replica: Scheduler) -> None:
        barrier.wait()
        replica.run_due()

    threads = [threading.Thread(target=round_of, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.wait_idle()
    assert work.calls == 1
    runs = replicas[0].status()[0].runs
    assert [(run.status, run.error) for run in runs] == [("succeeded", None)]
    # Not due again until its interval has passed, on any replica.
    assert all(replica.run_due() == [] for replica in replicas)
    clock.advance(61)
    assert sum(len(replica.run_due()) for replica in replicas) == 1
    for replica in replicas:
        replica.wait_idle()
    assert work.calls == 2


def test_a_dead_replicas_lease_runs_out_and_another_replica_takes_the_task(database: Database) -> None:
    clock = FakeClock()
    work = Counter()
    task = ScheduledTask("acme.sync", work, every_seconds=60, timeout_seconds=10)
    survivor = Scheduler(database, clock=clock, replica="survivor")
    survivor.add("acme", task)
    with database.transaction() as connection:  # a replica took the lease and died before finishing
        assert store.take_lease(connection, "acme.sync", "dead", clock(), clock() + 10 + LEASE_MARGIN_SECONDS)
    assert survivor.run_due() == []
    clock.advance(10 + LEASE_MARGIN_SECONDS + 1)
    assert survivor.run_due() == ["acme.sync"]
    survivor.wait_idle()
    assert work.calls == 1 and survivor.status()[0].runs[0].replica == "survivor"


def test_local_tasks_run_on_every_replica(database: Database) -> None:
    clock = FakeClock()
    work = Counter()
    replicas = [Scheduler(database, clock=clock, replica=f"r{i}") for i in range(2)]
    for replica in replicas:
        replica.add("acme", ScheduledTask("acme.cache", work, every_seconds=30, scope="local"))
        replica.run_due()
        replica.wait_idle()
    assert work.calls == 2


def test_failures_and_timeouts_are_recorded_and_the_schedule_goes_on(database: Database) -> None:
    clock = FakeClock()
    scheduler = Scheduler(database, clock=clock, replica="r")
    scheduler.add("acme", ScheduledTask("acme.fails", Counter(fail=True), every_seconds=60))
    scheduler.add("acme", ScheduledTask("acme.slow", Counter(pause=2), every_seconds=60, timeout_seconds=0.2))
    assert sorted(scheduler.run_due()) == ["acme.fails", "acme.slow"]
    scheduler.wait_idle()
    outcomes = {status.id: (status.runs[0].status, status.runs[0].error) for status in scheduler.status()}
    assert outcomes == {
        "acme.fails": ("failed", "RuntimeError: the upstream said no"),
        "acme.slow": ("timed out", "still running after 0.2 s"),
    }
    clock.advance(61)
    assert sorted(scheduler.run_due()) == ["acme.fails", "acme.slow"]
    scheduler.wait_idle()


def test_a_run_by_hand_is_recorded_with_who_asked(database: Database) -> None:
    scheduler = Scheduler(database, clock=FakeClock(), replica="r")
    work = Counter()
    scheduler.add("acme", ScheduledTask("acme.sync", work, every_seconds=3600, initial_delay_seconds=3600))
    assert scheduler.run_due() == []
    run = scheduler.run_now("acme.sync", by="user:default/ops")
    assert (run.status, run.triggered_by, work.calls) == ("succeeded", "user:default/ops", 1)
    with pytest.raises(NotFoundError, match=r"No scheduled task 'acme\.nope'; known: acme\.sync"):
        scheduler.trigger("acme.nope", SYSTEM)
    with pytest.raises(
        NotAllowedError, match=r"user:default/intern may not run scheduled tasks \(scheduler.task.run\)"
    ):
        scheduler.trigger("acme.sync", caller("user:default/intern", may_run=False))
    assert [r.triggered_by for r in scheduler.status()[0].runs] == ["user:default/ops"]


def test_cron_schedules_and_bad_schedules(database: Database) -> None:
    nightly = ScheduledTask("acme.nightly", Counter(), cron="30 2 * * *")
    assert next_time(nightly, 1_767_225_600.0) == 1_767_225_600.0 + 2.5 * 3600  # 02:30 UTC that day
    scheduler = Scheduler(database, clock=FakeClock(), replica="r")
    with pytest.raises(InputError, match="exactly one of every_seconds or cron"):
        scheduler.add("acme", ScheduledTask("acme.both", Counter(), every_seconds=5, cron="* * * * *"))
    with pytest.raises(InputError, match="'every tuesday' is not a five-field cron expression"):
        scheduler.add("acme", ScheduledTask("acme.bad", Counter(), cron="every tuesday"))
    scheduler.add("acme", ScheduledTask("acme.once", Counter(), every_seconds=5))
    with pytest.raises(InputError, match="registered by both acme and other"):
        scheduler.add("other", ScheduledTask("acme.once", Counter(), every_seconds=5))


def test_who_asked_for_a_run_is_recorded_on_the_replica_that_runs_it(database: Database) -> None:
    clock = FakeClock()
    asked, runs_it = (Scheduler(database, clock=clock, replica=name) for name in ("web", "worker"))
    for scheduler in (asked, runs_it):
        scheduler.add("acme", ScheduledTask("acme.sync", Counter(), every_seconds=3600, initial_delay_seconds=3600))
    asked.trigger(
        "acme.sync", caller("user:default/ops", may_run=True)
    )  # the Run now button, on a replica without a worker
    assert runs_it.run_due() == ["acme.sync"]
    runs_it.wait_idle()
    run = runs_it.status()[0].runs[0]
    assert (run.replica, run.triggered_by, run.status) == ("worker", "user:default/ops", "succeeded")
    assert asked.run_due() == [] and runs_it.run_due() == []  # the request was used up
