"""The message back to the referrer and GP (PRSB shape), with the SNOMED CT codes that apply."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sp_desktop.domain.choices import (
    Consent,
    ReferralSource,
)
from sp_desktop.domain.directory import Service
from sp_desktop.domain.measures import MeasureThenAndNow, Sitting
from sp_desktop.domain.people import Person, Referral
from sp_desktop.domain.prescribing import ClosingReview, Prescription
from sp_desktop.domain.wellbeing import ONS4
from sp_desktop.interchange.fhir_prsb import (
    Author,
    MessageBack,
    Recipient,
    SupportLine,
    WellbeingChange,
    message_bundle,
    new_message_id,
)
from sp_desktop.interchange.fhir_record import SNOMED, Code, bundle_json
from sp_desktop.interchange.records import (
    ConcernFacts,
    PersonFacts,
    ReferralFacts,
    activity_standing,
    concern_facts,
)
from sp_desktop.pdf import wording
from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.model import (
    REFERRAL_TO_SOCIAL_PRESCRIBING,
    SOCIAL_PRESCRIBING_DECLINED,
    SOCIAL_PRESCRIBING_OFFERED,
    Change,
    Concern,
    LetterDocument,
    MeasureWords,
    PersonDetails,
    Practice,
    Referrer,
    SnomedCode,
    SupportOffered,
    WellbeingOutcome,
)
from sp_desktop.services.documents.shared import (
    BuiltDocument,
    ContactDetails,
    DocumentKind,
    DocumentNotPossible,
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
    measures = ws.wellbeing.then_and_now(person_id)
    ons4 = next((m for m in measures if m.measure.key == ONS4), None)
    closing = _closing_review(ws, person_id, since=referral.received_on)
    support = tuple(_support(p, service, day) for p, service in prescribed(ws, person_id))
    withheld = ws.consent.gp_sharing_withheld(person_id)
    if withheld:
        # Consent first: without their agreement to share with the GP, the letter (and the
        # structured message made from it) says only that, and the referral's codes.
        name = person.preferred_name or person.given_name
        measures, ons4, closing, support = (), None, None, ()
        outcome_text = (
            f"{name} has asked us not to share the details of their support with their GP "
            "practice, so this letter only confirms that we received the referral."
        )
    return LetterDocument(
        referrer=_referrer(referral, person),
        practice=Practice(person.gp_practice.strip()),
        person=PersonDetails(
            name=full_name(person),
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number.digits if person.nhs_number else None,
            address_lines=_address_lines(person),
        ),
        referral_date=referral.received_on,
        referral_reason=referral.reason.strip() or "Not given.",
        concerns=() if withheld else concerns_for(ws, person_id),
        support=support,
        wellbeing=_outcomes(ons4),
        wellbeing_baseline_date=_first(ons4).taken_on if ons4 else None,
        wellbeing_latest_date=ons4.latest.taken_on if ons4 else None,
        other_measures=tuple(
            MeasureWords(m.measure.title, tuple(line.sentence for line in m.lines))
            for m in measures
            if m.measure.key != ONS4
        ),
        outcome_text=outcome_text
        if outcome_text and outcome_text.strip()
        else _outcome_words(ws, person, referral, closing, ons4),
        carries_on=closing.carries_on if closing is not None else None,
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


def concerns_for(ws: Workspace, person_id: str) -> tuple[Concern, ...]:
    """Needs and concerns with how much each bothered them at first and at the latest rating
    (see :func:`concern_facts`)."""
    found = []
    for concern in ws.visits.concerns_of(person_id):
        facts = concern_facts(
            concern.id,
            concern.domain,
            concern.words,
            concern.severity,
            [r.value for r in ws.visits.concern_history(concern.id)],
        )
        found.append(Concern(facts.area, facts.words, facts.severity_first, facts.severity_latest))
    return tuple(found)


def support_status(prescription: Prescription) -> str:
    """Where each activity stands, in words a GP reads without knowing the app."""
    return activity_standing(prescription)


def _support(prescription: Prescription, service: Service, today: date) -> SupportOffered:
    start = prescription.start_date
    return SupportOffered(
        activity=stripped(service.name) or "Activity",
        provider=stripped(service.organisation),
        status=support_status(prescription),
        start_date=start if start <= today else None,
        weeks=prescription.weeks if prescription.weeks > 0 else None,
    )


def _first(ons4: MeasureThenAndNow) -> Sitting:
    """With one assessment both columns show it, dated the same day."""
    return ons4.first or ons4.latest


def _outcomes(ons4: MeasureThenAndNow | None) -> tuple[WellbeingOutcome, ...]:
    """ONS4 first and latest, with ONS bands; better or worse as the measure's rule says."""
    if ons4 is None:
        return ()
    first, latest = _first(ons4).answers, ons4.latest.answers
    outcomes = []
    for result in ons4.measure.results:
        before, after = result.score(first), result.score(latest)
        outcomes.append(
            WellbeingOutcome(
                item=result.key.replace("_", " ").capitalize(),
                baseline_score=None if before is None else int(before),
                baseline_band="" if before is None else result.band(before),
                latest_score=None if after is None else int(after),
                latest_band="" if after is None else result.band(after),
                lower_is_better=result.better == "lower",
            )
        )
    return tuple(outcomes)


def _closing_review(ws: Workspace, person_id: str, *, since: date) -> ClosingReview | None:
    """The latest closing review since this referral arrived (an earlier one closed another)."""
    latest = ws.closing.closing_review_of(person_id)
    return latest if latest is not None and latest.closed_on >= since else None


def _outcome_words(
    ws: Workspace,
    person: Person,
    referral: Referral,
    closing: ClosingReview | None,
    ons4: MeasureThenAndNow | None,
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
        outcome = closing.outcome.label.lower()
        reason = stripped(closing.reason)
        paragraphs.append(
            f"Social prescribing support ended on {wording.long_date(closing.closed_on)} "
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
    if ons4 is not None and ons4.first is not None:
        moved = [c for c in _outcomes(ons4) if c.change is not Change.NOT_KNOWN]
        better = sum(1 for c in moved if c.change is Change.BETTER)
        if moved:
            paragraphs.append(
                f"Their wellbeing answers were better on {better} of the {len(moved)} "
                f"questions answered both times."
            )
    return "\n\n".join(paragraphs)


def message_back_for(
    ws: Workspace, person_id: str, letter: LetterDocument, *, referral_id: str | None = None
) -> MessageBack:
    """The letter's facts as the PRSB message back (plain data for :mod:`fhir_prsb`)."""
    person = ws.people.get(person_id)
    referral = _referral(ws, person_id, referral_id)
    # Without their agreement to share with the GP, the message says no more than the letter:
    # the demographics it prints, and not gender or ethnicity.
    sharing = not ws.consent.gp_sharing_withheld(person_id)
    return MessageBack(
        id=new_message_id(),
        person=PersonFacts(
            id=person.id,
            given_name=person.given_name,
            family_name=person.family_name,
            preferred_name=person.preferred_name or "",
            date_of_birth=person.date_of_birth,
            nhs_number=letter.person.nhs_number,
            gender=person.gender.value if person.gender and sharing else None,
            ethnicity=person.ethnicity.value if person.ethnicity and sharing else None,
            address_lines=tuple(
                line.strip() for line in person.address.splitlines() if line.strip()
            ),
            postcode=person.postcode.strip(),
            gp_practice=letter.practice.name,
        ),
        referral=ReferralFacts(
            id=referral.id,
            received_on=referral.received_on,
            source=referral.source.value,
            source_words=referral.source.label,
            referrer_name=referral.referrer_name.strip(),
            referrer_organisation=referral.referrer_organisation.strip(),
            reason=letter.referral_reason,
            status=referral.status.value,
            consent=referral.consent.value,
            consent_on=referral.consent_on,
        ),
        concerns=tuple(
            ConcernFacts("", c.domain, c.words, c.severity_first, c.severity_latest)
            for c in letter.concerns
        ),
        support=tuple(
            SupportLine(s.activity, s.provider, s.status, s.start_date, s.weeks)
            for s in letter.support
        ),
        wellbeing=tuple(
            WellbeingChange(
                w.item,
                _score_words(w.baseline_score, w.baseline_band),
                _score_words(w.latest_score, w.latest_band),
            )
            for w in letter.wellbeing
        ),
        wellbeing_then=letter.wellbeing_baseline_date,
        wellbeing_now=letter.wellbeing_latest_date,
        outcome_text=letter.outcome_text,
        carries_on=letter.carries_on,
        codes=tuple(Code(SNOMED, c.code, c.term) for c in letter.codes),
        author=Author(
            letter.link_worker.name,
            letter.link_worker.role,
            letter.link_worker.organisation,
            letter.link_worker.phone,
            letter.link_worker.email,
        ),
        recipient=Recipient(
            letter.referrer.name, letter.referrer.role, letter.referrer.organisation
        ),
        practice=letter.practice.name,
        written_on=letter.letter_date,
    )


def _score_words(score: int | None, band: str) -> str:
    if score is None:
        return "preferred not to say"
    return f"{score} ({band})" if band else str(score)


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
    pdf = build_pdf(DocumentKind.LETTER, build_letter, doc)
    # The PRSB message back, made with the letter so the two always say the same.
    message = message_bundle(message_back_for(ws, person_id, doc, referral_id=referral_id))
    return BuiltDocument(
        kind=DocumentKind.LETTER,
        pdf=pdf,
        title=f"Letter to the referrer about {doc.person.name}",
        file_name=safe_file_name(
            "Letter to referrer", doc.person.name, wording.long_date(doc.letter_date)
        ),
        person_ids=(person_id,),
        large_print=None,
        page_count=page_count(pdf),
        structured=bundle_json(message),
        structured_file_name=safe_file_name(
            "Message to GP and referrer", doc.person.name, wording.long_date(doc.letter_date)
        ).removesuffix(".pdf")
        + ".json",
    )
