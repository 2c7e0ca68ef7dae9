"""Consent first: every table that records personal content is gated at the one write door.

The tables are walked from the schema, not listed by hand: a table added later that belongs to
a person is gated unless `domain.rows` says, in words, why it is the referral itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from sp_desktop.domain.choices import ClosingOutcome, Consent, ReferralSource
from sp_desktop.domain.errors import ConsentNeeded, ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.rows import ROWS
from sp_desktop.services.demo import populate
from sp_desktop.services.documents import ContactDetails, letter_for
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import _synced_columns
from sp_desktop.store.schema import SYNCED_TABLES, consents, outbox
from tests.conftest import give_consent

# Reviewed by hand: the only tables of a person's rows written before consent is asked (the
# person row itself, `people`, is who was referred: also the referral itself).
REFERRAL_ITSELF = {"referrals", "consents"}
TODAY = date.today()
WORK = ContactDetails(phone="0113 496 0000", email="team@example.org")


def _gated() -> list[Table]:
    return [t for t in SYNCED_TABLES if "person_id" in t.c and t.name not in REFERRAL_ITSELF]


def _person(ws: Workspace, family: str) -> str:
    return ws.people.create(given_name="Nia", family_name=family,
                            date_of_birth=date(1950, 4, 4)).id


def _row(samples: dict[str, dict[str, Any]], table: Table, person: str) -> dict[str, Any]:
    """A copy of the sample row for `person`, with words in any field that alone is personal
    (a follow-up's notes)."""
    words = dict.fromkeys(ROWS[table.name].personal_fields, "Rang her about the lunch club")
    return {**samples[table.name], **words, "person_id": person, "id": new_id()}


def _waiting(ws: Workspace) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def _rows(ws: Workspace, table: Table) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def sample_rows(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """One valid row of every gated table, taken from a consenting person's journey."""
    populate(workspace, 12, seed=5)
    person = _person(workspace, "Sample")
    give_consent(workspace, person)
    visit = workspace.visits.start(person, TODAY).id
    workspace.visits.save_notes(visit, what_matters="Her allotment")
    workspace.visits.finish(visit)
    workspace.visits.add_addendum(visit, "The allotment is on Mill Lane.")
    services = workspace.directory.search("")
    volunteering = next(s for s in services if s.category.value == "volunteering")
    started = TODAY - timedelta(days=7)
    prescription = workspace.prescribing.prescribe(person, volunteering.id, started).id
    workspace.prescribing.record_attendance(prescription, TODAY, "attended")
    workspace.prescribing.log_volunteer_hours(prescription, TODAY, 2.0)
    workspace.closing.close_case(person, TODAY, ClosingOutcome.COMPLETED)
    samples: dict[str, dict[str, Any]] = {}
    with workspace.store.read() as conn:
        for table in _gated():
            row = conn.execute(select(table).where(table.c.deleted.is_(False)).limit(1)
                               ).mappings().first()
            if row is not None:
                samples[table.name] = {k: row[k] for k in _synced_columns(table)}
    return samples


def test_every_table_about_a_person_is_gated_or_named_as_the_referral_itself() -> None:
    about_a_person = {t.name for t in SYNCED_TABLES if "person_id" in t.c}
    exempt = {name for name in about_a_person if ROWS[name].consent_exempt}
    assert exempt == REFERRAL_ITSELF
    assert ROWS["people"].consent_exempt
    assert all(ROWS[t.name].records_personal({"person_id": "x", "notes": "words"})
               for t in _gated())
    assert len(_gated()) >= 12  # visits, notes, measures, activities ... (see the report)


def test_no_table_takes_personal_content_for_a_person_never_asked(
    workspace: Workspace, sample_rows: dict[str, dict[str, Any]]
) -> None:
    missing = [t.name for t in _gated() if t.name not in sample_rows]
    assert not missing, f"no sample row for {missing}: add one to the fixture"
    stranger = _person(workspace, "Unasked")
    for table in _gated():
        before = (_waiting(workspace), _rows(workspace, table))
        row = _row(sample_rows, table, stranger)
        with pytest.raises(ConsentNeeded) as refused, workspace.write() as conn:
            workspace.changes.insert(conn, table, row, stranger)
        assert "consent" in refused.value.message
        assert (_waiting(workspace), _rows(workspace, table)) == before, table.name
    # The same rows are accepted once they agreed: the refusal was consent, nothing else.
    give_consent(workspace, stranger)
    for table in _gated():
        row = _row(sample_rows, table, stranger)
        with workspace.write() as conn:
            workspace.changes.insert(conn, table, row, stranger)


@pytest.mark.parametrize("decision", ["declined", "withdrawn"])
def test_declined_or_withdrawn_consent_stops_every_new_row_and_every_edit(
    workspace: Workspace, sample_rows: dict[str, dict[str, Any]], decision: str
) -> None:
    person = _person(workspace, "Changes")
    give_consent(workspace, person)
    written = {}
    for table in _gated():
        row = _row(sample_rows, table, person)
        with workspace.write() as conn:
            written[table.name] = workspace.changes.insert(conn, table, row, person)
    workspace.consent.record(person, decision, method="phone")
    waiting = _waiting(workspace)
    for table in _gated():
        row = _row(sample_rows, table, person)
        with pytest.raises(ConsentNeeded), workspace.write() as conn:
            workspace.changes.insert(conn, table, row, person)
        personal = sorted(ROWS[table.name].personal_fields) or [
            name for name in _synced_columns(table) if name != "person_id"
        ]
        with pytest.raises(ConsentNeeded), workspace.write() as conn:
            workspace.changes.update(conn, table, written[table.name],
                                     {personal[0]: "changed after consent ended"}, person)
    assert _waiting(workspace) == waiting


def test_the_services_refuse_in_words_and_the_referral_alone_is_allowed(
    workspace: Workspace,
) -> None:
    person = _person(workspace, "Services")
    workspace.people.record_referral(person, source=ReferralSource.GP, received_on=TODAY)
    assert workspace.consent.refusal(person)
    for attempt in (
        lambda: workspace.visits.start(person, TODAY),
        lambda: workspace.prescribing.add_follow_up(person, TODAY, notes="Rang her"),
    ):
        with pytest.raises(ValidationError, match="consent to keeping notes"):
            attempt()
    workspace.prescribing.add_follow_up(person, TODAY + timedelta(days=2))  # a date, no notes
    workspace.consent.record(person, "given", method="in_person", recording=True)
    assert workspace.consent.refusal(person) is None
    assert workspace.people.referrals_of(person)[0].consent is Consent.GIVEN
    workspace.visits.start(person, TODAY)


def test_consent_is_recorded_with_what_when_how_and_by_whom(workspace: Workspace) -> None:
    person = _person(workspace, "Record")
    workspace.consent.record(person, "given", method="phone", recording=True, share_gp=True,
                             share_services=False, given_on=TODAY)
    record = workspace.consent.current(person)
    assert record is not None
    assert (record.recording, record.share_gp, record.share_services) == (True, True, False)
    assert record.recorded_by == "Ada Adviser" and record.method.value == "phone"
    assert "by phone" in workspace.consent.summary(person)
    assert "their GP" in workspace.consent.summary(person)
    with pytest.raises(ValidationError, match="agreed to nothing"):
        workspace.consent.record(person, "withdrawn", method="phone", recording=True)
    with pytest.raises(ValidationError, match="notes being kept"):
        workspace.consent.record(person, "given", method="phone", recording=False)
    with workspace.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(consents)).scalar_one() == 1
        (kind,) = conn.execute(
            select(outbox.c.kind).where(outbox.c.table_name == "consents")).scalars()
    assert kind == "append"


def test_no_sharing_with_services_means_no_referral_to_the_provider(
    workspace: Workspace,
) -> None:
    populate(workspace, 1, seed=2)
    person = _person(workspace, "Provider")
    workspace.consent.record(person, "given", method="in_person", recording=True)
    service = workspace.directory.search("")[0]
    prescription = workspace.prescribing.prescribe(person, service.id, TODAY).id
    with pytest.raises(ConsentNeeded, match="shared with the services"):
        workspace.prescribing.set_provider_referral(prescription, "sent")


def test_no_gp_sharing_means_the_letter_says_so_and_holds_nothing_else(
    workspace: Workspace,
) -> None:
    person = _person(workspace, "Letter")
    workspace.people.record_referral(person, source=ReferralSource.GP, received_on=TODAY)
    workspace.consent.record(person, "given", method="in_person", recording=True,
                             share_gp=False)
    visit = workspace.visits.start(person, TODAY).id
    workspace.visits.add_concern(visit, "connection", "Lonely since the move", 7)
    letter = letter_for(workspace, person, contact=WORK)
    assert "not to share" in letter.outcome_text
    assert letter.concerns == () and letter.support == () and letter.wellbeing == ()
    workspace.consent.record(person, "given", method="in_person", recording=True,
                             share_gp=True)
    assert letter_for(workspace, person, contact=WORK).concerns


def test_long_term_conditions_are_health_details_recorded_only_with_consent(
    workspace: Workspace,
) -> None:
    """The person's own row is the referral itself, except their conditions."""
    before = _waiting(workspace)
    with pytest.raises(ConsentNeeded) as refused:
        workspace.people.create(given_name="Nia", family_name="Unasked",
                                date_of_birth=date(1950, 4, 4), conditions=("copd",))
    assert "consent" in refused.value.message and _waiting(workspace) == before
    person = _person(workspace, "Asked later")  # no conditions: the referral itself
    with pytest.raises(ConsentNeeded):
        workspace.people.update(person, conditions=("copd",))
    workspace.people.update(person, phone="0113 496 0002")  # other details need no consent
    give_consent(workspace, person)
    workspace.people.update(person, conditions=("copd", "asthma"))
    assert workspace.people.get(person).conditions == ("asthma", "copd")
    workspace.consent.record(person, "withdrawn", method="phone", recording=False,
                             share_gp=False, share_services=False)
    with pytest.raises(ConsentNeeded):
        workspace.people.update(person, conditions=("copd", "asthma", "diabetes"))
    workspace.people.update(person, conditions=())  # taking them away records nothing new
    assert workspace.people.get(person).conditions == ()
