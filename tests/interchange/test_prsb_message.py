"""The PRSB message back to the GP and referrer: made with the letter, and saying what it says."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from export_fixture import Known
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition

from sp_desktop.domain.choices import Ethnicity, Gender, ReferralSource
from sp_desktop.interchange.fhir_prsb import SECTIONS
from sp_desktop.interchange.fhir_record import NHS_NUMBER_SYSTEM, SNOMED
from sp_desktop.services import documents
from sp_desktop.services.workspace import Workspace

CONTACT = documents.ContactDetails("0113 496 0777", "link.worker@example.org", "Northfield Link")


def _message(ws: Workspace, person_id: str) -> dict[str, Any]:
    letter = documents.letter_pdf(ws, person_id, contact=CONTACT)
    assert letter.structured is not None
    assert letter.structured_file_name.endswith(".json")
    Bundle.model_validate_json(letter.structured)  # it parses as FHIR
    parsed: dict[str, Any] = json.loads(letter.structured)
    return parsed


def _of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in message["entry"] if e["resource"]["resourceType"] == kind]


def test_the_letter_comes_with_a_fhir_document_composition_first(
    ws: Workspace, known: Known
) -> None:
    message = _message(ws, known.person_id)
    assert message["type"] == "document"
    composition = Composition.model_validate(message["entry"][0]["resource"])
    assert [s.title for s in composition.section or []] == [title for _c, title in SECTIONS]
    assert composition.subject is not None
    (patient,) = _of(message, "Patient")
    assert composition.subject.reference == message["entry"][1]["fullUrl"]
    assert patient["identifier"][0]["system"] == NHS_NUMBER_SYSTEM
    assert patient["identifier"][0]["value"] == known.nhs_number


def test_snomed_codes_for_the_gp_record_follow_what_the_person_decided(
    ws: Workspace, known: Known
) -> None:
    took_part = _message(ws, known.person_id)
    (referral,) = _of(took_part, "ServiceRequest")
    assert referral["code"]["coding"][0]["code"] == "871731000000106"
    (offered,) = _of(took_part, "Observation")
    assert offered["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "871691000000100",
        "display": "Social prescribing offered",
    }
    declined = _message(ws, known.declined_id)
    (finding,) = _of(declined, "Observation")
    assert finding["code"]["coding"][0]["code"] == "871711000000103"


def test_sections_say_the_letters_facts_and_escape_what_people_typed(
    ws: Workspace, known: Known
) -> None:
    message = _message(ws, known.person_id)
    sections = {s["title"]: s for s in message["entry"][0]["resource"]["section"]}
    concerns = sections["Needs and concerns"]
    assert "&lt;really&gt;" in concerns["text"]["div"]  # markup typed is shown, never run
    (condition,) = _of(message, "Condition")
    assert condition["code"]["text"] == known.concern_words
    assert "Tuesday tea and chat" in sections["Support offered"]["text"]["div"]
    outcomes = sections["Outcomes"]["text"]["div"]
    assert "Happiness: first preferred not to say; latest 6" in outcomes
    assert "still working with their link worker" in outcomes


def test_without_gp_sharing_the_message_says_no_more_than_the_letter(ws: Workspace) -> None:
    """Consent first: only the referral, the demographics the letter prints, and its codes."""
    person_id = ws.people.create(
        given_name="Olu",
        family_name="Adeyemi",
        date_of_birth=date(1950, 3, 3),
        gender=Gender.MALE,
        ethnicity=Ethnicity.BLACK_AFRICAN,
    ).id
    ws.people.record_referral(person_id, source=ReferralSource.GP, received_on=date.today())
    ws.consent.record(person_id, "given", method="in_person", recording=True, share_gp=False)
    visit_id = ws.visits.start(person_id, date.today()).id
    ws.visits.add_concern(visit_id, "connection", "Lonely since the move", 7)
    message = _message(ws, person_id)
    (patient,) = _of(message, "Patient")
    assert "gender" not in patient and "extension" not in patient
    assert _of(message, "Condition") == []
    sections = {s["title"]: s for s in message["entry"][0]["resource"]["section"]}
    assert "not to share" in sections["Outcomes"]["text"]["div"]
    assert "Lonely" not in json.dumps(message)
