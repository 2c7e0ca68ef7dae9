"""The PRSB "message back to the GP and referrer" as a FHIR R4 document Bundle.

The same facts as the PDF letter, in the shape a GP system can file: a Composition whose
sections follow the PRSB Social Prescribing Information Standard's groups for the message back
(person demographics, referral, needs and concerns, support offered, outcomes) plus the SNOMED
CT codes for the GP record, each section with its narrative and its coded entries.

The section codes are this app's own (``urn:sp-desktop:prsb-section``): the SNOMED refsets
NHS England is developing for social prescribing are available only on request, and a made-up
SNOMED code would be worse than an honest local one. Swap them in `SECTIONS` when published.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sp_desktop.interchange.fhir_record import (
    COMPOSITION_PROFILE,
    REFERRAL_TO_SOCIAL_PRESCRIBING,
    SNOMED,
    CheckedBundle,
    Code,
    condition,
    full_url,
    instant,
    patient,
    rating_words,
    reference,
    resource_id,
    service_request,
    validated,
)
from sp_desktop.interchange.records import ConcernFacts, PersonFacts, ReferralFacts

SECTION_SYSTEM = "urn:sp-desktop:prsb-section"
DOCUMENT_TYPE = {
    "coding": [
        {
            "system": SECTION_SYSTEM,
            "code": "message-back-to-gp-and-referrer",
            "display": "Social prescribing: message back to GP and referrer",
        }
    ],
    "text": "Social prescribing: message back to GP and referrer (PRSB)",
}
# (code, title) of each section, in the order the standard's message back lists its groups.
SECTIONS = (
    ("person-demographics", "Person demographics"),
    ("referral-details", "Referral details"),
    ("needs-and-concerns", "Needs and concerns"),
    ("support-offered", "Support offered"),
    ("outcomes", "Outcomes"),
    ("codes-for-gp-record", "Codes for the GP record"),
)
UK_CORE_OBSERVATION = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"


@dataclass(frozen=True, slots=True)
class SupportLine:
    """An activity the person was referred to, with where it stands in words."""

    activity: str
    provider: str
    status: str
    start_date: date | None = None
    weeks: int | None = None


@dataclass(frozen=True, slots=True)
class WellbeingChange:
    """One measure question first and latest, each already in words ("4 (low)", "declined")."""

    question: str
    then: str
    now: str


@dataclass(frozen=True, slots=True)
class Author:
    """The link worker who writes the message."""

    name: str
    role: str
    organisation: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who the message goes to (the referrer), besides the GP practice."""

    name: str
    role: str
    organisation: str


@dataclass(frozen=True, slots=True)
class MessageBack:
    """Everything the message back says.

    Attributes:
        id: the message's own id (new each time one is made).
        codes: the SNOMED CT concepts that apply (referral, then offered or declined).
        carries_on: whether the person means to carry on with an activity; None if not known.
    """

    id: str
    person: PersonFacts
    referral: ReferralFacts
    concerns: tuple[ConcernFacts, ...]
    support: tuple[SupportLine, ...]
    wellbeing: tuple[WellbeingChange, ...]
    wellbeing_then: date | None
    wellbeing_now: date | None
    outcome_text: str
    carries_on: bool | None
    codes: tuple[Code, ...]
    author: Author
    recipient: Recipient
    practice: str
    written_on: date


def message_bundle(message: MessageBack, *, made_at: datetime | None = None) -> CheckedBundle:
    """The message back as a validated FHIR document Bundle (Composition first)."""
    person = message.person
    author_id = f"{message.id}-author"
    organisation_id = f"{message.id}-organisation"
    resources: list[tuple[str, str, dict[str, Any]]] = [
        ("Patient", person.id, patient(person)),
        ("ServiceRequest", message.referral.id, service_request(message.referral, person)),
        ("Practitioner", author_id, _practitioner(message.author)),
        ("Organization", organisation_id, {"name": message.author.organisation}),
    ]
    concern_ids = []
    for number, concern in enumerate(message.concerns, 1):
        concern_id = concern.id or f"{message.id}-concern-{number}"
        concern_ids.append(concern_id)
        resources.append(
            ("Condition", concern_id, condition(concern, person, message.referral.received_on))
        )
    coded_ids = []
    for code in message.codes:
        if code.code == REFERRAL_TO_SOCIAL_PRESCRIBING.code:
            continue  # the referral itself carries it
        coded_id = f"{message.id}-code-{code.code}"
        coded_ids.append(coded_id)
        resources.append(("Observation", coded_id, _coded_finding(code, person, message)))

    sections = {
        "person-demographics": (_demographics_text(message), [("Patient", person.id)]),
        "referral-details": (
            _referral_text(message),
            [("ServiceRequest", message.referral.id)],
        ),
        "needs-and-concerns": (
            _concerns_text(message),
            [("Condition", cid) for cid in concern_ids],
        ),
        "support-offered": (_support_text(message), []),
        "outcomes": (_outcomes_text(message), []),
        "codes-for-gp-record": (
            _codes_text(message),
            [("ServiceRequest", message.referral.id)] + [("Observation", c) for c in coded_ids],
        ),
    }
    composition = {
        "meta": {"profile": [COMPOSITION_PROFILE]},
        "status": "final",
        "type": DOCUMENT_TYPE,
        "subject": reference("Patient", person.id),
        "date": instant(made_at),
        "author": [reference("Practitioner", author_id, message.author.name)],
        "title": f"Social prescribing outcome: {_name(person)}",
        "custodian": reference("Organization", organisation_id, message.author.organisation),
        "section": [
            {
                "title": title,
                "code": {"coding": [{"system": SECTION_SYSTEM, "code": code, "display": title}]},
                "text": {"status": "generated", "div": _div(sections[code][0])},
                **(
                    {"entry": [reference(kind, rid) for kind, rid in sections[code][1]]}
                    if sections[code][1]
                    else {}
                ),
            }
            for code, title in SECTIONS
        ],
    }
    entries = [_entry("Composition", message.id, composition)] + [
        _entry(kind, rid, resource) for kind, rid, resource in resources
    ]
    return validated(
        {
            "resourceType": "Bundle",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": full_url("Bundle", message.id)},
            "type": "document",
            "timestamp": instant(made_at),
            "entry": entries,
        }
    )


def new_message_id() -> str:
    """Each message made is a new document, with its own id."""
    return str(uuid.uuid4())


# --- resources --------------------------------------------------------------------------------


def _entry(kind: str, row_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": full_url(kind, row_id),
        "resource": {"resourceType": kind, "id": resource_id(kind, row_id), **resource},
    }


def _practitioner(author: Author) -> dict[str, Any]:
    found: dict[str, Any] = {"name": [{"text": author.name}]}
    telecom = []
    if author.phone:
        telecom.append({"system": "phone", "value": author.phone, "use": "work"})
    if author.email:
        telecom.append({"system": "email", "value": author.email, "use": "work"})
    if telecom:
        found["telecom"] = telecom
    return found


def _coded_finding(code: Code, person: PersonFacts, message: MessageBack) -> dict[str, Any]:
    """A SNOMED CT finding for the GP to file (social prescribing offered or declined)."""
    when = message.referral.consent_on or message.written_on
    return {
        "meta": {"profile": [UK_CORE_OBSERVATION]},
        "status": "final",
        "code": {"coding": [code.coding()], "text": code.display},
        "subject": reference("Patient", person.id),
        "effectiveDateTime": when.isoformat(),
        "performer": [{"display": message.author.name}],
    }


# --- narrative --------------------------------------------------------------------------------


def _div(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p.strip()) or "<p>None.</p>"
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'


def _name(person: PersonFacts) -> str:
    return f"{person.given_name} {person.family_name}".strip()


def _demographics_text(message: MessageBack) -> list[str]:
    person = message.person
    lines = [f"Name: {_name(person)}"]
    if person.date_of_birth:
        lines.append(f"Date of birth: {person.date_of_birth.isoformat()}")
    lines.append(
        f"NHS number: {person.nhs_number}" if person.nhs_number else "NHS number: not known"
    )
    address = ", ".join(
        [*person.address_lines, person.postcode] if person.postcode else person.address_lines
    )
    if address:
        lines.append(f"Address: {address}")
    if message.practice:
        lines.append(f"GP practice: {message.practice}")
    return lines


def _referral_text(message: MessageBack) -> list[str]:
    referral, recipient = message.referral, message.recipient
    who = ", ".join(p for p in (recipient.name, recipient.role, recipient.organisation) if p)
    return [
        f"Referred on {referral.received_on.isoformat()} by {who or referral.source_words}.",
        f"Reason: {referral.reason or 'Not given.'}",
    ]


def _concerns_text(message: MessageBack) -> list[str]:
    return [
        f"{c.area}: {c.words}"
        + (f" ({words})" if (words := rating_words(c.severity_first, c.severity_latest)) else "")
        for c in message.concerns
    ]


def _support_text(message: MessageBack) -> list[str]:
    lines = []
    for line in message.support:
        parts = [line.activity]
        if line.provider:
            parts.append(f"run by {line.provider}")
        parts.append(f"- {line.status}")
        if line.start_date:
            parts.append(f"(started {line.start_date.isoformat()}")
            parts.append(f"for {line.weeks} weeks)" if line.weeks else ")")
        lines.append(" ".join(parts).replace(" )", ")"))
    return lines


def _outcomes_text(message: MessageBack) -> list[str]:
    lines = [p.strip() for p in message.outcome_text.split("\n\n") if p.strip()]
    if message.carries_on is not None:
        lines.append(
            "They mean to carry on with the activity."
            if message.carries_on
            else "They do not mean to carry on with the activity."
        )
    if message.wellbeing:
        dates = (
            f" (first {message.wellbeing_then.isoformat()}, "
            f"latest {message.wellbeing_now.isoformat()})"
            if message.wellbeing_then and message.wellbeing_now
            else ""
        )
        lines.append(f"Wellbeing{dates}:")
        lines += [f"{w.question}: first {w.then}; latest {w.now}." for w in message.wellbeing]
    return lines


def _codes_text(message: MessageBack) -> list[str]:
    return [
        f"{c.code} | {c.display} | ({'SNOMED CT' if c.system == SNOMED else c.system})"
        for c in message.codes
    ]
