"""Migration 0007: every ONS4 assessment of every released schema moves into `answers` unchanged.

Each fixture store was written by its release's own code (tests/data/stores/); the rows are
read from the file before it is upgraded, then compared field by field after.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sp_desktop.domain.measures import catalogue
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import migrations
from sp_desktop.store.database import _checker
from sp_desktop.store.files import database_path, keyfile_path
from sp_desktop.store.keyfile import KeyFile
from sp_desktop.store.schema import SYNCED_TABLES, answers, outbox
from sp_desktop.sync.protocol import TABLES

STORES = Path(__file__).parent.parent / "data" / "stores"
ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


def _passphrase(revision: str) -> str:
    return "first schema fixture" if revision == "0001" else f"schema {revision} fixture"


def _old_rows(folder: Path, passphrase: str, sql: str) -> list[dict[str, Any]]:
    """Rows read straight from the store as its release left it (nothing migrated)."""
    keyfile = KeyFile.load(keyfile_path(folder))
    data_key = keyfile.unwrap_with_passphrase(passphrase)
    conn = _checker(database_path(folder), data_key, keyfile.page_size)(True)
    try:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        conn.close()


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004", "0005", "0006"])
def test_every_ons4_assessment_moves_into_answers_losslessly(tmp_path: Path, revision: str) -> None:
    folder = tmp_path / "old"
    shutil.copytree(STORES / f"schema-{revision}", folder)
    passphrase = _passphrase(revision)
    before = _old_rows(folder, passphrase, "SELECT * FROM assessments ORDER BY id")
    assert before, "the fixture has assessments to move"
    ws = Workspace.open(folder, passphrase)
    try:
        with ws.store.read() as conn:
            assert migrations.current_revision(conn) == migrations.HEAD_REVISION
            after = {r["id"]: r for r in conn.execute(select(answers)).mappings()}
        assert len(after) == len(before)
        for old in before:
            new = after[old["id"]]
            assert new["measure"] == "ons4"
            assert new["person_id"] == old["person_id"]
            assert new["taken_on"].isoformat() == old["assessed_on"]
            assert new["context"] == old["context"]
            for name in ("created_at", "updated_at", "hlc", "origin_device"):
                assert new[name] == old[name]
            assert bool(new["deleted"]) == bool(old["deleted"])
            assert json.loads(new["answers"]) == {i: old[i] for i in ONS4_ITEMS}
            assert json.loads(new["versions"]).get("*") == json.loads(old["versions"]).get("*")
        # Declined answers stay declined (None), never zero: the fixtures hold some.
        person = next(iter(after.values()))["person_id"]
        history = ws.wellbeing.history(person)
        assert history and all(a.scores is not None for a in history)
        # The upgraded store records any measure.
        ws.wellbeing.record_answers(
            person, "ons_loneliness", {"lonely": 2}, on=history[-1].assessed_on
        )
        assert [s.measure for s in ws.wellbeing.sittings(person)][-1] == "ons_loneliness"
        assert ws.store.integrity_report().ok
    finally:
        ws.close()
    assert Workspace.check(folder, passphrase).ok


def test_assessments_waiting_in_the_outbox_are_sent_as_answers(tmp_path: Path) -> None:
    """A store updated before its ONS4 answers reached the office still sends them, rewritten."""
    folder = tmp_path / "old"
    shutil.copytree(STORES / "schema-0006", folder)
    passphrase = _passphrase("0006")
    waiting = _old_rows(
        folder, passphrase, "SELECT row_id, fields FROM outbox WHERE table_name = 'assessments'"
    )
    assert waiting, "the demo store's assessments are still waiting to be sent"
    ws = Workspace.open(folder, passphrase)
    try:
        with ws.store.read() as conn:
            queued = {
                r.row_id: json.loads(r.fields)
                for r in conn.execute(
                    select(outbox.c.row_id, outbox.c.fields).where(outbox.c.table_name == "answers")
                )
            }
            left = conn.execute(
                select(outbox.c.seq).where(outbox.c.table_name == "assessments")
            ).all()
        assert not left
        assert set(queued) == {w["row_id"] for w in waiting}
        ons4 = catalogue()["ons4"]
        for entry in waiting:
            old, new = json.loads(entry["fields"]), queued[entry["row_id"]]
            assert new["measure"] == "ons4" and new["taken_on"] == old["assessed_on"]
            assert json.loads(new["answers"]) == {i: old[i] for i in ONS4_ITEMS}
            ons4.check(json.loads(new["answers"]))
            assert "assessed_on" not in new and "happiness" not in new
    finally:
        ws.close()


def test_the_sync_table_list_matches_the_schema() -> None:
    """Every synced table of the store is in the protocol and the office's rules, and back."""
    from sp_desktop.domain.rows import ROWS

    synced = {t.name for t in SYNCED_TABLES}
    assert synced == set(TABLES) == set(ROWS)
    for table in SYNCED_TABLES:
        rules = ROWS[table.name]
        columns = {c.name for c in table.columns} - {
            "id",
            "created_at",
            "updated_at",
            "hlc",
            "versions",
            "deleted",
            "origin_device",
            "search_key",
        }
        assert columns == set(rules.fields), table.name


def test_a_change_from_a_laptop_not_yet_updated_is_taken_as_answers() -> None:
    """The office takes the previous schema's ONS4 change as the answers row it is, with the
    same fields and stamps the laptops' migration gives their own copies."""
    from sp_desktop.domain.changes import OpKind
    from sp_desktop.sync.protocol import ChangeOp

    stamp = "001767600000000-0000-dev1"
    old = ChangeOp(
        "op1",
        "assessments",
        "a1",
        "p1",
        OpKind.APPEND,
        {
            "person_id": "p1",
            "assessed_on": "2026-01-05",
            "context": "review",
            "life_satisfaction": 6,
            "worthwhile": None,
            "happiness": 5,
            "anxiety": 1,
        },
        {},
        stamp,
    )
    new = old.upgraded()
    assert (new.table, new.row_id, new.hlc, new.kind) == ("answers", "a1", stamp, OpKind.APPEND)
    assert new.fields == {
        "person_id": "p1",
        "taken_on": "2026-01-05",
        "context": "review",
        "measure": "ons4",
        "answers": '{"life_satisfaction":6,"worthwhile":null,"happiness":5,"anxiety":1}',
    }
    catalogue()["ons4"].check(json.loads(new.fields["answers"]))
    assert ChangeOp("op2", "people", "p1", "p1", OpKind.UPSERT, {}, {}, stamp).upgraded().table == (
        "people"
    )
