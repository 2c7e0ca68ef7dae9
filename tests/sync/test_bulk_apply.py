"""Pulled pages of new rows go to the driver's executemany as ready tuples. Stored exactly as
the row-by-row SQLAlchemy insert stored them (every table of a demo caseload, and the awkward
values: missing fields, None in a NOT NULL column, unreadable dates and numbers, flags), and a
page cut before its commit leaves neither rows nor cursor behind."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from sp_desktop.services.demo import populate
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import SYNC_COLUMNS, TABLES_BY_NAME
from sp_desktop.sync import local
from sp_desktop.sync.protocol import TABLES, PulledRow
from tests.conftest import FAST_KDF, PASSPHRASE

STAMP = "000001767225600000-0000-laptopa"


def _store(folder: Path) -> Workspace:
    ws, _ = Workspace.create(
        folder, PASSPHRASE, adviser="Ada Adviser", team="North", params=FAST_KDF
    )
    return ws


def _wire(table: str, raw: dict[str, Any], seq: int) -> dict[str, Any]:
    """A stored row as the office sends it (dates as ISO text, the row's stamps as a dict)."""
    fields = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in raw.items()
        if k not in SYNC_COLUMNS and k != "search_key"
    }
    return {
        "table": table,
        "row": raw["id"],
        "person": raw.get("person_id"),
        "fields": fields,
        "versions": orjson.loads(raw["versions"]),
        "deleted": bool(raw["deleted"]),
        "hlc": raw["hlc"],
        "seq": seq,
        "origin": raw["origin_device"],
        "created_at": raw["created_at"],
        "updated_at": raw["updated_at"],
    }


def _raw_rows(ws: Workspace, table: str) -> list[tuple[Any, ...]]:
    with ws.store.read() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY id')]


def _apply(ws: Workspace, changes: list[dict[str, Any]], cursor: int) -> local.Applied:
    with local.sync_transaction(ws.store) as conn:
        return local.apply_answer(
            conn,
            sent=[],
            acks=[],
            changes=changes,
            logged=[],
            cursor=cursor,
            resolved_sent=[],
            clock=ws.changes.clock,
        )


def _by_sqlalchemy(ws: Workspace, changes: list[dict[str, Any]]) -> None:
    """The row-by-row insert the bulk path replaced, through SQLAlchemy's own binding."""
    with local.sync_transaction(ws.store) as conn:
        for wire in changes:
            row = PulledRow.from_wire(wire)
            table = TABLES_BY_NAME[row.table]
            meta = {
                "versions": orjson.dumps(row.versions).decode(),
                "deleted": row.deleted,
                "hlc": row.hlc,
                "updated_at": row.updated_at,
            }
            values = local._row_values(table, row)
            conn.execute(table.insert(), [local._full_row(table, row, values, meta)])
        local._refresh_search_keys(conn, [w["row"] for w in changes if w["table"] == "people"])


def _strip_versions(rows: list[tuple[Any, ...]], at: int) -> list[tuple[Any, ...]]:
    """The stamps compared as what they say (JSON spacing aside)."""
    return [(*r[:at], orjson.loads(r[at]), *r[at + 1 :]) for r in rows]


def test_a_whole_demo_caseload_pulled_in_bulk_is_stored_as_it_was_made(tmp_path: Path) -> None:
    source = _store(tmp_path / "source")
    populate(source, 12, seed=3)
    pulled = _store(tmp_path / "pulled")
    changes: list[dict[str, Any]] = []
    tables = [t for t in TABLES if t in TABLES_BY_NAME]
    for name in tables:
        with source.store.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(TABLES_BY_NAME[name].select())]
        changes += [_wire(name, r, len(changes) + n + 1) for n, r in enumerate(rows)]
    assert len(changes) > 150  # every kind of row a journey makes
    applied = _apply(pulled, changes, cursor=len(changes))
    assert applied.rows == len(changes)
    for name in tables:
        at = [c.name for c in TABLES_BY_NAME[name].columns].index("versions")
        assert _strip_versions(_raw_rows(pulled, name), at) == _strip_versions(
            _raw_rows(source, name), at
        ), name  # search keys folded as local edits fold them
    source.close()
    pulled.close()


AWKWARD = [
    # Fields missing (defaults), None in NOT NULL columns, an unreadable date and number,
    # a truthy flag, a local-only column sent anyway, a column this laptop does not know.
    {
        "table": "people",
        "row": "p1",
        "person": None,
        "fields": {
            "given_name": "Zoë",
            "family_name": None,
            "date_of_birth": "not a date",
            "large_print": "yes",
            "search_key": "sent by mistake",
            "shoe_size": 9,
        },
        "versions": {"*": STAMP},
        "deleted": False,
        "hlc": STAMP,
        "seq": 1,
        "origin": "laptopa",
        "created_at": "2026-01-01T00:00:00.000+00:00",
        "updated_at": "",
    },
    {
        "table": "people",
        "row": "p2",
        "person": None,
        "fields": {
            "given_name": "Siobhán",
            "preferred_name": "Shiv",
            "family_name": "O'Connor",
            "date_of_birth": "1950-02-03T00:00:00",
            "carer_of_id": "p1",
        },
        "versions": {"*": STAMP, "phone": STAMP},
        "deleted": True,
        "hlc": STAMP,
        "seq": 2,
        "origin": "laptopa",
        "created_at": "",
        "updated_at": "2026-01-02T00:00:00.000+00:00",
    },
    {
        "table": "steps",
        "row": "s1",
        "person": "p2",
        "fields": {"person_id": "someone else", "weeks": "twelve"},
        "versions": {"*": STAMP},
        "deleted": False,
        "hlc": STAMP,
        "seq": 3,
        "origin": "laptopa",
        "created_at": "2026-01-01T00:00:00.000+00:00",
        "updated_at": "2026-01-01T00:00:00.000Z",
    },
]


def _comparable(rows: list[tuple[Any, ...]], table: str) -> list[tuple[Any, ...]]:
    """Stamps as what they say; times missing from the wire are "now" on both sides, a moment
    apart, so the two times are left out."""
    names = [c.name for c in TABLES_BY_NAME[table].columns]
    times = {names.index("created_at"), names.index("updated_at")}
    return [
        tuple(v for i, v in enumerate(r) if i not in times)
        for r in _strip_versions(rows, names.index("versions"))
    ]


def test_awkward_values_are_stored_as_sqlalchemy_stored_them(tmp_path: Path) -> None:
    bulk, one_by_one = _store(tmp_path / "bulk"), _store(tmp_path / "one")
    _apply(bulk, AWKWARD, cursor=3)
    _by_sqlalchemy(one_by_one, AWKWARD)
    for name in ("people", "steps"):
        ours, theirs = _raw_rows(bulk, name), _raw_rows(one_by_one, name)
        assert _comparable(ours, name) == _comparable(theirs, name), name
    [zoe] = [r for r in _raw_rows(bulk, "people") if r[0] == "p1"]
    assert "zoe" in zoe  # the search key folded here, not the one sent
    bulk.close()
    one_by_one.close()


def test_a_page_cut_before_its_commit_leaves_no_rows_and_no_cursor(tmp_path: Path) -> None:
    ws = _store(tmp_path / "laptop")
    with pytest.raises(RuntimeError), local.sync_transaction(ws.store) as conn:
        local.apply_answer(
            conn,
            sent=[],
            acks=[],
            changes=AWKWARD,
            logged=[],
            cursor=3,
            resolved_sent=[],
            clock=ws.changes.clock,
        )
        raise RuntimeError("the laptop is switched off before the commit")
    assert _raw_rows(ws, "people") == [] and _raw_rows(ws, "steps") == []
    with ws.store.read() as conn:
        assert local.get_meta(conn, local.META_CURSOR) is None
    applied = _apply(ws, AWKWARD, cursor=3)  # the same page again: all of it, once
    assert applied.rows == 3
    assert len(_raw_rows(ws, "people")) == 2 and len(_raw_rows(ws, "steps")) == 1
    with ws.store.read() as conn:
        assert local.get_meta(conn, local.META_CURSOR) == "3"
    ws.close()
