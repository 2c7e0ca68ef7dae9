"""The adviser's run sheet and directory snapshot at the front of a visit pack, and the warning
that the last sync is old: filled from a real encrypted store, read back from the PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from store_fixture import CONTACT, pdf_text

from sp_desktop.domain.choices import Consent, PreferredContact, ReferralSource
from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.people import AccessNeeds
from sp_desktop.pdf import wording
from sp_desktop.pdf.run_sheet import STALE_AFTER_DAYS, last_checked_words
from sp_desktop.services import documents
from sp_desktop.services.directory import DirectoryService, ImportMode
from sp_desktop.services.run_sheet import run_sheet_for, sync_warning
from sp_desktop.services.settings import SYNC_WARN_HOURS, Settings
from sp_desktop.services.workspace import Workspace
from sp_desktop.sync import local

TODAY = date.today()
DAY = TODAY + timedelta(days=10)
NOW = datetime.now(UTC)


def _set_up(ws: Workspace) -> tuple[str, str]:
    """Halina, cared for by her son, with a check-in due on DAY; Arthur, due a review."""
    halina = ws.people.create(
        given_name="Halina",
        family_name="Nowak",
        date_of_birth=date(1936, 2, 9),
        address="4 Mill Lane\nGreystone",
        postcode="GS4 2AB",
        phone="07700 900123",
        preferred_contact=PreferredContact.VIA_CARER,
        access=AccessNeeds(large_print=True, interpreter_language="Polish", hearing="Left ear"),
    ).id
    son = ws.people.create(
        given_name="Piotr",
        family_name="Nowak",
        date_of_birth=date(1966, 3, 1),
        phone="07700 900456",
    ).id
    ws.people.set_carer_of(son, halina)
    arthur = ws.people.create(
        given_name="Arthur", family_name="Bell", date_of_birth=date(1944, 7, 30)
    ).id
    for person in (halina, arthur):
        ws.people.record_referral(
            person,
            source=ReferralSource.GP,
            received_on=TODAY - timedelta(days=40),
            consent=Consent.GIVEN,
            consent_on=TODAY - timedelta(days=35),
        )
    ws.prescribing.add_follow_up(halina, DAY, notes="Ring after the trip to Gdańsk")
    visit_id = ws.visits.start(halina, TODAY - timedelta(days=20)).id
    ws.visits.add_step(
        halina, "Join the library's reading group", target_date=DAY, progress=2, visit_id=visit_id
    )
    ws.visits.add_step(
        halina, "Bake for the church sale", target_date=DAY, progress=10, visit_id=visit_id
    )
    ws.visits.finish(visit_id)
    old, fresh = (
        Service(
            id=new_id(),
            name=name,
            category=Category.SOCIAL_ACTIVITY,
            organisation=org,
            contact_name="Maggie",
            contact_phone="0113 496 0555",
            schedule="Tuesdays, 2pm to 4pm",
            address="Church Lane",
            postcode="GS4 3AB",
            last_checked=checked,
        )
        for name, org, checked in (
            ("Knit and natter", "Greystone Library", TODAY - timedelta(days=400)),
            ("Tuesday tea", "St Anne's", TODAY - timedelta(days=12)),
        )
    )
    DirectoryService(ws).import_services([old, fresh], ImportMode.MERGE)
    ws.prescribing.prescribe(halina, old.id, DAY, weeks=12)
    ws.prescribing.prescribe(halina, fresh.id, DAY, weeks=12)
    ws.prescribing.prescribe(arthur, fresh.id, DAY, weeks=12)
    return halina, arthur


def test_run_sheet_has_what_the_adviser_needs_at_each_door(workspace: Workspace) -> None:
    halina, arthur = _set_up(workspace)
    sheet = run_sheet_for(workspace, DAY, [halina, arthur], today=TODAY, now=NOW)
    first, second = sheet.visits
    assert first.name == "Halina Nowak" and first.born == date(1936, 2, 9)
    assert first.address == ("4 Mill Lane", "Greystone", "GS4 2AB")
    assert first.phones == (
        "07700 900123 (prefers contact through their carer)",
        "Carer: Piotr Nowak, 07700 900456",
    )
    assert first.access == ("Large print", "Interpreter: Polish", "Hearing: Left ear")
    assert first.due == (
        "Check-in: Ring after the trip to Gdańsk",
        f"Step to look at: Join the library's reading group (by {wording.long_date(DAY)})",
    )
    assert first.safety == ()  # the store has no field for lone-working notes
    assert second.name == "Arthur Bell" and second.phones == (
        "No phone number (prefers a phone call)",
    )
    by_name = {line.name: line for line in sheet.directory}
    assert set(by_name) == {"Knit and natter", "Tuesday tea"}
    assert by_name["Tuesday tea"].for_people == ("Halina Nowak", "Arthur Bell")
    assert by_name["Knit and natter"].last_checked == TODAY - timedelta(days=400)
    assert sheet.sync_warning is None  # never registered: no office copy to fall behind


def test_the_pack_starts_with_the_adviser_pages(workspace: Workspace) -> None:
    halina, _arthur = _set_up(workspace)
    pack = documents.visit_pack_pdf(workspace, DAY, contact=CONTACT)
    text = pdf_text(pack.pdf)
    assert text.startswith(f"Run sheet for {wording.weekday_date(DAY)}")
    sheet, printouts = text.split("Your journey with", 1)
    for words in (
        "Halina Nowak (born 9 February 1936)",
        "4 Mill Lane, Greystone, GS4 2AB",
        "Carer: Piotr Nowak, 07700 900456",
        "Interpreter: Polish",
        "Check-in: Ring after the trip to Gdańsk",
        "Lone working",
        "Safety notes",
        "Directory snapshot",
        "Knit and natter",
        "over six months ago, ring before you recommend",
        "Adviser's copy: keep it with you and shred it after the day",
    ):
        assert words in sheet, words
    assert "Bake for the church sale" not in sheet  # done: nothing to look at
    assert "Halina Nowak" in printouts
    alone = documents.visit_pack_pdf(workspace, DAY, contact=CONTACT, adviser_pages=False)
    assert not pdf_text(alone.pdf).startswith("Run sheet")
    assert pack.page_count > alone.page_count


def _registered(ws: Workspace, last_success: datetime | None) -> None:
    with ws.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, "https://office.example.org")
        local.set_meta(conn, local.META_TOKEN, "token")
        if last_success is not None:
            local.set_meta(conn, local.META_LAST_SUCCESS, last_success.isoformat())


@pytest.mark.parametrize(
    ("hours_ago", "limit", "warned", "words"),
    [
        (None, 24, True, "has not synced with the office yet"),
        (2, 24, False, ""),
        (23, 24, False, ""),
        (30, 24, True, "last synced with the office 30 h ago"),
        (30, 48, False, ""),
        (24 * 5, 24, True, "5 days ago"),
    ],
)
def test_an_old_sync_is_warned_about_by_the_office_setting(
    workspace: Workspace, hours_ago: int | None, limit: int, warned: bool, words: str
) -> None:
    settings = Settings.in_folder(workspace.store.folder)
    settings.set(SYNC_WARN_HOURS, limit)
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    _registered(workspace, last)
    warning = sync_warning(workspace, now=NOW, settings=settings)
    assert (warning is not None) is warned
    if warned:
        assert warning is not None and words in warning and "ync before you set off" in warning


def test_the_warning_is_printed_on_the_run_sheet(workspace: Workspace) -> None:
    _set_up(workspace)
    _registered(workspace, NOW - timedelta(days=3))
    text = pdf_text(documents.visit_pack_pdf(workspace, DAY, contact=CONTACT).pdf)
    assert "Check before you set off This laptop last synced with the office 3 days ago" in text


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (None, "Never checked: ring before you recommend it"),
        (10, "no warning"),
        (STALE_AFTER_DAYS, "no warning"),
        (STALE_AFTER_DAYS + 1, "over six months ago, ring before you recommend it"),
    ],
)
def test_last_checked_words(age: int | None, words: str) -> None:
    checked = None if age is None else TODAY - timedelta(days=age)
    said = last_checked_words(checked, TODAY)
    if words == "no warning":
        assert said == wording.long_date(TODAY - timedelta(days=age or 0))
    else:
        assert words in said
