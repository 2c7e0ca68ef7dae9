"""Signed means signed on the laptop: the one write door (`ChangeWriter`) refuses, before
anything is queued, what the office would refuse: any change or delete of a signed visit and a
signature or correction in someone else's name. Corrections are addenda (`add_addendum`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sp_desktop.domain.choices import VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.rows import LONG_CHARS
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import ADVISER_META_KEY
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.store.schema import outbox, store_meta, visit_addenda, visits
from tests.conftest import give_consent

FAST = Argon2Params(memory_kib=1024, iterations=1, lanes=1)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace, _key = Workspace.create(tmp_path / "store", "a long passphrase here",
                                       adviser="Ann Smith", params=FAST)
    yield workspace
    workspace.close()


def _visit(ws: Workspace, *, sign: bool = True) -> tuple[str, str]:
    person = ws.people.create(given_name="Edith", family_name="Jones",
                              date_of_birth=date(1938, 5, 1)).id
    give_consent(ws, person)
    visit = ws.visits.start(person, date.today()).id
    ws.visits.save_notes(visit, what_matters="Her garden")
    if sign:
        ws.visits.finish(visit)
    return person, visit


def _queued(ws: Workspace) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


@pytest.mark.parametrize("change", [
    {"what_matters": "Going back to work"},
    {"signed_by": "Ben Jones"},
    {"signed_at": "2020-01-01T09:00:00+00:00"},
    {"status": "draft"},
    {"visit_date": date(2024, 1, 2)},
    {"notes": '{"connection": "never said"}'},
])
def test_nothing_of_a_signed_visit_changes_and_nothing_is_queued(
    ws: Workspace, change: dict[str, Any]
) -> None:
    person, visit = _visit(ws)
    queued = _queued(ws)
    with pytest.raises(ValidationError) as refused, ws.write() as conn:
        ws.changes.update(conn, visits, visit, change, person)
    assert refused.value.message.startswith("This visit was signed by Ann Smith on ")
    assert refused.value.message.endswith("Add a correction to it instead.")
    assert _queued(ws) == queued
    seen = ws.visits.get(visit).visit
    assert (seen.what_matters, seen.status, seen.signed_by) == (
        "Her garden", VisitStatus.SIGNED, "Ann Smith")


def test_a_signed_visit_is_never_deleted(ws: Workspace) -> None:
    person, visit = _visit(ws)
    queued = _queued(ws)
    with pytest.raises(ValidationError, match="cannot be changed or removed"), ws.write() as conn:
        ws.changes.delete(conn, visits, visit, person)
    assert _queued(ws) == queued
    assert [v.id for v in ws.visits.of_person(person)] == [visit]


def test_a_visit_is_signed_only_in_this_laptops_advisers_name(ws: Workspace) -> None:
    person, visit = _visit(ws, sign=False)
    with pytest.raises(ValidationError, match=r"signed in your own name \(Ann Smith\)"), \
            ws.write() as conn:
        ws.changes.update(conn, visits, visit,
                          {"status": "signed", "signed_by": "Ben Jones",
                           "signed_at": "2026-01-01T10:00:00+00:00"}, person)
    assert ws.visits.get(visit).visit.status is VisitStatus.DRAFT

    # Registering with the office under another name changes who this laptop signs as, at once.
    with ws.write() as conn:
        conn.execute(store_meta.update().where(store_meta.c.key == ADVISER_META_KEY)
                     .values(value="asmith"))
    ws.visits.finish(visit)
    assert ws.visits.get(visit).visit.signed_by == "asmith"


def test_signing_names_every_field_it_covers_so_the_office_can_tell_what_was_read(
    ws: Workspace,
) -> None:
    _person, visit = _visit(ws)
    with ws.store.read() as conn:
        last = conn.execute(
            select(outbox.c.fields, outbox.c.base).where(outbox.c.row_id == visit)
            .order_by(outbox.c.seq.desc()).limit(1)
        ).one()
        words_stamp = json.loads(conn.execute(
            select(visits.c.versions).where(visits.c.id == visit)).scalar_one())["what_matters"]
    assert set(json.loads(last.fields)) == {"status", "signed_by", "signed_at"}
    base = json.loads(last.base)
    assert {"what_matters", "notes", "visit_date", "place", "person_id"} <= set(base)
    assert base["what_matters"] == words_stamp


def test_a_correction_is_an_addendum_by_its_author_and_the_visit_stays(ws: Workspace) -> None:
    person, visit = _visit(ws)
    changes = ws.visits.add_addendum(visit, "  Her sister visits on Saturdays.  ")
    assert changes.people == frozenset({person})
    record = ws.visits.get(visit)
    assert record.visit.what_matters == "Her garden"
    (addendum,) = record.addenda
    assert (addendum.words, addendum.written_by, addendum.written_on) == (
        "Her sister visits on Saturdays.", "Ann Smith", date.today())
    assert ws.visits.addenda_of(person) == {visit: (addendum,)}
    with ws.store.read() as conn:
        kind = conn.execute(select(outbox.c.kind).where(outbox.c.row_id == addendum.id)).scalar()
    assert kind == "append"
    with pytest.raises(ValidationError, match="cannot be changed or removed"), \
            ws.write() as conn:
        ws.changes.update(conn, visit_addenda, addendum.id, {"words": "Something else"}, person)


@pytest.mark.parametrize(("words", "signed", "message"), [
    ("Anything", False, "This visit is not signed yet, so it can still be changed"),
    ("   ", True, "Please write the correction."),
    ("x" * (LONG_CHARS + 1), True, f"The correction is longer than {LONG_CHARS:,} characters."),
])
def test_a_correction_that_cannot_be_added_says_why(
    ws: Workspace, words: str, signed: bool, message: str
) -> None:
    _person, visit = _visit(ws, sign=signed)
    queued = _queued(ws)
    with pytest.raises(ValidationError) as refused:
        ws.visits.add_addendum(visit, words)
    assert refused.value.message.startswith(message)
    assert _queued(ws) == queued
