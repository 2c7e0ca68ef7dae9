"""The person's journey printout: what matters to them, their steps and activities, their link
worker and next visit, and their wellbeing then and now."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sp_desktop.domain.choices import PrescriptionStatus, ProviderReferral
from sp_desktop.domain.directory import Service
from sp_desktop.domain.measures import MeasureThenAndNow
from sp_desktop.domain.prescribing import FollowUpKind, Prescription
from sp_desktop.domain.wellbeing import ONS4
from sp_desktop.pdf import wording
from sp_desktop.pdf.model import (
    Correction,
    MeasureWords,
    PlanActivity,
    PlanDocument,
    PlanStep,
    WellbeingLine,
)
from sp_desktop.pdf.plan import build_plan
from sp_desktop.services.documents.shared import (
    BuiltDocument,
    ContactDetails,
    DocumentKind,
    build_pdf,
    full_name,
    link_worker,
    page_count,
    prescribed,
    safe_file_name,
    stripped,
)

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

# Follow-ups are scheduled by day with no time or place, so the plan says how a visit's time is
# agreed; a phone call needs no such words.
NEXT_VISIT_WORDS = "Your link worker will ring you beforehand to agree a time."


def plan_for(
    ws: Workspace,
    person_id: str,
    *,
    large_print: bool | None = None,
    today: date | None = None,
    contact: ContactDetails | None = None,
) -> PlanDocument:
    """The person's journey printout, filled from the store as it is now.

    Args:
        large_print: None follows the person's access needs; True or False is this print's choice.
        today: the day the printout is for: the next visit is the first one after it, and it is
            the date in the footer. A visit pack passes the day of the visits.
        contact: the link worker's work details; None reads them from the settings file.
    """
    day = today or date.today()
    person = ws.people.get(person_id)
    worker = link_worker(ws, contact)
    measures = ws.wellbeing.then_and_now(person_id)
    ons4 = next((m for m in measures if m.measure.key == ONS4), None)
    what_matters, corrections = _what_matters(ws, person_id)
    return PlanDocument(
        person_name=full_name(person),
        preferred_name=person.preferred_name or person.given_name,
        what_matters=what_matters,
        what_matters_corrections=corrections,
        steps=tuple(
            PlanStep(s.words, s.target_date, s.progress) for s in ws.visits.steps_of(person_id)
        ),
        activities=tuple(
            _activity(prescription, service, day)
            for prescription, service in prescribed(ws, person_id)
            if prescription.status is PrescriptionStatus.ACTIVE
        ),
        link_worker=worker,
        next_visit=(upcoming := next_contact(ws, person_id, after=day))[0],
        next_visit_place=NEXT_VISIT_WORDS if upcoming[0] and not upcoming[1] else None,
        next_contact_by_phone=upcoming[1],
        wellbeing=_feelings(ons4),
        wellbeing_then_date=ons4.first.taken_on if ons4 and ons4.first else None,
        wellbeing_now_date=ons4.latest.taken_on if ons4 else None,
        other_measures=tuple(
            MeasureWords(m.measure.title, tuple(line.sentence for line in m.lines))
            for m in measures
            if m.measure.key != ONS4
        ),
        large_print=person.access.large_print if large_print is None else large_print,
        printed_on=day,
    )


def next_visit(ws: Workspace, person_id: str, *, after: date) -> date | None:
    """The first open follow-up due after `after`: the schedule the caseload works from.

    Strictly after, because a printout made on a visit day is left behind at that visit.
    Overdue follow-ups are not promised to the person: the adviser rings to rearrange those.
    """
    return next_contact(ws, person_id, after=after)[0]


def next_contact(ws: Workspace, person_id: str, *, after: date) -> tuple[date | None, bool]:
    """The day of the first open follow-up after `after` (see :func:`next_visit`), and whether
    it is a phone call.

    A check-in is a call (the adviser rings: "Ring after the trip"); first contacts, reviews and
    end-of-activity reviews are visits. The printout must not promise a knock on the door for a
    call, nor a call for a visit.
    """
    coming = [
        f for f in ws.prescribing.follow_ups_of(person_id, open_only=True) if f.due_on > after
    ]
    if not coming:
        return None, False
    # Oldest first within a day; a visit and a call due the same day: the visit is the one to
    # tell them about (a stable sort keeps the order follow-ups were made in).
    first = min(coming, key=lambda f: (f.due_on, f.kind == FollowUpKind.CHECK_IN))
    return first.due_on, first.kind == FollowUpKind.CHECK_IN


def _what_matters(ws: Workspace, person_id: str) -> tuple[str, tuple[Correction, ...]]:
    """The most recent "what matters to me" written down (later visits often leave it blank),
    with the corrections added to that visit since it was signed, printed after it."""
    for visit in ws.visits.of_person(person_id):  # newest first
        if visit.what_matters.strip():
            added = ws.visits.addenda_of(person_id).get(visit.id, ())
            return visit.what_matters.strip(), tuple(
                Correction(a.words, a.written_by, a.written_on) for a in added
            )
    return "", ()


def _activity(prescription: Prescription, service: Service, today: date) -> PlanActivity:
    """A prescription as the person needs it: what, where, when, who to ask, cost, getting there."""
    postcode = stripped(service.postcode)
    where = ", ".join(
        [line.strip() for line in stripped(service.address).splitlines() if line.strip()]
        + ([postcode] if postcode else [])
    )
    when = stripped(service.schedule)
    if prescription.provider_referral is ProviderReferral.WAITING_LIST:
        wait = prescription.waiting_weeks
        waiting = (
            f"You are on the waiting list (about {wording.weeks(wait)})."
            if isinstance(wait, int) and wait > 0
            else "You are on the waiting list."
        )
        when = f"{when}. {waiting}" if when else waiting
    name, phone, email = (
        stripped(service.contact_name),
        stripped(service.contact_phone),
        stripped(service.contact_email),
    )
    contact = f"{name} on {phone}" if name and phone else name or phone
    if email:
        contact = f"{contact}, or email {email}" if contact else f"Email {email}"
    cost = stripped(service.cost) or ("Free" if service.free else "")
    getting_there = stripped(service.accessibility) or (
        "Step-free access." if service.step_free else ""
    )
    start = prescription.start_date
    return PlanActivity(
        name=stripped(service.name) or "Activity",
        organisation=stripped(service.organisation),
        where=where,
        when=when,
        contact=contact,
        cost=cost,
        getting_there=getting_there,
        link_worker_comes_first_time=bool(prescription.accompany_first),
        start_date=start if start >= today else None,
        weeks=prescription.weeks if prescription.weeks > 0 else None,
    )


def _feelings(ons4: MeasureThenAndNow | None) -> tuple[WellbeingLine, ...]:
    """Each ONS4 question in plain words, then (first answers) and now (latest), with ONS bands
    and the change as the measure's one rule decides it."""
    if ons4 is None:
        return ()
    return tuple(
        WellbeingLine(
            question=line.result.plain_label,
            then_score=_whole(line.then),
            then_words="" if line.then is None else line.result.band(line.then),
            now_score=_whole(line.now),
            now_words="" if line.now is None else line.result.band(line.now),
            lower_is_better=line.result.better == "lower",
        )
        for line in ons4.lines
    )


def _whole(score: float | None) -> int | None:
    return None if score is None else int(score)


def plan_pdf(
    ws: Workspace,
    person_id: str,
    *,
    large_print: bool | None = None,
    today: date | None = None,
    contact: ContactDetails | None = None,
) -> BuiltDocument:
    """The person's journey printout as PDF bytes in memory (see :func:`plan_for`)."""
    doc = plan_for(ws, person_id, large_print=large_print, today=today, contact=contact)
    pdf = build_pdf(DocumentKind.PLAN, build_plan, doc)
    return BuiltDocument(
        kind=DocumentKind.PLAN,
        pdf=pdf,
        title=f"Journey printout for {doc.person_name}",
        file_name=safe_file_name(
            "Your journey", doc.person_name, wording.long_date(doc.printed_on)
        ),
        person_ids=(person_id,),
        large_print=doc.large_print,
        page_count=page_count(pdf),
    )
