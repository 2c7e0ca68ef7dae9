"""Signed means signed, with two laptops and a real office on loopback (issue 18's finding:
a teammate, offline, edited a visit another adviser had signed; after both synced, the office and
the author's laptop held the teammate's words under the author's signature, with no trace).
Corrections are addenda: made on one laptop, they reach the other and the printed journey."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from laptops import Laptop, LaptopFactory, assert_same_data, team_of

from sp_desktop.domain.choices import VisitStatus
from sp_desktop.domain.hlc import HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server.testing import RunningServer, stored_rows
from sp_desktop.services import documents
from sp_desktop.services.documents import ContactDetails
from sp_desktop.services.sync_status import refused_cards
from sp_desktop.services.timeline import TimelineKind, person_overview
from sp_desktop.sync import local
from sp_desktop.sync.conflicts import list_conflicts
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH
from tests.conftest import give_consent

ANNS_WORDS = "Her garden, and seeing her sister on Sundays"
BENS_WORDS = "Going back to work"
CONTACT = ContactDetails(phone="0113 496 0777", email="link.worker@example.org",
                         organisation="Northfield Link")


def _edith(ann: Laptop) -> tuple[str, str]:
    """Ann's person and her visit with them, her words in it, not signed yet."""
    person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                  date_of_birth=date(1938, 5, 1)).id
    give_consent(ann.ws, person)
    visit = ann.ws.visits.start(person, date.today()).id
    ann.ws.visits.save_notes(visit, what_matters=ANNS_WORDS)
    return person, visit


def _office_visit(server: RunningServer, visit: str) -> dict[str, Any]:
    fields = stored_rows(server.database_url)[("visits", visit)]["fields"]
    assert isinstance(fields, dict)
    return fields


def test_a_teammates_offline_edit_of_a_signed_visit_is_refused_and_everyone_keeps_the_signed_words(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person, visit = _edith(ann)
    ann.sync()
    ben.sync()
    ann.ws.visits.finish(visit)
    ann.sync()  # the office holds Ann's signed visit
    # Ben has not synced since: his laptop still holds the visit unsigned, and he edits it.
    ben.ws.visits.save_notes(visit, what_matters=BENS_WORDS)

    ben.sync()
    ann.sync()

    office = _office_visit(server, visit)
    assert (office["what_matters"], office["status"], office["signed_by"]) == (
        ANNS_WORDS, "signed", ann.name)
    for laptop in (ann, ben):
        seen = laptop.ws.visits.get(visit).visit
        assert (seen.what_matters, seen.status, seen.signed_by) == (
            ANNS_WORDS, VisitStatus.SIGNED, ann.name), laptop.name
        assert list_conflicts(laptop.store) == []
    assert refused_cards(ann.ws) == []
    (card,) = refused_cards(ben.ws)
    assert card.title == "Edith Jones: visit"
    assert f"This visit was signed by {ann.name}" in card.details
    assert "Add a correction to it instead." in card.details
    assert_same_data(server, ann, ben)


def test_a_signature_never_covers_words_its_signer_did_not_see(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    """The other order: Ben's edit reaches the office before Ann's signature does."""
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    _person, visit = _edith(ann)
    ann.sync()
    ben.sync()
    ann.ws.visits.finish(visit)  # offline: signs her own words
    ben.ws.visits.save_notes(visit, what_matters=BENS_WORDS)  # offline too

    ben.sync()
    ann.sync()

    office = _office_visit(server, visit)
    assert (office["what_matters"], office["status"], office.get("signed_by")) == (
        BENS_WORDS, "draft", None), "Ben's words are not signed in Ann's name"
    mine = ann.ws.visits.get(visit).visit
    assert (mine.what_matters, mine.status) == (BENS_WORDS, VisitStatus.DRAFT)
    (card,) = refused_cards(ann.ws)
    assert "please read it again and sign it" in card.details

    # Ann reads the visit as it now stands and signs it: that signature goes through.
    ann.ws.visits.finish(visit)
    ann.sync()
    ben.sync()
    for laptop in (ann, ben):
        seen = laptop.ws.visits.get(visit).visit
        assert (seen.what_matters, seen.signed_by) == (BENS_WORDS, ann.name), laptop.name
    assert_same_data(server, ann, ben)


def test_a_forged_rewrite_of_a_signed_visit_by_raw_http_with_a_valid_token_is_refused(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person, visit = _edith(ann)
    ann.ws.visits.finish(visit)
    ann.sync()
    token = ben.store.meta(local.META_TOKEN)
    office = stored_rows(server.database_url)[("visits", visit)]
    forged = {
        "op": new_id(), "table": "visits", "row": visit, "person": person, "kind": "upsert",
        "fields": {"what_matters": BENS_WORDS, "signed_by": ben.name,
                   "signed_at": datetime.now(UTC).isoformat()},
        "base": office["versions"], "hlc": str(HlcStamp(wall_now_ms(), 0, ben.store.device_id)),
    }

    answer = httpx.post(server.url + SYNC_PATH, headers={"Authorization": f"Bearer {token}"},
                        json={"protocol": PROTOCOL_VERSION, "cursor": 0, "ops": [forged]},
                        timeout=30)

    assert answer.status_code == 200, answer.text
    (ack,) = answer.json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", "not_allowed")
    assert f"This visit was signed by {ann.name}" in ack["reason"]
    held = _office_visit(server, visit)
    assert (held["what_matters"], held["signed_by"]) == (ANNS_WORDS, ann.name)
    ben.sync()
    assert ben.ws.visits.get(visit).visit.what_matters == ANNS_WORDS


def test_a_correction_made_on_one_laptop_shows_on_the_other_and_in_print(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person, visit = _edith(ann)
    ann.ws.visits.finish(visit)
    ann.ws.visits.add_addendum(visit, "Her sister visits on Saturdays, not Sundays.")
    ann.sync()

    ben.sync()

    record = ben.ws.visits.get(visit)
    assert (record.visit.what_matters, record.visit.signed_by) == (ANNS_WORDS, ann.name)
    (addendum,) = record.addenda
    assert (addendum.words, addendum.written_by, addendum.written_on) == (
        "Her sister visits on Saturdays, not Sundays.", ann.name, date.today())
    entry = next(e for e in person_overview(ben.ws, person).timeline
                 if e.kind is TimelineKind.VISIT)
    assert f"Correction by {ann.name}" in entry.detail
    assert "Saturdays, not Sundays" in entry.detail
    printed = _pdf_text(documents.plan_pdf(ben.ws, person, contact=CONTACT).pdf)
    assert ANNS_WORDS in printed
    assert printed.index(ANNS_WORDS) < printed.index(f"Correction added by {ann.name}")
    assert "Her sister visits on Saturdays, not Sundays." in printed
    assert_same_data(server, ann, ben)


def _pdf_text(data: bytes) -> str:
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())
