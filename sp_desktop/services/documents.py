"""Printed documents from the store: a person's journey printout, the referrer letter, visit packs.

Everything is built in memory and handed back as bytes: a PDF is written only where the adviser
chooses to save it or sent to the printer, never to a temporary file, so no copy of anyone's
details is left behind on the laptop.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, select

from sp_desktop.domain.choices import (
    ClosingOutcome,
    Consent,
    PrescriptionStatus,
    ProviderReferral,
    ReferralSource,
)
from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.domain.people import Person, Referral
from sp_desktop.domain.prescribing import FollowUpKind
from sp_desktop.domain.wellbeing import Assessment, Ons4Item, band
from sp_desktop.pdf import wording
from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.model import (
    REFERRAL_TO_SOCIAL_PRESCRIBING,
    SOCIAL_PRESCRIBING_DECLINED,
    SOCIAL_PRESCRIBING_OFFERED,
    Change,
    Concern,
    Correction,
    LetterDocument,
    LinkWorker,
    PersonDetails,
    PlanActivity,
    PlanDocument,
    PlanStep,
    Practice,
    Referrer,
    SnomedCode,
    SupportOffered,
    WellbeingLine,
    WellbeingOutcome,
)
from sp_desktop.pdf.plan import build_plan, build_visit_pack
from sp_desktop.services.resources import conversation_guide, ons4_questionnaire
from sp_desktop.services.run_sheet import run_sheet_for
from sp_desktop.services.settings import (
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    Settings,
)
from sp_desktop.store.schema import (
    closing_reviews,
    follow_ups,
    people,
    prescriptions,
    services,
    visits,
)

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

# Follow-ups are scheduled by day with no time or place, so the plan says how a visit's time is
# agreed; a phone call needs no such words.
NEXT_VISIT_WORDS = "Your link worker will ring you beforehand to agree a time."

_FOLLOW_UP_WORDS = {
    "first_contact": "First contact",
    "review": "Review",
    "end": "End-of-activity review",
    "check_in": "Check-in",
}
_UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')

# reportlab registers fonts and caches glyph widths process-wide, so two builds at once could
# trip over each other; the UI already builds on its one writer thread, this also guards scripts.
_BUILD_LOCK = threading.Lock()


class DocumentNotPossible(SpDesktopError):
    """A document cannot be made yet; the message says what to do first."""


class WorkPhoneMissing(DocumentNotPossible):
    """No work phone number in Settings: the print preview offers to open Settings."""


class DocumentKind(enum.StrEnum):
    """What was built; also the entity named in the audit trail."""

    PLAN = "plan"
    LETTER = "letter"
    VISIT_PACK = "visit_pack"


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """How people and referrers reach the link worker: work details, never anyone's personal data.

    Attributes:
        phone: a work number the person can ring; printouts cannot be made without one.
        email: a work address, or "" if people should ring instead.
        organisation: the scheme or charity; blank means the adviser's team name.
    """

    phone: str = ""
    email: str = ""
    organisation: str = ""


@dataclass(frozen=True, slots=True)
class BuiltDocument:
    """A finished PDF held in memory, with what the preview and the audit trail need to know.

    `pdf` and `title` are left out of the repr: they hold a person's details and must never reach
    a log or a crash report.

    Attributes:
        kind: plan, letter or visit pack.
        pdf: the PDF bytes.
        title: what the preview window shows ("Journey printout for Zoë Dvořák").
        file_name: the name offered in the "Save as PDF" box.
        person_ids: everyone whose details are in it (one audit event each).
        large_print: whether it is in large print; None for a pack that mixes both, or a letter.
        page_count: pages, as the builder laid them out.
    """

    kind: DocumentKind
    pdf: bytes = field(repr=False)
    title: str = field(repr=False)
    file_name: str = field(repr=False)
    person_ids: tuple[str, ...] = field(repr=False)
    large_print: bool | None
    page_count: int


@dataclass(frozen=True, slots=True)
class DueVisit:
    """Someone with a visit or follow-up on a given day: a line in the visit pack's list.

    Attributes:
        person_id: who.
        name: as the adviser knows them (preferred name first).
        postcode: where, so the day's route can be checked at a glance.
        reasons: what is due ("Review", "Visit"), in the adviser's words.
        large_print: whether their printout is in large print by default (their access needs).
    """

    person_id: str
    name: str
    postcode: str
    reasons: tuple[str, ...]
    large_print: bool


# --- contact details -------------------------------------------------------------------------


def read_contact(folder: Path) -> ContactDetails:
    """The link worker's work phone, email and organisation from the settings file in `folder`.

    Read through the same declarations the Settings dialog writes with. A missing or unreadable
    file, or a value that breaks its rule, reads as blank: settings are a convenience, and the
    printout then asks for what is missing rather than failing obscurely.
    """
    settings = Settings.in_folder(folder)
    return ContactDetails(
        settings.get(LINK_WORKER_PHONE).strip(),
        settings.get(LINK_WORKER_EMAIL).strip(),
        settings.get(LINK_WORKER_ORGANISATION).strip(),
    )


def link_worker(ws: Workspace, contact: ContactDetails | None = None) -> LinkWorker:
    """The adviser as printed: name from the workspace, work contact from settings (or `contact`).

    Refuses without a phone number, because the printout's first promise is "ring me".
    """
    details = contact if contact is not None else read_contact(ws.store.folder)
    if not details.phone.strip():
        raise WorkPhoneMissing(
            "Please add your work phone number in Settings first: the printout tells the person "
            "to ring it."
        )
    return LinkWorker(
        name=ws.adviser.strip() or "Your link worker",
        phone=details.phone.strip(),
        email=details.email.strip(),
        organisation=details.organisation.strip() or ws.team.strip() or "Social prescribing",
    )


# --- the person's plan -------------------------------------------------------------------------


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
    history = ws.wellbeing.history(person_id)
    first = history[0] if len(history) > 1 else None
    latest = history[-1] if history else None
    what_matters, corrections = _what_matters(ws, person_id)
    return PlanDocument(
        person_name=_full_name(person),
        preferred_name=person.preferred_name or person.given_name,
        what_matters=what_matters,
        what_matters_corrections=corrections,
        steps=tuple(
            PlanStep(s.words, s.target_date, s.progress) for s in ws.visits.steps_of(person_id)
        ),
        activities=tuple(
            _activity(row, day)
            for row in _prescribed(ws, person_id)
            if row["status"] == PrescriptionStatus.ACTIVE
        ),
        link_worker=worker,
        next_visit=(upcoming := next_contact(ws, person_id, after=day))[0],
        next_visit_place=NEXT_VISIT_WORDS if upcoming[0] and not upcoming[1] else None,
        next_contact_by_phone=upcoming[1],
        wellbeing=_feelings(first, latest),
        wellbeing_then_date=first.assessed_on if first else None,
        wellbeing_now_date=latest.assessed_on if latest else None,
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
    with ws.store.read() as conn:
        row = conn.execute(
            select(follow_ups.c.due_on, follow_ups.c.kind)
            .where(
                follow_ups.c.person_id == person_id,
                follow_ups.c.done_on.is_(None),
                follow_ups.c.deleted.is_(False),
                follow_ups.c.due_on > after,
            )
            # A visit and a call due the same day: the visit is the one to tell them about.
            .order_by(
                follow_ups.c.due_on,
                follow_ups.c.kind == FollowUpKind.CHECK_IN,
                follow_ups.c.created_at,
            )
            .limit(1)
        ).one_or_none()
    if row is None or not isinstance(row.due_on, date):
        return None, False
    return row.due_on, row.kind == FollowUpKind.CHECK_IN


def _full_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}".strip()


def _what_matters(ws: Workspace, person_id: str) -> tuple[str, tuple[Correction, ...]]:
    """The most recent "what matters to me" written down (later visits often leave it blank),
    with the corrections added to that visit since it was signed, printed after it."""
    for visit in ws.visits.of_person(person_id):  # newest first
        if visit.what_matters.strip():
            added = ws.visits.addenda_of(person_id).get(visit.id, ())
            return visit.what_matters.strip(), tuple(
                Correction(a.words, a.written_by, a.written_on) for a in added)
    return "", ()


def _prescribed(ws: Workspace, person_id: str) -> list[RowMapping]:
    """Prescriptions with their directory entry, oldest first.

    Read straight from the tables so a service removed from the directory since (a tombstone)
    still names the activity the person went to.
    """
    with ws.store.read() as conn:
        return list(
            conn.execute(
                select(
                    prescriptions.c.start_date,
                    prescriptions.c.weeks,
                    prescriptions.c.accompany_first,
                    prescriptions.c.provider_referral,
                    prescriptions.c.waiting_weeks,
                    prescriptions.c.status,
                    prescriptions.c.ended_on,
                    services.c.name,
                    services.c.organisation,
                    services.c.address,
                    services.c.postcode,
                    services.c.contact_name,
                    services.c.contact_phone,
                    services.c.contact_email,
                    services.c.schedule,
                    services.c.cost,
                    services.c.free,
                    services.c.step_free,
                    services.c.accessibility,
                )
                .join_from(prescriptions, services, prescriptions.c.service_id == services.c.id)
                .where(prescriptions.c.person_id == person_id, prescriptions.c.deleted.is_(False))
                .order_by(prescriptions.c.start_date, prescriptions.c.created_at)
            ).mappings()
        )


def _text(row: RowMapping, key: str) -> str:
    value = row[key]
    return value.strip() if isinstance(value, str) else ""


def _activity(row: RowMapping, today: date) -> PlanActivity:
    """A prescription as the person needs it: what, where, when, who to ask, cost, getting there."""
    where = ", ".join(
        [line.strip() for line in _text(row, "address").splitlines() if line.strip()]
        + ([_text(row, "postcode")] if _text(row, "postcode") else [])
    )
    when = _text(row, "schedule")
    if row["provider_referral"] == ProviderReferral.WAITING_LIST:
        wait = row["waiting_weeks"]
        waiting = (
            f"You are on the waiting list (about {wording.weeks(wait)})."
            if isinstance(wait, int) and wait > 0
            else "You are on the waiting list."
        )
        when = f"{when}. {waiting}" if when else waiting
    name, phone, email = (_text(row, k) for k in ("contact_name", "contact_phone", "contact_email"))
    contact = f"{name} on {phone}" if name and phone else name or phone
    if email:
        contact = f"{contact}, or email {email}" if contact else f"Email {email}"
    cost = _text(row, "cost") or ("Free" if row["free"] else "")
    getting_there = _text(row, "accessibility") or ("Step-free access." if row["step_free"] else "")
    start = row["start_date"]
    return PlanActivity(
        name=_text(row, "name") or "Activity",
        organisation=_text(row, "organisation"),
        where=where,
        when=when,
        contact=contact,
        cost=cost,
        getting_there=getting_there,
        link_worker_comes_first_time=bool(row["accompany_first"]),
        start_date=start if isinstance(start, date) and start >= today else None,
        weeks=row["weeks"] if isinstance(row["weeks"], int) and row["weeks"] > 0 else None,
    )


def _band_words(item: Ons4Item, score: int | None) -> str:
    return "" if score is None else band(item, score).value


def _feelings(first: Assessment | None, latest: Assessment | None) -> tuple[WellbeingLine, ...]:
    """Each ONS4 question in plain words, then (first answers) and now (latest), with ONS bands."""
    if latest is None:
        return ()
    lines = []
    for question in ons4_questionnaire().questions:
        item = question.item
        then_score = first.scores.score(item) if first else None
        now_score = latest.scores.score(item)
        lines.append(
            WellbeingLine(
                question=question.plain_label,
                then_score=then_score,
                then_words=_band_words(item, then_score),
                now_score=now_score,
                now_words=_band_words(item, now_score),
                lower_is_better=item.lower_is_better,
            )
        )
    return tuple(lines)


# --- the letter back to the referrer ----------------------------------------------------------


def letter_for(
    ws: Workspace,
    person_id: str,
    *,
    referral_id: str | None = None,
    today: date | None = None,
    contact: ContactDetails | None = None,
    outcome_text: str | None = None,
) -> LetterDocument:
    """The message back to the referrer and GP (PRSB shape), with the SNOMED CT codes that apply.

    Args:
        referral_id: which referral to answer; None answers the latest.
        today: the date on the letter.
        contact: the link worker's work details; None reads them from the settings file.
        outcome_text: the adviser's own words for the outcome; None writes a factual summary.
    """
    day = today or date.today()
    person = ws.people.get(person_id)
    worker = link_worker(ws, contact)
    referral = _referral(ws, person_id, referral_id)
    history = ws.wellbeing.history(person_id)
    closing = _closing_review(ws, person_id, since=referral.received_on)
    support = tuple(_support(row, day) for row in _prescribed(ws, person_id))
    return LetterDocument(
        referrer=_referrer(referral, person),
        practice=Practice(person.gp_practice.strip()),
        person=PersonDetails(
            name=_full_name(person),
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number.digits if person.nhs_number else None,
            address_lines=_address_lines(person),
        ),
        referral_date=referral.received_on,
        referral_reason=referral.reason.strip() or "Not given.",
        concerns=_concerns(ws, person_id),
        support=support,
        wellbeing=_outcomes(history),
        wellbeing_baseline_date=history[0].assessed_on if history else None,
        wellbeing_latest_date=history[-1].assessed_on if history else None,
        outcome_text=outcome_text
        if outcome_text and outcome_text.strip()
        else _outcome_words(ws, person, referral, closing, history),
        carries_on=bool(closing["carries_on"]) if closing is not None else None,
        codes=codes_for(referral),
        link_worker=worker,
        letter_date=day,
    )


def codes_for(referral: Referral) -> tuple[SnomedCode, ...]:
    """SNOMED CT codes for the GP record: the referral itself, then what the person decided.

    Consent still pending adds nothing: social prescribing has not been offered yet.
    """
    codes = [REFERRAL_TO_SOCIAL_PRESCRIBING]
    if referral.consent is Consent.GIVEN:
        codes.append(SOCIAL_PRESCRIBING_OFFERED)
    elif referral.consent is Consent.DECLINED:
        codes.append(SOCIAL_PRESCRIBING_DECLINED)
    return tuple(codes)


def _referral(ws: Workspace, person_id: str, referral_id: str | None) -> Referral:
    found = ws.people.referrals_of(person_id)  # newest first
    if referral_id is not None:
        found = [r for r in found if r.id == referral_id]
    if not found:
        raise DocumentNotPossible(
            "There is no referral to reply to: record how the person was referred first."
        )
    return found[0]


def _referrer(referral: Referral, person: Person) -> Referrer:
    """Who the letter goes to; a self-referral or a list has no named referrer, so the practice."""
    organisation = referral.referrer_organisation.strip() or person.gp_practice.strip()
    role = "" if referral.source is ReferralSource.OTHER else referral.source.label
    return Referrer(
        name=referral.referrer_name.strip() or "Colleague",
        role=role,
        organisation=organisation or "Not recorded",
        address_lines=(organisation,) if organisation else (),
    )


def _address_lines(person: Person) -> tuple[str, ...]:
    lines = [line.strip() for line in person.address.splitlines() if line.strip()]
    if person.postcode.strip():
        lines.append(person.postcode.strip())
    return tuple(lines)


def _concerns(ws: Workspace, person_id: str) -> tuple[Concern, ...]:
    """Needs and concerns with how much each bothered them at first and at the latest rating.

    A concern rated only once has no "latest": repeating the first number would read as
    "no change" when it was simply never asked again.
    """
    guide = conversation_guide()
    found = []
    for concern in ws.visits.concerns_of(person_id):
        history = ws.visits.concern_history(concern.id)
        try:
            area = guide.domain(concern.domain).title
        except KeyError:
            area = concern.domain.replace("_", " ").capitalize()
        found.append(
            Concern(
                domain=area,
                words=concern.words,
                severity_first=history[0].value if history else concern.severity,
                severity_latest=history[-1].value if len(history) > 1 else None,
            )
        )
    return tuple(found)


def _support_status(row: RowMapping) -> str:
    """Where each activity stands, in words a GP reads without knowing the app."""
    status = row["status"]
    referral = row["provider_referral"]
    if status == PrescriptionStatus.CANCELLED:
        return "declined by provider" if referral == ProviderReferral.DECLINED else "cancelled"
    if status == PrescriptionStatus.ENDED:
        ended, start, weeks = row["ended_on"], row["start_date"], row["weeks"]
        known = isinstance(ended, date) and isinstance(start, date) and isinstance(weeks, int)
        if known and (ended - start).days < weeks * 7:
            return "stopped early"
        return "completed"
    return {
        ProviderReferral.TO_SEND: "offered",
        ProviderReferral.SENT: "referral sent",
        ProviderReferral.ACCEPTED: "accepted",
        ProviderReferral.WAITING_LIST: "on waiting list",
        ProviderReferral.DECLINED: "declined by provider",
    }.get(ProviderReferral(referral), "offered")


def _support(row: RowMapping, today: date) -> SupportOffered:
    start = row["start_date"]
    return SupportOffered(
        activity=_text(row, "name") or "Activity",
        provider=_text(row, "organisation"),
        status=_support_status(row),
        start_date=start if isinstance(start, date) and start <= today else None,
        weeks=row["weeks"] if isinstance(row["weeks"], int) and row["weeks"] > 0 else None,
    )


def _outcomes(history: Sequence[Assessment]) -> tuple[WellbeingOutcome, ...]:
    """ONS4 first and latest; with one assessment both columns show it, dated the same day."""
    if not history:
        return ()
    first, latest = history[0].scores, history[-1].scores
    return tuple(
        WellbeingOutcome(
            item=item.value.replace("_", " ").capitalize(),
            baseline_score=first.score(item),
            baseline_band=_band_words(item, first.score(item)),
            latest_score=latest.score(item),
            latest_band=_band_words(item, latest.score(item)),
            lower_is_better=item.lower_is_better,
        )
        for item in Ons4Item
    )


def _closing_review(ws: Workspace, person_id: str, *, since: date) -> RowMapping | None:
    """The latest closing review since this referral arrived (an earlier one closed another)."""
    with ws.store.read() as conn:
        return (
            conn.execute(
                select(closing_reviews)
                .where(
                    closing_reviews.c.person_id == person_id,
                    closing_reviews.c.deleted.is_(False),
                    closing_reviews.c.closed_on >= since,
                )
                .order_by(closing_reviews.c.closed_on.desc(), closing_reviews.c.hlc.desc())
                .limit(1)
            )
            .mappings()
            .one_or_none()
        )


def _outcome_words(
    ws: Workspace,
    person: Person,
    referral: Referral,
    closing: RowMapping | None,
    history: Sequence[Assessment],
) -> str:
    """A short factual summary the adviser can replace with their own words."""
    name = person.preferred_name or person.given_name
    if referral.consent is Consent.DECLINED:
        when = f" on {wording.long_date(referral.consent_on)}" if referral.consent_on else ""
        return f"{name} chose not to take part in social prescribing when we spoke{when}."
    if referral.consent is Consent.PENDING:
        return f"We have not yet been able to agree support with {name}. We will write again."
    paragraphs = []
    if closing is not None:
        outcome = ClosingOutcome(closing["outcome"]).label.lower()
        reason = _text(closing, "reason")
        paragraphs.append(
            f"Social prescribing support ended on {wording.long_date(closing['closed_on'])} "
            f"({outcome})." + (f" {reason}" if reason else "")
        )
    else:
        paragraphs.append(f"{name} is still working with their link worker.")
    steps = ws.visits.steps_of(person.id)
    if steps:
        done = sum(1 for s in steps if s.progress >= 10)
        none = "none was marked as done" if closing is not None else "none is done yet"
        done_words = {0: none, 1: "1 is done"}.get(done, f"{done} are done")
        paragraphs.append(
            f"{name} chose {len(steps)} step{'s' if len(steps) != 1 else ''} of their own; "
            f"{done_words}."
        )
    if len(history) > 1:
        moved = [c for c in _outcomes(history) if c.change is not Change.NOT_KNOWN]
        better = sum(1 for c in moved if c.change is Change.BETTER)
        if moved:
            paragraphs.append(
                f"Their wellbeing answers were better on {better} of the {len(moved)} "
                f"questions answered both times."
            )
    return "\n\n".join(paragraphs)


# --- visit packs ----------------------------------------------------------------------------


def due_on(ws: Workspace, day: date) -> list[DueVisit]:
    """Everyone with an open follow-up due on `day` or a visit recorded for that day, by name.

    Follow-ups (due_on) are the schedule; a visit record dated that day counts too, so a visit
    started early, or arranged for that day, is not left out of the pack.
    """
    reasons: dict[str, list[str]] = {}
    with ws.store.read() as conn:
        for person_id, kind in conn.execute(
            select(follow_ups.c.person_id, follow_ups.c.kind)
            .where(
                follow_ups.c.due_on == day,
                follow_ups.c.done_on.is_(None),
                follow_ups.c.deleted.is_(False),
            )
            .order_by(follow_ups.c.created_at)
        ):
            words = _FOLLOW_UP_WORDS.get(kind, str(kind).replace("_", " ").capitalize())
            reasons.setdefault(person_id, []).append(words)
        for (person_id,) in conn.execute(
            select(visits.c.person_id).where(
                visits.c.visit_date == day, visits.c.deleted.is_(False)
            )
        ):
            reasons.setdefault(person_id, []).append("Visit")
        if not reasons:
            return []
        rows = conn.execute(
            select(
                people.c.id,
                people.c.given_name,
                people.c.preferred_name,
                people.c.family_name,
                people.c.postcode,
                people.c.large_print,
            )
            .where(people.c.id.in_(list(reasons)), people.c.deleted.is_(False))
            .order_by(people.c.family_name, people.c.given_name, people.c.id)
        ).mappings()
        return [
            DueVisit(
                person_id=row["id"],
                name=f"{row['preferred_name'] or row['given_name']} {row['family_name']}",
                postcode=row["postcode"] or "",
                reasons=tuple(dict.fromkeys(reasons[row["id"]])),
                large_print=bool(row["large_print"]),
            )
            for row in rows
        ]


def visit_pack_for(
    ws: Workspace,
    day: date,
    *,
    person_ids: Iterable[str] | None = None,
    large_print: bool | None = None,
    contact: ContactDetails | None = None,
) -> list[PlanDocument]:
    """The printouts of everyone due on `day` (or of `person_ids` among them), in list order.

    Each printout is as of that day: its next visit is the one after it, and it carries that
    date, because it is handed over then. `large_print` None keeps each person's own choice.
    """
    return _pack(ws, day, _pack_ids(ws, day, person_ids), large_print, contact)


def _pack_ids(ws: Workspace, day: date, person_ids: Iterable[str] | None) -> list[str]:
    """Who is in the pack, in the order of the day's list (a choice can only narrow it)."""
    due = [d.person_id for d in due_on(ws, day)]
    if person_ids is None:
        return due
    wanted = set(person_ids)
    return [pid for pid in due if pid in wanted]


def _pack(
    ws: Workspace,
    day: date,
    person_ids: Sequence[str],
    large_print: bool | None,
    contact: ContactDetails | None,
) -> list[PlanDocument]:
    details = contact if contact is not None else read_contact(ws.store.folder)
    return [
        plan_for(ws, pid, large_print=large_print, today=day, contact=details) for pid in person_ids
    ]


# --- PDFs and the audit trail -----------------------------------------------------------------


def _safe_file_name(*parts: str) -> str:
    """A file name every system accepts; the adviser can still change it in the save box."""
    name = " - ".join(p.strip() for p in parts if p.strip())
    return _UNSAFE_IN_FILE_NAMES.sub(" ", name).strip(" .") + ".pdf"


def _page_count(pdf: bytes) -> int:
    """Pages in a PDF made by our builders: reportlab writes one /Type /Page object per page."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _build(kind: DocumentKind, fn: Any, *args: Any) -> bytes:
    with _BUILD_LOCK:
        pdf = fn(*args)
    if not isinstance(pdf, bytes):
        raise TypeError(f"the {kind.value} builder returned {type(pdf).__name__}, not bytes")
    return pdf


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
    pdf = _build(DocumentKind.PLAN, build_plan, doc)
    return BuiltDocument(
        kind=DocumentKind.PLAN,
        pdf=pdf,
        title=f"Journey printout for {doc.person_name}",
        file_name=_safe_file_name(
            "Your journey", doc.person_name, wording.long_date(doc.printed_on)
        ),
        person_ids=(person_id,),
        large_print=doc.large_print,
        page_count=_page_count(pdf),
    )


def letter_pdf(
    ws: Workspace,
    person_id: str,
    *,
    referral_id: str | None = None,
    today: date | None = None,
    contact: ContactDetails | None = None,
    outcome_text: str | None = None,
) -> BuiltDocument:
    """The referrer letter as PDF bytes in memory (see :func:`letter_for`)."""
    doc = letter_for(
        ws,
        person_id,
        referral_id=referral_id,
        today=today,
        contact=contact,
        outcome_text=outcome_text,
    )
    pdf = _build(DocumentKind.LETTER, build_letter, doc)
    return BuiltDocument(
        kind=DocumentKind.LETTER,
        pdf=pdf,
        title=f"Letter to the referrer about {doc.person.name}",
        file_name=_safe_file_name(
            "Letter to referrer", doc.person.name, wording.long_date(doc.letter_date)
        ),
        person_ids=(person_id,),
        large_print=None,
        page_count=_page_count(pdf),
    )


def visit_pack_pdf(
    ws: Workspace,
    day: date,
    *,
    person_ids: Iterable[str] | None = None,
    large_print: bool | None = None,
    contact: ContactDetails | None = None,
    adviser_pages: bool = True,
) -> BuiltDocument:
    """Everyone's printouts for `day` in one PDF (see :func:`visit_pack_for`).

    With `adviser_pages` the pack starts with the adviser's own run sheet and directory
    snapshot (see :mod:`sp_desktop.services.run_sheet`), numbered apart from the printouts.
    """
    chosen = _pack_ids(ws, day, person_ids)
    docs = _pack(ws, day, chosen, large_print, contact)
    if not docs:
        raise DocumentNotPossible(
            f"Nobody has a visit or follow-up due on {wording.weekday_date(day)}."
        )
    sheet = run_sheet_for(ws, day, chosen) if adviser_pages else None
    pdf = _build(DocumentKind.VISIT_PACK, build_visit_pack, docs, sheet)
    sizes = {doc.large_print for doc in docs}
    return BuiltDocument(
        kind=DocumentKind.VISIT_PACK,
        pdf=pdf,
        title=f"Visit pack for {wording.weekday_date(day)}",
        file_name=_safe_file_name("Visit pack", wording.long_date(day)),
        person_ids=tuple(chosen),
        large_print=sizes.pop() if len(sizes) == 1 else None,
        page_count=_page_count(pdf),
    )


def _audit(ws: Workspace, action: str, document: BuiltDocument) -> None:
    """One event per person whose details left the app, in one transaction.

    A visit pack is recorded as each person's plan: the trail is read person by person.
    """
    entity = DocumentKind.PLAN if document.kind is DocumentKind.VISIT_PACK else document.kind
    with ws.write() as conn:
        ws.audit_many(conn, [(action, entity.value, None, pid) for pid in document.person_ids])


def record_printed(ws: Workspace, document: BuiltDocument) -> None:
    """Audit: the document was sent to a printer."""
    _audit(ws, "printed", document)


def record_exported(ws: Workspace, document: BuiltDocument) -> None:
    """Audit: the document was saved as a PDF file where the adviser chose."""
    _audit(ws, "exported", document)
