"""Schema migrations: the head constant is Alembic's head, and the first schema still opens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from sp_desktop.services.workspace import Workspace
from sp_desktop.store import migrations
from sp_desktop.store.schema import attendance, people
from tests.conftest import give_consent

FIXTURE = Path(__file__).parent.parent / "data" / "stores" / "schema-0001"
FIXTURE_PASSPHRASE = "first schema fixture"


def test_head_revision_constant_matches_alembic() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_current_head() == migrations.HEAD_REVISION


def test_store_written_by_the_first_schema_opens_and_upgrades(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    ws = Workspace.open(folder, FIXTURE_PASSPHRASE)
    try:
        with ws.store.read() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
        [row] = ws.caseload.rows()
        assert row.name == "Siobhán Ó Briain"
        assert row.last_contact is not None and row.next_due is not None
        assert ws.wellbeing.history(row.person_id)[0].scores.anxiety is None
        assert ws.visits.steps_of(row.person_id)[0].words == "Go to the choir once"
        # The upgraded store keeps working: new edits, new outbox entries.
        ws.visits.add_step(row.person_id, "Ring the choir leader")
        assert len(ws.visits.steps_of(row.person_id)) == 2
        assert ws.store.integrity_report().ok
    finally:
        ws.close()


def test_released_revisions_constant_matches_alembic() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    listed = [r.revision for r in script.walk_revisions()]
    assert tuple(reversed(listed)) == migrations.REVISIONS


@pytest.mark.parametrize("revision", ["0002", "0003", "0004", "0005", "0006", "0007", "0008"])
def test_stores_written_by_later_releases_open_and_upgrade(tmp_path: Path, revision: str) -> None:
    """Made by that release's own code (tests/data/stores/make_old_schema_store.py)."""
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE.parent / f"schema-{revision}", folder)
    passphrase = f"schema {revision} fixture"
    before = Workspace.check(folder, passphrase)
    assert before.ok, before.problems
    assert f"Schema version: {revision}" in " ".join(before.findings)
    ws = Workspace.open(folder, passphrase)
    try:
        with ws.store.read() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
        rows = ws.caseload.rows()
        assert len(rows) == 4
        person = rows[0].person_id
        assert ws.people.get(person).family_name
        steps = len(ws.visits.steps_of(person))
        give_consent(ws, person)  # consent first: asked before the first new note
        ws.visits.add_step(person, "Ring the choir leader")
        assert len(ws.visits.steps_of(person)) == steps + 1
        assert ws.store.integrity_report().ok
    finally:
        ws.close()
    assert Workspace.check(folder, passphrase).ok


def test_a_store_of_schema_0008_gains_conditions_and_reads_an_old_stop_as_other(
    tmp_path: Path,
) -> None:
    """Migration 0009: nobody has conditions yet ('[]'), the session stopped in words only
    keeps its words and reads as "other"; conditions can be recorded once they agreed."""
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE.parent / "schema-0008", folder)
    ws = Workspace.open(folder, "schema 0008 fixture")
    try:
        with ws.store.read() as conn:
            held = {r.conditions for r in conn.execute(select(people.c.conditions))}
            stopped = conn.execute(
                select(attendance).where(attendance.c.status == "stopped")).mappings().one()
        assert held == {"[]"}
        assert stopped["stopped_because"] is None
        [session] = [s for s in ws.prescribing.attendance_of(stopped["prescription_id"])
                     if s.id == stopped["id"]]
        assert (session.stopped_because, session.reason) == (
            "other", "The bus no longer runs on Tuesdays")
        person = stopped["person_id"]
        give_consent(ws, person)
        ws.people.update(person, conditions=("hearing_loss", "arthritis"))
        assert ws.people.get(person).conditions == ("arthritis", "hearing_loss")
    finally:
        ws.close()
