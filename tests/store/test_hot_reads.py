"""The reads made at every page open use an index, so their cost does not grow with the caseload
(an encrypted page read from disk must also be decrypted)."""

from __future__ import annotations

import pytest

from sp_desktop.services.workspace import Workspace


@pytest.mark.parametrize(
    "query",
    [
        # who cares for this person (every person's page asks)
        "SELECT id FROM people WHERE carer_of_id = ? AND deleted = 0",
        # the person themselves
        "SELECT * FROM people WHERE id = ? AND deleted = 0",
    ],
)
def test_opening_a_person_never_scans_the_people_table(workspace: Workspace, query: str) -> None:
    with workspace.store.read() as conn:
        plan = " | ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", ("x",)).all()
        )
    assert "SCAN people" not in plan, plan
    assert "USING" in plan, plan


def test_the_status_bar_finds_the_oldest_waiting_change_without_reading_them_all(
    workspace: Workspace,
) -> None:
    with workspace.store.read() as conn:
        plan = " | ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT count(*), min(created_at) FROM outbox").all()
        )
    assert "SCAN outbox USING COVERING INDEX" in plan or "SEARCH outbox" in plan, plan
