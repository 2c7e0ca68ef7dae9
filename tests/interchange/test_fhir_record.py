"""A person's record as a FHIR R4 Bundle: it parses back, and says what a GP system must read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from export_fixture import Known
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import select

from sp_desktop.domain.choices import Ethnicity, Gender
from sp_desktop.interchange import fhir_record
from sp_desktop.interchange.fhir_record import (
    NHS_NUMBER_SYSTEM,
    SNOMED,
    ExportFailed,
    record_bundle,
)
from sp_desktop.interchange.records import (
    MeasureAnswers,
    MeasureDefinition,
    MeasureItem,
    PersonFacts,
    PersonRecord,
)
from sp_desktop.services import records
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import audit_events, people

MADE_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _resources(data: bytes, kind: str) -> list[dict[str, Any]]:
    bundle = json.loads(data)
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_demo_person_exports_a_bundle_that_parses_back(ws: Workspace) -> None:
    with ws.store.read() as conn:
        ids = conn.execute(select(people.c.id).where(people.c.deleted.is_(False))).scalars().all()
    assert len(ids) > 20
    for person_id in ids:
        export = records.fhir_export(ws, person_id, made_at=MADE_AT)
        bundle = Bundle.model_validate_json(export.data)
        assert bundle.type == "collection"
        kinds = [e.resource.get_resource_type() for e in bundle.entry or []]
        assert kinds.count("Patient") == 1
        sittings = ws.wellbeing.sittings(person_id)
        assert kinds.count("QuestionnaireResponse") == len(sittings)
        assert kinds.count("Questionnaire") == len({s.measure for s in sittings})
        assert kinds.count("Goal") == len(ws.visits.steps_of(person_id))
        activities = len(ws.prescribing.of_person(person_id))
        assert kinds.count("ServiceRequest") == len(ws.people.referrals_of(person_id)) + activities
        assert kinds.count("Condition") == len(ws.visits.concerns_of(person_id)) + len(
            ws.people.get(person_id).conditions)  # needs and concerns, long-term conditions


def test_patient_carries_the_nhs_number_with_its_system_and_uk_core_profile(
    ws: Workspace, known: Known
) -> None:
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    (raw,) = _resources(export.data, "Patient")
    patient = Patient.model_validate(raw)
    assert patient.meta is not None and patient.meta.profile == [fhir_record.PATIENT_PROFILE]
    (identifier,) = patient.identifier or []
    assert (identifier.system, identifier.value) == (NHS_NUMBER_SYSTEM, known.nhs_number)
    assert str(patient.birthDate) == "1941-05-04"
    assert patient.gender == "female"
    # Roma is a 2021 census group: the NHS ethnic category codes it "any other White background".
    (ethnicity,) = raw["extension"]
    assert ethnicity["valueCodeableConcept"]["coding"][0]["code"] == "C"


def test_referral_is_coded_for_the_gp_record(ws: Workspace, known: Known) -> None:
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    referral, activity = _resources(export.data, "ServiceRequest")
    assert activity["code"]["text"] == "Tuesday tea and chat"
    assert activity["performer"][0]["display"] == "St Anne's Community Centre"
    assert activity["status"] == "active"
    (concern,) = _resources(export.data, "Condition")
    assert concern["code"]["text"] == known.concern_words
    assert referral["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "871731000000106",
        "display": "Referral to social prescribing service",
    }
    assert referral["orderDetail"][0]["coding"][0]["code"] == "871691000000100"  # offered
    declined = records.fhir_export(ws, known.declined_id, made_at=MADE_AT)
    (referral,) = _resources(declined.data, "ServiceRequest")
    assert referral["orderDetail"][0]["coding"][0]["code"] == "871711000000103"


def test_steps_become_goals_with_how_far_they_got(ws: Workspace, known: Known) -> None:
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    goals = {g["description"]["text"]: g for g in _resources(export.data, "Goal")}
    walking, ringing = (goals[s] for s in known.steps)
    assert walking["lifecycleStatus"] == "active" and "target" in walking
    assert walking["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert ringing["lifecycleStatus"] == "completed"
    assert ringing["achievementStatus"]["coding"][0]["code"] == "achieved"


def test_answers_ship_with_their_questionnaire_and_a_declined_answer_is_not_a_zero(
    ws: Workspace, known: Known
) -> None:
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    (questionnaire,) = (
        q for q in _resources(export.data, "Questionnaire") if q["url"].endswith(":ons4")
    )
    first, latest = (
        QuestionnaireResponse.model_validate(r)
        for r in _resources(export.data, "QuestionnaireResponse")
        if r["questionnaire"].startswith(questionnaire["url"] + "|")
    )
    assert first.questionnaire == f"{questionnaire['url']}|{questionnaire['version']}"
    asked = [item["text"] for item in questionnaire["item"]]
    assert asked[0] == "Overall, how satisfied are you with your life nowadays?"
    happiness = next(i for i in first.item or [] if i.linkId == "happiness")
    assert not happiness.answer  # declined: no value at all
    assert happiness.extension and happiness.extension[0].valueCode == "asked-declined"
    values = {i.linkId: i.answer[0].valueInteger for i in latest.item or [] if i.answer}
    assert values == {"life_satisfaction": 7, "worthwhile": 7, "happiness": 6, "anxiety": 3}
    assert first.meta and first.meta.tag and first.meta.tag[0].code == "baseline"


def test_every_measure_goes_out_with_its_published_answers(ws: Workspace, known: Known) -> None:
    """UCLA-3 is a choice measure: its answers are the published options, by name."""
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    (ucla,) = (q for q in _resources(export.data, "Questionnaire") if q["url"].endswith("ucla3"))
    options = [o["valueCoding"]["display"] for o in ucla["item"][0]["answerOption"]]
    assert options == ["Hardly ever or never", "Some of the time", "Often"]
    (response,) = (
        r
        for r in _resources(export.data, "QuestionnaireResponse")
        if r["questionnaire"].startswith(ucla["url"] + "|")
    )
    answers = {i["linkId"]: i.get("answer") for i in response["item"]}
    assert answers["lack_companionship"][0]["valueCoding"]["display"] == "Often"
    assert answers["isolated"] is None  # declined


def test_the_office_bundles_several_people_with_one_questionnaire(
    ws: Workspace, known: Known
) -> None:
    both = [records.person_record(ws, pid) for pid in (known.person_id, known.declined_id)]
    bundle = record_bundle(both, records.measure_definitions(), made_at=MADE_AT).model
    kinds = [e.resource.get_resource_type() for e in bundle.entry or []]
    assert kinds.count("Patient") == 2 and kinds.count("Questionnaire") == 2  # ONS4, UCLA-3


def _one_item_measure() -> MeasureDefinition:
    return MeasureDefinition(
        key="lonely",
        title="ONS direct loneliness question",
        version="1",
        preamble="",
        source="ONS",
        items=(
            MeasureItem(
                "lonely",
                "How often do you feel lonely?",
                1,
                5,
                options=((1, "Often/always"), (5, "Never")),
            ),
        ),
    )


def _record(*answers: MeasureAnswers) -> PersonRecord:
    return PersonRecord(
        PersonFacts("p-1", "Ann", "Example", date_of_birth=date(1950, 1, 1)),
        "Team",
        measures=answers,
    )


def test_a_measure_with_named_answers_exports_them_as_codings() -> None:
    answers = MeasureAnswers("a-1", "lonely", date(2026, 1, 5), "baseline", (("lonely", 5),))
    bundle = record_bundle([_record(answers)], {"lonely": _one_item_measure()}, made_at=MADE_AT)
    data = json.loads(fhir_record.bundle_json(bundle))
    (response,) = (
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    assert response["item"][0]["answer"][0]["valueCoding"]["display"] == "Never"
    # An id FHIR would refuse ("p-1" is fine; "a 1" is not) becomes a stable one it accepts.
    assert fhir_record.resource_id("Patient", "a 1") == fhir_record.resource_id("Patient", "a 1")
    assert " " not in fhir_record.resource_id("Patient", "a 1")


def test_long_term_conditions_go_on_the_problem_list_coded_where_the_scheme_knows_how() -> None:
    person = PersonFacts("p-1", "Ann", "Example", conditions=("diabetes", "stroke_or_tia"))
    bundle = record_bundle([PersonRecord(person, "Team")], {}, made_at=MADE_AT)
    found = {c["code"]["text"]: c for c in _resources(fhir_record.bundle_json(bundle),
                                                      "Condition")}
    assert set(found) == {"Diabetes", "Stroke or TIA (mini-stroke)"}
    diabetes = found["Diabetes"]
    assert diabetes["code"]["coding"] == [
        {"system": SNOMED, "code": "73211009", "display": "Diabetes"}]
    assert diabetes["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert diabetes["clinicalStatus"]["coding"][0]["code"] == "active"
    assert "coding" not in found["Stroke or TIA (mini-stroke)"]["code"]  # no one concept: words
    again = record_bundle([PersonRecord(person, "Team")], {}, made_at=MADE_AT)
    assert fhir_record.bundle_json(again) == fhir_record.bundle_json(bundle)  # stable ids


def test_answers_to_a_measure_not_installed_are_refused_in_words() -> None:
    answers = MeasureAnswers("a-1", "who5", date(2026, 1, 5), "baseline", (("q1", 3),))
    with pytest.raises(ExportFailed, match="'who5' cannot be exported"):
        record_bundle([_record(answers)], {}, made_at=MADE_AT)


def test_a_record_that_does_not_fit_fhir_is_refused_in_words_not_library_text() -> None:
    plain = PersonRecord(PersonFacts("p-1", "Ann", "Example", gender="female"), "Team")
    with pytest.raises(ExportFailed) as caught:
        fhir_record.validated(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Patient", "birthDate": "not a date"}}],
            }
        )
    assert "did not fit the FHIR format" in str(caught.value)
    assert "pydantic" not in str(caught.value).lower()
    assert record_bundle([plain], {}, made_at=MADE_AT).model.entry  # a plain record is fine


@pytest.mark.parametrize("ethnicity", list(Ethnicity))
def test_every_ethnicity_has_an_nhs_category(ethnicity: Ethnicity) -> None:
    person = PersonFacts("p-1", "Ann", "Example", ethnicity=ethnicity.value)
    (extension,) = fhir_record.patient(person)["extension"]
    assert extension["valueCodeableConcept"]["coding"][0]["code"]


@pytest.mark.parametrize("gender", list(Gender))
def test_every_gender_maps_to_an_administrative_gender(gender: Gender) -> None:
    patient = fhir_record.patient(PersonFacts("p-1", "Ann", "Example", gender=gender.value))
    assert patient["gender"] in {"female", "male", "other", "unknown"}


def test_saving_an_export_is_audited_for_the_person(ws: Workspace, known: Known) -> None:
    export = records.fhir_export(ws, known.person_id, made_at=MADE_AT)
    assert known.nhs_number not in repr(export)  # the bytes never reach a log
    records.record_exported(ws, export)
    with ws.store.read() as conn:
        found = conn.execute(
            select(audit_events.c.action, audit_events.c.entity).where(
                audit_events.c.person_id == known.person_id
            )
        ).all()
    assert ("exported", "fhir_record") in [tuple(r) for r in found]
