"""On PostgreSQL each statement is planned for its own values, even once the driver has prepared it: a plan kept
for one search term or filter value must not be reused for another (a common word's plan read every component
for a rare one)."""

from __future__ import annotations

from sqlalchemy import text

from callboard.storage.db import Database
from tests.support import postgres_database


def test_a_statement_run_many_times_is_still_planned_for_its_values() -> None:
    with postgres_database() as url:
        database = Database(url)
        try:
            with database.engine.connect() as connection:
                assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
                # Past psycopg's threshold the statement is prepared server-side; the setting still holds.
                for value in range(8):
                    connection.execute(text("SELECT :value"), {"value": value})
                prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
                assert prepared >= 1
                assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
        finally:
            database.dispose()
