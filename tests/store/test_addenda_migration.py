"""Migration 0005 (corrections of signed visits as addenda) on a store the 0004 release wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import func, select

from sp_desktop.domain.choices import VisitStatus
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import migrations
from sp_desktop.store.schema import outbox, visit_addenda
from tests.conftest import give_consent

FIXTURE = Path(__file__).parent.parent / "data" / "stores" / "schema-0004"
PASSPHRASE = "schema 0004 fixture"


def test_a_store_of_schema_0004_takes_corrections_of_its_signed_visits(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    before = Workspace.check(folder, PASSPHRASE)
    assert before.ok, before.problems
    assert "Schema version: 0004" in " ".join(before.findings)
    ws = Workspace.open(folder, PASSPHRASE)
    try:
        with ws.store.read() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION  # 0005 and on
            assert conn.execute(select(func.count()).select_from(visit_addenda)).scalar() == 0
        person = ws.caseload.rows()[0].person_id
        signed = next(v for v in ws.visits.of_person(person) if v.status is VisitStatus.SIGNED)
        give_consent(ws, person)  # consent first: asked before the first new note
        ws.visits.add_addendum(signed.id, "Her daughter's name is Maria, not Marie.")

        record = ws.visits.get(signed.id)
        assert record.visit == signed, "the signed visit itself is untouched"
        (addendum,) = record.addenda
        assert (addendum.words, addendum.written_by) == (
            "Her daughter's name is Maria, not Marie.", ws.adviser)
        with ws.store.read() as conn:
            queued = conn.execute(
                select(outbox.c.kind, outbox.c.fields).where(outbox.c.row_id == addendum.id)
            ).one()
        assert queued.kind == "append"
        assert json.loads(queued.fields)["visit_id"] == signed.id
        assert ws.store.integrity_report().ok
    finally:
        ws.close()
    assert Workspace.check(folder, PASSPHRASE).ok
