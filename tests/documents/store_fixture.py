"""The hand-made people printed in the document tests, and what was recorded for them."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pypdf

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.people import AccessNeeds
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.pdf.samples import synthetic_nhs_number
from sp_desktop.services.directory import DirectoryService, ImportMode
from sp_desktop.services.documents import ContactDetails
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
CONTACT = ContactDetails(
    phone="0113 496 0777", email="link.worker@example.org", organisation="Northfield Link"
)
TODAY = date.today()


@dataclass(frozen=True)
class Zoe:
    """What was recorded for the hand-made person, to look for on the page."""

    person_id: str
    declined_id: str
    what_matters: str
    steps: tuple[str, ...]
    step_target: date
    service_name: str
    service_phone: str
    start: date
    first_review: date
    first_visit: date


def pdf_text(data: bytes) -> str:
    """All of a PDF's text with whitespace runs made one space, so wrapped lines still match."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
    return " ".join(text.split())


def pdf_sizes(data: bytes) -> Counter[float]:
    """Characters drawn at each point size, as a reader sees them."""
    sizes: Counter[float] = Counter()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes[round(size * abs(tm[3]) * abs(cm[3]), 1)] += len(text.strip())

    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def make_people(ws: Workspace) -> Zoe:
    """Zoë, with a whole journey recorded through the services, and Łukasz, who declined."""
    first_visit = TODAY - timedelta(days=40)
    person_id = ws.people.create(
        given_name="Zoë",
        family_name="Dvořák",
        preferred_name="Zoë",
        date_of_birth=date(1941, 5, 4),
        nhs_number=synthetic_nhs_number("999123451"),
        gp_practice="Northfield Medical Practice",
        address="Flat 3, 27 Elm Road\nNorthfield",
        postcode="LS6 2AB",
        access=AccessNeeds(large_print=True),
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
    what_matters = "Getting back to seeing people, and a good natter over a cup of tea."
    ws.visits.save_notes(visit_id, what_matters=what_matters)
    concern_id = ws.visits.add_concern(
        visit_id, "connection", "I can go days without speaking to anyone.", 8
    ).id
    ws.visits.rate_concern(concern_id, 4, TODAY - timedelta(days=5))
    target = TODAY + timedelta(days=30)
    steps = ("Walk to the post box and back on dry days", "Ring my sister on Sundays")
    ws.visits.add_step(person_id, steps[0], target_date=target, progress=3, visit_id=visit_id)
    ws.visits.add_step(person_id, steps[1], progress=10, visit_id=visit_id)
    ws.visits.finish(visit_id)
    ws.wellbeing.record(person_id, Ons4Scores(4, 5, None, 7), on=first_visit)
    ws.wellbeing.record(
        person_id,
        Ons4Scores(7, 7, 6, 3),
        on=TODAY - timedelta(days=5),
        context=AssessmentContext.REVIEW,
    )
    service = Service(
        id=new_id(),
        name="Tuesday tea and chat",
        category=Category.SOCIAL_ACTIVITY,
        organisation="St Anne's Community Centre",
        address="St Anne's Hall, Church Lane\nNorthfield",
        postcode="LS6 3AB",
        contact_name="Maggie",
        contact_phone="0113 496 0555",
        schedule="Tuesdays, 2pm to 4pm",
        cost="£2 a session, tea included",
        step_free=True,
        accessibility="The 12 bus stops outside; ramp at the side door.",
    )
    DirectoryService(ws).import_services([service], ImportMode.MERGE)
    start = TODAY + timedelta(days=7)
    ws.prescribing.prescribe(person_id, service.id, start, weeks=12, accompany_first=True)

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
    return Zoe(
        person_id=person_id,
        declined_id=declined_id,
        what_matters=what_matters,
        steps=steps,
        step_target=target,
        service_name=service.name,
        service_phone=service.contact_phone,
        start=start,
        first_review=start + timedelta(weeks=2),
        first_visit=first_visit,
    )
