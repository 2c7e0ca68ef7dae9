"""Documents filled from a real (demo) store: what the person and the referrer will read."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from store_fixture import CONTACT, TODAY, Zoe, pdf_sizes, pdf_text

from sp_desktop.domain.choices import ClosingOutcome
from sp_desktop.pdf import wording
from sp_desktop.pdf.model import Change
from sp_desktop.pdf.samples import synthetic_nhs_number
from sp_desktop.services import documents
from sp_desktop.services.documents import (
    BuiltDocument,
    ContactDetails,
    DocumentKind,
    DocumentNotPossible,
)
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.audit import verify_chain
from sp_desktop.store.schema import audit_events, closing_reviews, people
from sp_desktop.sync.protocol import OpKind

OFFERED, DECLINED, REFERRED = "871691000000100", "871711000000103", "871731000000106"


def test_plan_shows_steps_activities_contact_and_next_visit(ws: Workspace, zoe: Zoe) -> None:
    built = documents.plan_pdf(ws, zoe.person_id, contact=CONTACT)
    text = pdf_text(built.pdf)
    for step in zoe.steps:
        assert step in text
    assert zoe.what_matters in text
    assert zoe.service_name in text
    assert "St Anne's Community Centre" in text
    assert "Tuesdays, 2pm to 4pm" in text
    assert f"Maggie on {zoe.service_phone}" in text
    assert "£2 a session, tea included" in text
    assert "The 12 bus stops outside" in text
    assert "Your link worker will come with you." in text
    assert CONTACT.phone in text and CONTACT.email in text
    assert "Demo Adviser" in text
    assert wording.weekday_date(zoe.first_review) in text  # the next visit
    assert "How satisfied you are with your life" in text
    assert built.page_count >= 1 and built.kind is DocumentKind.PLAN


def test_plan_is_filled_from_the_latest_records(ws: Workspace, zoe: Zoe) -> None:
    doc = documents.plan_for(ws, zoe.person_id, contact=CONTACT, large_print=False)
    assert doc.person_name == "Zoë Dvořák"
    assert [s.words for s in doc.steps] == list(zoe.steps)
    assert doc.steps[0].target_date == zoe.step_target and doc.steps[0].progress == 3
    (activity,) = doc.activities
    assert activity.link_worker_comes_first_time
    assert activity.start_date == zoe.start and activity.weeks == 12
    assert activity.where == "St Anne's Hall, Church Lane, Northfield, LS6 3AB"
    assert doc.next_visit == zoe.first_review
    assert doc.wellbeing_then_date == zoe.first_visit
    assert doc.wellbeing_now_date == TODAY - timedelta(days=5)
    life, worthwhile, happy, anxious = doc.wellbeing
    assert (life.then_words, life.now_words, life.change) == ("low", "high", Change.BETTER)
    assert (happy.then_score, happy.then_words, happy.now_words) == (None, "", "medium")
    assert anxious.lower_is_better and anxious.change is Change.BETTER
    assert anxious.question == "How anxious you felt"


def test_next_visit_is_the_one_after_the_day_printed(ws: Workspace, zoe: Zoe) -> None:
    on_review_day = documents.plan_for(ws, zoe.person_id, contact=CONTACT, today=zoe.first_review)
    assert on_review_day.next_visit == zoe.start + timedelta(weeks=6)
    assert on_review_day.printed_on == zoe.first_review


def test_large_print_follows_access_needs_unless_chosen_per_print(ws: Workspace, zoe: Zoe) -> None:
    default = documents.plan_pdf(ws, zoe.person_id, contact=CONTACT)
    standard = documents.plan_pdf(ws, zoe.person_id, contact=CONTACT, large_print=False)
    assert default.large_print is True and standard.large_print is False
    large_body = pdf_sizes(default.pdf).most_common(1)[0][0]
    standard_body = pdf_sizes(standard.pdf).most_common(1)[0][0]
    assert large_body >= 16 > standard_body
    assert min(pdf_sizes(default.pdf)) >= 16
    assert default.page_count > standard.page_count


def test_letter_for_consent_given_codes_referral_and_offered(ws: Workspace, zoe: Zoe) -> None:
    letter = documents.letter_for(ws, zoe.person_id, contact=CONTACT)
    assert [c.code for c in letter.codes] == [REFERRED, OFFERED]
    text = pdf_text(documents.letter_pdf(ws, zoe.person_id, contact=CONTACT).pdf)
    assert REFERRED in text and OFFERED in text and DECLINED not in text
    assert "Dear Dr Amara Okafor" in text
    assert wording.nhs_number(synthetic_nhs_number("999123451")) in text


def test_letter_for_consent_declined_codes_declined(ws: Workspace, zoe: Zoe) -> None:
    letter = documents.letter_for(ws, zoe.declined_id, contact=CONTACT)
    assert [c.code for c in letter.codes] == [REFERRED, DECLINED]
    assert "chose not to take part" in letter.outcome_text
    text = pdf_text(documents.letter_pdf(ws, zoe.declined_id, contact=CONTACT).pdf)
    assert DECLINED in text and OFFERED not in text


def test_letter_follows_the_prsb_groups(ws: Workspace, zoe: Zoe) -> None:
    letter = documents.letter_for(ws, zoe.person_id, contact=CONTACT, today=TODAY)
    assert letter.person.address_lines == ("Flat 3, 27 Elm Road", "Northfield", "LS6 2AB")
    assert letter.person.date_of_birth == date(1941, 5, 4)
    (concern,) = letter.concerns
    assert concern.domain == "Loneliness and connection"
    assert (concern.severity_first, concern.severity_latest) == (8, 4)
    (support,) = letter.support
    assert (support.activity, support.provider) == (
        "Tuesday tea and chat",
        "St Anne's Community Centre",
    )
    assert support.status == "offered" and support.start_date is None  # starts next week
    life = letter.wellbeing[0]
    assert (life.item, life.baseline_score, life.latest_score) == ("Life satisfaction", 4, 7)
    assert letter.wellbeing[3].change is Change.BETTER  # anxiety 7 -> 3
    assert "still working with their link worker" in letter.outcome_text
    assert letter.carries_on is None
    assert letter.letter_date == TODAY


def test_letter_after_a_closing_review_gives_the_outcome(ws: Workspace, zoe: Zoe) -> None:
    with ws.write() as conn:
        ws.changes.insert(
            conn,
            closing_reviews,
            {
                "person_id": zoe.person_id,
                "closed_on": TODAY,
                "outcome": ClosingOutcome.COMPLETED.value,
                "reason": "Goes every week and has made friends.",
                "carries_on": True,
            },
            zoe.person_id,
            kind=OpKind.APPEND,
        )
    try:
        letter = documents.letter_for(ws, zoe.person_id, contact=CONTACT)
        assert letter.carries_on is True
        assert "ended on" in letter.outcome_text and "made friends" in letter.outcome_text
        own = documents.letter_for(ws, zoe.person_id, contact=CONTACT, outcome_text="My words.")
        assert own.outcome_text == "My words."
    finally:
        with ws.write() as conn:
            conn.execute(
                closing_reviews.delete().where(closing_reviews.c.person_id == zoe.person_id)
            )


def test_visit_pack_has_everyone_due_that_day(ws: Workspace, zoe: Zoe) -> None:
    due = documents.due_on(ws, zoe.first_review)
    mine = [d for d in due if d.person_id == zoe.person_id]
    assert mine and mine[0].reasons == ("Review",) and mine[0].large_print
    assert mine[0].name == "Zoë Dvořák"
    pack = documents.visit_pack_pdf(ws, zoe.first_review, contact=CONTACT)
    assert pack.person_ids == tuple(d.person_id for d in due)
    text = pdf_text(pack.pdf)
    assert "Zoë Dvořák" in text and zoe.steps[0] in text
    docs = documents.visit_pack_for(
        ws, zoe.first_review, person_ids=[zoe.person_id], contact=CONTACT, large_print=False
    )
    assert [d.person_name for d in docs] == ["Zoë Dvořák"] and not docs[0].large_print


def test_visit_day_counts_recorded_visits_too(ws: Workspace, zoe: Zoe) -> None:
    due = {d.person_id: d.reasons for d in documents.due_on(ws, zoe.first_visit)}
    assert due[zoe.person_id] == ("Visit",)


def test_empty_visit_pack_says_so(ws: Workspace) -> None:
    with pytest.raises(DocumentNotPossible, match="Nobody has a visit"):
        documents.visit_pack_pdf(ws, date(2001, 1, 1), contact=CONTACT)


def test_every_demo_person_gets_a_plan_and_a_letter(ws: Workspace) -> None:
    with ws.store.read() as conn:
        ids = conn.execute(select(people.c.id)).scalars().all()
    for person_id in ids:
        assert documents.plan_pdf(ws, person_id, contact=CONTACT).pdf.startswith(b"%PDF-")
        assert documents.letter_pdf(ws, person_id, contact=CONTACT).pdf.startswith(b"%PDF-")


def test_contact_details_come_from_the_settings_file(
    ws: Workspace, zoe: Zoe, tmp_path: Path
) -> None:
    assert documents.read_contact(tmp_path) == ContactDetails()
    (tmp_path / "settings.json").write_text(
        json.dumps(
            {"idle_minutes": 5, "link_worker_phone": " 0113 496 0999 ", "link_worker_email": 3}
        ),
        encoding="utf-8",
    )
    assert documents.read_contact(tmp_path) == ContactDetails(phone="0113 496 0999")
    (tmp_path / "settings.json").write_text("not json", encoding="utf-8")
    assert documents.read_contact(tmp_path) == ContactDetails()


def test_no_phone_number_no_printout(ws: Workspace, zoe: Zoe) -> None:
    with pytest.raises(DocumentNotPossible, match="work phone number"):
        documents.plan_for(ws, zoe.person_id, contact=ContactDetails(email="a@example.org"))


def test_printing_and_saving_are_audited_per_person(ws: Workspace, zoe: Zoe) -> None:
    pack = documents.visit_pack_pdf(ws, zoe.first_review, contact=CONTACT)
    letter = documents.letter_pdf(ws, zoe.person_id, contact=CONTACT)
    with ws.store.read() as conn:
        before = conn.execute(
            select(audit_events.c.seq).order_by(audit_events.c.seq.desc())
        ).first()
    documents.record_printed(ws, pack)
    documents.record_exported(ws, letter)
    with ws.store.read() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.entity, audit_events.c.person_id)
            .where(audit_events.c.seq > (before[0] if before else 0))
            .order_by(audit_events.c.seq)
        ).all()
        assert verify_chain(conn) is None
    assert [tuple(r) for r in rows] == [
        *(("printed", "plan", pid) for pid in pack.person_ids),
        ("exported", "letter", zoe.person_id),
    ]


def test_built_documents_keep_personal_details_out_of_their_repr(ws: Workspace, zoe: Zoe) -> None:
    built = documents.plan_pdf(ws, zoe.person_id, contact=CONTACT)
    assert "Zoë" not in repr(built) and "Dvořák" not in repr(built)
    assert isinstance(built, BuiltDocument)
    assert built.file_name == f"Your journey - Zoë Dvořák - {wording.long_date(TODAY)}.pdf"


def _files_under(*folders: Path) -> set[Path]:
    found: set[Path] = set()
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            found.update(Path(root, name) for name in files)
    return found


def test_building_writes_no_file_anywhere(
    ws: Workspace, zoe: Zoe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Builds stay in memory: nothing new in the temp, home, working or store folders.

    Fresh temp, home and working folders, so other programs running meanwhile cannot interfere.
    """
    temp, home, work = (tmp_path / name for name in ("tmp", "home", "work"))
    for folder in (temp, home, work):
        folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    watched = [temp, home, work, ws.store.folder]
    before = _files_under(*watched)
    documents.plan_pdf(ws, zoe.person_id, contact=CONTACT)
    documents.letter_pdf(ws, zoe.person_id, contact=CONTACT)
    documents.visit_pack_pdf(ws, zoe.first_review, contact=CONTACT)
    new = {
        path
        for path in _files_under(*watched) - before
        if not (path.parent == ws.store.folder and path.name.startswith("sp-desktop."))
    }
    assert not new, f"files written while building: {sorted(map(str, new))}"
