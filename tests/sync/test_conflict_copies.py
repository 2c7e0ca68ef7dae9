"""Every conflict copy, of any field, stays visible until the adviser dismisses it, in words."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from sp_desktop.services.sync_status import conflict_cards, field_words, one_value_words
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import conflicts
from sp_desktop.sync import local
from sp_desktop.sync.conflicts import list_conflicts
from sp_desktop.sync.merge import DELETED

CREATED = "2026-03-02T10:00:00.000+00:00"


def _copy(conflict_id: str, field: str, kept: object, other: object,
          resolved_at: str | None, person: str | None = None) -> dict[str, object]:
    return {"id": conflict_id, "table_name": "people", "row_id": person or "p1",
            "person_id": person or "p1", "field": field,
            "kept_value": orjson.dumps(kept).decode(), "other_value": orjson.dumps(other).decode(),
            "kept_hlc": "001772445600000-0000-deviceb", "other_hlc": "001772445500000-0000-devicea",
            "created_at": CREATED, "resolved_at": resolved_at}


def test_value_copies_arriving_from_the_office_are_open(workspace: Workspace) -> None:
    wire = {"id": "c1", "table": "people", "row": "p1", "person": "p1", "field": "postcode",
            "kind": "value", "kept": "LS2 9JT", "other": "LS1 4AB", "created_at": CREATED,
            "kept_hlc": "001772445600000-0000-b", "other_hlc": "001772445500000-0000-a"}
    with local.sync_transaction(workspace.store) as conn:
        applied = local.apply_answer(conn, sent=[], acks=[], changes=[], logged=[wire],
                                     cursor=1, resolved_sent=[], clock=None)
    assert applied.new_conflicts == 1
    (copy,) = list_conflicts(workspace.store)
    assert (copy.field, copy.kept_value, copy.other_value, copy.resolved_at) == (
        "postcode", "LS2 9JT", "LS1 4AB", None)


def test_copies_an_earlier_version_stored_as_settled_are_reopened_once(
    workspace: Workspace,
) -> None:
    with workspace.store.write() as conn:
        conn.execute(conflicts.insert(), [
            _copy("settled", "email", "a@example.org", "b@example.org", CREATED),
            _copy("dismissed", "postcode", "LS2 9JT", "LS1 4AB", "2026-03-03T09:00:00+00:00"),
            _copy("open", "address", "1 Mill Lane", "2 Mill Lane", None),
        ])
        assert local.reopen_settled_by_clock(conn) == 1
    assert {c.id for c in list_conflicts(workspace.store)} == {"settled", "open"}
    with workspace.store.write() as conn:  # dismissed again: it stays dismissed
        conn.execute(conflicts.update().where(conflicts.c.id == "settled")
                     .values(resolved_at=CREATED))
        assert local.reopen_settled_by_clock(conn) == 0
    assert {c.id for c in list_conflicts(workspace.store)} == {"open"}


@pytest.mark.parametrize(("table", "field", "value", "words"), [
    ("people", "date_of_birth", "1938-05-01", "1 May 1938"),
    ("people", "large_print", True, "Yes"),
    ("people", "large_print", False, "No"),
    ("people", "preferred_contact", "via_carer", "Through their carer"),
    ("people", "gender", "non_binary", "Non-binary"),
    ("people", "postcode", "", "(left empty)"),
    ("people", "nhs_number", None, "(left empty)"),
    ("assessments", "life_satisfaction", 7, "7"),
    ("people", "conditions", '["copd","diabetes"]',
     "Diabetes, COPD (chronic obstructive pulmonary disease)"),
    ("people", "conditions", "[]", "None recorded"),
    ("attendance", "stopped_because", "transport", "Getting there was too hard"),
])
def test_values_read_as_people_write_them(table: str, field: str, value: object,
                                          words: str) -> None:
    assert one_value_words(value, table, field) == words


@pytest.mark.parametrize(("table", "field", "words"), [
    ("people", "postcode", "Postcode"),
    ("people", "date_of_birth", "Date of birth"),
    ("people", "email", "Email"),
    ("people", "large_print", "Large print"),
    ("visits", "what_matters", "What matters to them"),
])
def test_field_names_read_as_the_forms_say_them(table: str, field: str, words: str) -> None:
    assert field_words(field, table) == words


def test_cards_name_the_person_the_field_both_values_and_when(workspace: Workspace) -> None:
    person = workspace.people.create(given_name="Edith", family_name="Jones",
                                     date_of_birth=datetime(1938, 5, 1).date()).id
    with workspace.store.write() as conn:
        conn.execute(conflicts.insert(), [
            _copy("dob", "date_of_birth", "1938-06-01", "1938-05-02", None, person),
            _copy("gone", "*", DELETED, {"postcode": "LS1 4AB", "large_print": True}, None,
                  person),
        ])
    cards = {c.id: c for c in conflict_cards(workspace, now=datetime(2026, 3, 2, 12, tzinfo=UTC))}
    dob = cards["dob"]
    assert dob.title == "Edith Jones: Date of birth (personal details)"
    assert (dob.kept_text, dob.other_text) == ("1 June 1938", "2 May 1938")
    assert dob.kept_who_when.startswith("Changed on another laptop in your team, ")
    assert not dob.is_text and "detail" in dob.about
    gone = cards["gone"]
    assert gone.title == "Edith Jones: Whole record (personal details)"
    assert gone.kept_text == "Deleted (the whole record removed)"
    assert gone.other_text == "Kept, with these changes:\nPostcode: LS1 4AB\nLarge print: Yes"
