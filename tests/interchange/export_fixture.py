"""Two hand-made people whose exported facts are known (the export tests' store adds them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sp_desktop.domain.choices import Consent, Ethnicity, Gender, ReferralSource
from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.pdf.samples import synthetic_nhs_number
from sp_desktop.services.directory import DirectoryService, ImportMode
from sp_desktop.services.workspace import Workspace

TODAY = date.today()


@dataclass(frozen=True)
class Known:
    """What was recorded for the hand-made people, to look for in the exports."""

    person_id: str
    nhs_number: str
    declined_id: str
    concern_words: str
    steps: tuple[str, ...]


def make_people(ws: Workspace) -> Known:
    """Zoë, who took part (one wellbeing answer declined), and Łukasz, who declined."""
    first_visit = TODAY - timedelta(days=40)
    nhs_number = synthetic_nhs_number("999123451")
    person_id = ws.people.create(
        given_name="Zoë",
        family_name="Dvořák",
        date_of_birth=date(1941, 5, 4),
        nhs_number=nhs_number,
        gender=Gender.FEMALE,
        ethnicity=Ethnicity.WHITE_ROMA,
        gp_practice="Northfield Medical Practice",
        address="Flat 3, 27 Elm Road\nNorthfield",
        postcode="LS6 2AB",
        phone="0113 496 0001",
    ).id
    ws.people.record_referral(
        person_id,
        source=ReferralSource.GP,
        received_on=first_visit - timedelta(days=10),
        referrer_name="Dr Amara Okafor",
        referrer_organisation="Northfield Medical Practice",
        reason="Lives alone since her husband died.",
        consent=Consent.GIVEN,
        consent_on=first_visit - timedelta(days=8),
    )
    visit_id = ws.visits.start(person_id, first_visit).id
    words = "=I can go days without speaking to anyone <really>."
    ws.visits.add_concern(visit_id, "connection", words, 8)
    steps = ("Walk to the post box and back on dry days", "Ring my sister on Sundays")
    ws.visits.add_step(person_id, steps[0], target_date=TODAY + timedelta(days=30), progress=3)
    ws.visits.add_step(person_id, steps[1], progress=10, visit_id=visit_id)
    ws.visits.finish(visit_id)
    ws.wellbeing.record(person_id, Ons4Scores(4, 5, None, 7), on=first_visit)
    ws.wellbeing.record(
        person_id,
        Ons4Scores(7, 7, 6, 3),
        on=TODAY - timedelta(days=5),
        context=AssessmentContext.REVIEW,
    )
    ws.wellbeing.record_answers(
        person_id,
        "ucla3",
        {"lack_companionship": 3, "left_out": 2, "isolated": None},
        on=first_visit,
        context=AssessmentContext.BASELINE,
    )
    service = Service(
        id=new_id(),
        name="Tuesday tea and chat",
        category=Category.SOCIAL_ACTIVITY,
        organisation="St Anne's Community Centre",
    )
    DirectoryService(ws).import_services([service], ImportMode.MERGE)
    ws.prescribing.prescribe(person_id, service.id, TODAY - timedelta(days=14), weeks=12)

    declined_id = ws.people.create(
        given_name="Łukasz",
        family_name="Wiśniewski",
        date_of_birth=date(1939, 11, 2),
        gp_practice="Northfield Medical Practice",
    ).id
    ws.people.record_referral(
        declined_id,
        source=ReferralSource.PRACTICE_NURSE,
        received_on=TODAY - timedelta(days=20),
        referrer_name="Nurse J. Okafor",
        referrer_organisation="Northfield Medical Practice",
        reason="Low mood and isolation",
        consent=Consent.DECLINED,
        consent_on=TODAY - timedelta(days=15),
    )
    return Known(person_id, nhs_number.replace(" ", ""), declined_id, words, steps)
