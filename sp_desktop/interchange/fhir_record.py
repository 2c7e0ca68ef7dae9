"""People's records as a FHIR R4 Bundle: Patient, referral, steps as goals, needs and concerns,
activities, and every measure answered with its questionnaire.

Built from plain data (:mod:`.records`), so the laptop and the office make the same bundle.
Every bundle is checked by parsing it into fhir.resources models before it is handed back: a
file that leaves the app is one a FHIR system can read. UK Core profiles are claimed where UK
Core has one (Patient, ServiceRequest, Condition, Questionnaire, QuestionnaireResponse); Goal
has none.

fhir.resources has no plain-R4 package in its pydantic-2 releases; its ``R4B`` models are used.
Every resource here (Patient, ServiceRequest, Goal, Questionnaire, QuestionnaireResponse,
Composition, Condition, Bundle) is unchanged between R4 (4.0.1, which UK Core is built on) and
R4B, so what is validated is valid R4.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as ModelError

from sp_desktop.domain.choice_lists import conditions
from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.interchange.records import (
    ActivityFacts,
    ConcernFacts,
    MeasureAnswers,
    MeasureDefinition,
    PersonFacts,
    PersonRecord,
    ReferralFacts,
    StepFacts,
)

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/"
PATIENT_PROFILE = UK_CORE + "UKCore-Patient"
SERVICE_REQUEST_PROFILE = UK_CORE + "UKCore-ServiceRequest"
QUESTIONNAIRE_PROFILE = UK_CORE + "UKCore-Questionnaire"
RESPONSE_PROFILE = UK_CORE + "UKCore-QuestionnaireResponse"
CONDITION_PROFILE = UK_CORE + "UKCore-Condition"
COMPOSITION_PROFILE = UK_CORE + "UKCore-Composition"
# The number was typed in by the link worker, not traced against the national register (PDS).
NHS_NUMBER_VERIFICATION = {
    "url": UK_CORE + "Extension-UKCore-NHSNumberVerificationStatus",
    "valueCodeableConcept": {
        "coding": [
            {
                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                "code": "02",
                "display": "Number present but not traced",
            }
        ]
    },
}
ETHNIC_CATEGORY_URL = UK_CORE + "Extension-UKCore-EthnicCategory"
ETHNIC_CATEGORY_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
# Canonical URLs of the questionnaires this app defines: it owns no web address, so a URN.
MEASURE_URL = "urn:sp-desktop:measure:"
CONTEXT_SYSTEM = "urn:sp-desktop:assessment-context"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
_ID_NAMESPACE = uuid.UUID("6c1f4f3e-2a55-4b8e-9a57-3f0b1f1e6d20")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True, slots=True)
class Code:
    """A SNOMED CT concept (or any coding): system, code and its preferred term."""

    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


REFERRAL_TO_SOCIAL_PRESCRIBING = Code(
    SNOMED, "871731000000106", "Referral to social prescribing service"
)
SOCIAL_PRESCRIBING_OFFERED = Code(SNOMED, "871691000000100", "Social prescribing offered")
SOCIAL_PRESCRIBING_DECLINED = Code(SNOMED, "871711000000103", "Social prescribing declined")

# FHIR administrative gender has four values; the app's finer choices map onto them.
_GENDER = {
    "female": "female",
    "male": "male",
    "non_binary": "other",
    "other": "other",
    "prefer_not_to_say": "unknown",
}
# ONS 2021 census categories onto the NHS Data Dictionary ethnic category (2001-based letters,
# which UK Core's England code system uses); the 2021-only groups go to their "any other".
_ETHNIC_CATEGORY = {
    "white_british": ("A", "White - British"),
    "white_irish": ("B", "White - Irish"),
    "white_gypsy_traveller": ("C", "White - Any other White background"),
    "white_roma": ("C", "White - Any other White background"),
    "white_other": ("C", "White - Any other White background"),
    "mixed_white_black_caribbean": ("D", "Mixed - White and Black Caribbean"),
    "mixed_white_black_african": ("E", "Mixed - White and Black African"),
    "mixed_white_asian": ("F", "Mixed - White and Asian"),
    "mixed_other": ("G", "Mixed - Any other mixed background"),
    "asian_indian": ("H", "Asian or Asian British - Indian"),
    "asian_pakistani": ("J", "Asian or Asian British - Pakistani"),
    "asian_bangladeshi": ("K", "Asian or Asian British - Bangladeshi"),
    "asian_other": ("L", "Asian or Asian British - Any other Asian background"),
    "black_caribbean": ("M", "Black or Black British - Caribbean"),
    "black_african": ("N", "Black or Black British - African"),
    "black_other": ("P", "Black or Black British - Any other Black background"),
    "asian_chinese": ("R", "Other Ethnic Groups - Chinese"),
    "other_arab": ("S", "Other Ethnic Groups - Any other ethnic group"),
    "other_any": ("S", "Other Ethnic Groups - Any other ethnic group"),
    "prefer_not_to_say": ("Z", "Not stated"),
}
_REFERRAL_STATUS = {
    "new": "active",
    "active": "active",
    "closed": "completed",
    "declined": "revoked",
}


class ExportFailed(SpDesktopError):
    """The export could not be made; the message says why in words (never the library's)."""


# --- ids --------------------------------------------------------------------------------------


def resource_id(kind: str, row_id: str) -> str:
    """The row's own id where FHIR accepts it, else a stable one derived from it."""
    if _FHIR_ID.match(row_id):
        return row_id
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}/{row_id}"))


def full_url(kind: str, row_id: str) -> str:
    """A bundle-local address: the row's UUID, or a UUID derived from kind and id."""
    try:
        return f"urn:uuid:{uuid.UUID(row_id)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{kind}/{row_id}')}"


def reference(kind: str, row_id: str, display: str = "") -> dict[str, str]:
    found = {"reference": full_url(kind, row_id)}
    if display:
        found["display"] = display
    return found


def measure_url(definition: MeasureDefinition) -> str:
    return MEASURE_URL + definition.key


def _entry(kind: str, row_id: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": full_url(kind, row_id),
        "resource": {"resourceType": kind, "id": resource_id(kind, row_id), **resource},
    }


# --- resources --------------------------------------------------------------------------------


def patient(person: PersonFacts) -> dict[str, Any]:
    """The Patient resource (UK Core), NHS number first among its identifiers."""
    found: dict[str, Any] = {"meta": {"profile": [PATIENT_PROFILE]}}
    if person.nhs_number:
        found["identifier"] = [
            {
                "extension": [NHS_NUMBER_VERIFICATION],
                "system": NHS_NUMBER_SYSTEM,
                "value": person.nhs_number,
            }
        ]
    if person.ethnicity in _ETHNIC_CATEGORY:
        code, display = _ETHNIC_CATEGORY[person.ethnicity]
        found["extension"] = [
            {
                "url": ETHNIC_CATEGORY_URL,
                "valueCodeableConcept": {
                    "coding": [{"system": ETHNIC_CATEGORY_SYSTEM, "code": code, "display": display}]
                },
            }
        ]
    name: dict[str, Any] = {"use": "official"}
    if person.family_name.strip():
        name["family"] = person.family_name.strip()
    if person.given_name.strip():
        name["given"] = [person.given_name.strip()]
    names = [name]
    if person.preferred_name.strip() and person.preferred_name.strip() != person.given_name.strip():
        names.append({"use": "usual", "given": [person.preferred_name.strip()]})
    found["name"] = names
    if person.gender in _GENDER:
        found["gender"] = _GENDER[person.gender]
    if person.date_of_birth is not None:
        found["birthDate"] = person.date_of_birth.isoformat()
    telecom = []
    if person.phone.strip():
        telecom.append({"system": "phone", "value": person.phone.strip()})
    if person.email.strip():
        telecom.append({"system": "email", "value": person.email.strip()})
    if telecom:
        found["telecom"] = telecom
    if person.address_lines or person.postcode.strip():
        address: dict[str, Any] = {"use": "home"}
        if person.address_lines:
            address["line"] = list(person.address_lines)
        if person.postcode.strip():
            address["postalCode"] = person.postcode.strip()
        found["address"] = [address]
    if person.gp_practice.strip():
        found["generalPractitioner"] = [{"display": person.gp_practice.strip()}]
    return found


def service_request(referral: ReferralFacts, person: PersonFacts) -> dict[str, Any]:
    """The referral to the scheme (UK Core ServiceRequest) coded for the GP record."""
    requester = ", ".join(
        p for p in (referral.referrer_name.strip(), referral.referrer_organisation.strip()) if p
    )
    found: dict[str, Any] = {
        "meta": {"profile": [SERVICE_REQUEST_PROFILE]},
        "status": _REFERRAL_STATUS.get(referral.status, "unknown"),
        "intent": "order",
        "code": {
            "coding": [REFERRAL_TO_SOCIAL_PRESCRIBING.coding()],
            "text": REFERRAL_TO_SOCIAL_PRESCRIBING.display,
        },
        "subject": reference("Patient", person.id),
        "authoredOn": referral.received_on.isoformat(),
        "performerType": {"text": "Social prescribing link worker"},
    }
    if requester:
        found["requester"] = {"display": f"{requester} ({referral.source_words})"}
    else:
        found["requester"] = {"display": referral.source_words}
    if referral.reason.strip():
        found["reasonCode"] = [{"text": referral.reason.strip()}]
    decided = consent_code(referral)
    if decided is not None:
        when = f" on {referral.consent_on.isoformat()}" if referral.consent_on else ""
        found["note"] = [{"text": f"{decided.display}{when}."}]
        found["orderDetail"] = [{"coding": [decided.coding()], "text": decided.display}]
    return found


def consent_code(referral: ReferralFacts) -> Code | None:
    """Offered or declined, as the GP record codes it; nothing while consent is pending."""
    if referral.consent == "given":
        return SOCIAL_PRESCRIBING_OFFERED
    if referral.consent == "declined":
        return SOCIAL_PRESCRIBING_DECLINED
    return None


def goal(step: StepFacts, person: PersonFacts) -> dict[str, Any]:
    """A step the person chose, as a Goal (UK Core has no Goal profile: base R4)."""
    done = step.progress >= 10
    found: dict[str, Any] = {
        "lifecycleStatus": "completed" if done else "active",
        "achievementStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": "achieved"
                    if done
                    else ("in-progress" if step.progress > 0 else "no-progress"),
                }
            ]
        },
        "description": {"text": step.words},
        "subject": reference("Patient", person.id),
        "note": [{"text": f"Progress {step.progress} out of 10."}],
    }
    if step.target_date is not None:
        found["target"] = [{"dueDate": step.target_date.isoformat()}]
    return found


def condition(
    concern: ConcernFacts, person: PersonFacts, recorded_on: date | None
) -> dict[str, Any]:
    """A need or concern in the person's words, under its conversation-guide area (UK Core)."""
    severity = rating_words(concern.severity_first, concern.severity_latest)
    found: dict[str, Any] = {
        "meta": {"profile": [CONDITION_PROFILE]},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "category": [{"text": f"Social prescribing need or concern: {concern.area}"}],
        "code": {"text": concern.words},
        "subject": reference("Patient", person.id),
    }
    if recorded_on is not None:
        found["recordedDate"] = recorded_on.isoformat()
    if severity:
        found["note"] = [{"text": severity}]
    return found


def long_term_condition(key: str, person: PersonFacts) -> dict[str, Any]:
    """A long-term condition the person told their link worker about, on the problem list,
    coded in SNOMED CT where resources/conditions.json names a concept (else in words)."""
    known = {c.key: c for c in conditions()}
    found = known.get(key)
    words = found.words if found is not None else key.replace("_", " ")
    code: dict[str, Any] = {"text": words}
    if found is not None and found.snomed:
        code["coding"] = [{"system": SNOMED, "code": found.snomed, "display": words}]
    return {
        "meta": {"profile": [CONDITION_PROFILE]},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "unconfirmed",
                }
            ],
            "text": "As the person told their link worker",
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ]
            }
        ],
        "code": code,
        "subject": reference("Patient", person.id),
    }


def long_term_condition_id(person: PersonFacts, key: str) -> str:
    """A stable id per person and condition (conditions are keys on the person, not rows)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"Condition/{person.id}/{key}"))


def rating_words(first: int | None, latest: int | None) -> str:
    """How much a concern bothered them, first and latest, out of 10."""
    if first is None and latest is None:
        return ""
    if latest is None:
        return f"how much it bothered them: {first} out of 10"
    return f"how much it bothered them: {first} out of 10 at first, {latest} at the latest"


_ACTIVITY_STATUS = {"active": "active", "ended": "completed", "cancelled": "revoked"}


def activity_request(activity: ActivityFacts, person: PersonFacts) -> dict[str, Any]:
    """An activity the link worker referred them to, as a ServiceRequest to its provider."""
    period: dict[str, str] = {"start": activity.start_date.isoformat()}
    if activity.ended_on is not None:
        period["end"] = activity.ended_on.isoformat()
    found: dict[str, Any] = {
        "meta": {"profile": [SERVICE_REQUEST_PROFILE]},
        "status": _ACTIVITY_STATUS.get(activity.status, "unknown"),
        "intent": "order",
        "category": [{"text": "Social prescribing activity"}],
        "code": {"text": activity.name},
        "subject": reference("Patient", person.id),
        "occurrencePeriod": period,
        "note": [{"text": f"{activity.status_words}; planned for {activity.weeks} weeks."}],
    }
    if activity.provider:
        found["performer"] = [{"display": activity.provider}]
    return found


def questionnaire(definition: MeasureDefinition) -> dict[str, Any]:
    """The measure's questions, wording exactly as published, so the answers carry their meaning."""
    items = []
    for item in definition.items:
        entry: dict[str, Any] = {
            "linkId": item.link_id,
            "text": item.text,
            "required": False,  # a person may always decline a question
        }
        if item.options:
            entry["type"] = "choice"
            entry["answerOption"] = [
                {
                    "valueCoding": {
                        "system": measure_url(definition),
                        "code": str(value),
                        "display": words,
                    }
                }
                for value, words in item.options
            ]
        else:
            entry["type"] = "integer"
            entry["extension"] = [
                {"url": MIN_VALUE, "valueInteger": item.minimum},
                {"url": MAX_VALUE, "valueInteger": item.maximum},
            ]
            if item.low_label and item.high_label:
                # The scale's end words, shown with the question; nothing to answer.
                entry["item"] = [
                    {
                        "linkId": f"{item.link_id}-scale",
                        "type": "display",
                        "text": f"{item.minimum} is '{item.low_label}', "
                        f"{item.maximum} is '{item.high_label}'.",
                    }
                ]
        items.append(entry)
    found: dict[str, Any] = {
        "meta": {"profile": [QUESTIONNAIRE_PROFILE]},
        "url": measure_url(definition),
        "version": definition.version,
        "name": re.sub(r"[^A-Za-z0-9]", "", definition.title.title()) or definition.key.upper(),
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": definition.preamble,
        "item": items,
    }
    if definition.source:
        found["publisher"] = definition.source
    if definition.licence:
        found["copyright"] = definition.licence
    return found


def questionnaire_response(
    answers: MeasureAnswers, definition: MeasureDefinition, person: PersonFacts
) -> dict[str, Any]:
    """One set of answers; a declined question is there with the reason, never as a zero."""
    by_link = {item.link_id: item for item in definition.items}
    items = []
    for link_id, value in answers.answers:
        item = by_link.get(link_id)
        entry: dict[str, Any] = {"linkId": link_id}
        if item is not None:
            entry["text"] = item.text
        if value is None:
            entry["extension"] = [{"url": DATA_ABSENT, "valueCode": "asked-declined"}]
        elif item is not None and item.options:
            words = dict(item.options).get(value, str(value))
            entry["answer"] = [
                {
                    "valueCoding": {
                        "system": measure_url(definition),
                        "code": str(value),
                        "display": words,
                    }
                }
            ]
        else:
            entry["answer"] = [{"valueInteger": value}]
        items.append(entry)
    return {
        "meta": {
            "profile": [RESPONSE_PROFILE],
            "tag": [{"system": CONTEXT_SYSTEM, "code": answers.context}],
        },
        "questionnaire": f"{measure_url(definition)}|{definition.version}",
        "status": "completed",
        "subject": reference("Patient", person.id),
        "authored": answers.taken_on.isoformat(),
        "item": items,
    }


# --- bundles ----------------------------------------------------------------------------------


def record_entries(
    record: PersonRecord, definitions: Mapping[str, MeasureDefinition]
) -> list[dict[str, Any]]:
    """One person's resources as bundle entries (Questionnaires are added once per bundle)."""
    person = record.person
    entries = [_entry("Patient", person.id, patient(person))]
    entries += [
        _entry("ServiceRequest", r.id, service_request(r, person)) for r in record.referrals
    ]
    entries += [_entry("Goal", s.id, goal(s, person)) for s in record.steps]
    first_referral = min((r.received_on for r in record.referrals), default=None)
    entries += [
        _entry("Condition", c.id, condition(c, person, first_referral)) for c in record.concerns
    ]
    entries += [
        _entry("Condition", long_term_condition_id(person, key), long_term_condition(key, person))
        for key in person.conditions
    ]
    entries += [
        _entry("ServiceRequest", a.id, activity_request(a, person)) for a in record.activities
    ]
    for answers in record.measures:
        definition = definitions.get(answers.measure)
        if definition is None:
            raise ExportFailed(
                f"The answers to the measure '{answers.measure}' cannot be exported: its "
                "definition is not installed."
            )
        entries.append(
            _entry(
                "QuestionnaireResponse",
                answers.id,
                questionnaire_response(answers, definition, person),
            )
        )
    return entries


def record_bundle(
    records: Iterable[PersonRecord],
    definitions: Mapping[str, MeasureDefinition],
    *,
    made_at: datetime | None = None,
) -> CheckedBundle:
    """A collection Bundle of everyone in `records`, with each measure's Questionnaire once.

    Raises ExportFailed (in words) if the bundle does not validate.
    """
    entries: list[dict[str, Any]] = []
    used: dict[str, MeasureDefinition] = {}
    for record in records:
        entries += record_entries(record, definitions)
        for answers in record.measures:
            used.setdefault(answers.measure, definitions[answers.measure])
    shipped = [
        _entry("Questionnaire", f"measure-{d.key}", questionnaire(d))
        for d in sorted(used.values(), key=lambda d: d.key)
    ]
    return validated(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": instant(made_at),
            "entry": shipped + entries,
        }
    )


@dataclass(frozen=True, slots=True)
class CheckedBundle:
    """A bundle that fhir.resources has parsed: its models, and the JSON that was checked.

    Attributes:
        model: the parsed Bundle (fhir.resources R4B models).
        raw: the JSON-ready data it was parsed from; written out as it is, because dumping the
            models again costs twice as long as checking them.
    """

    model: Bundle
    raw: dict[str, Any] = field(repr=False)


def validated(raw: dict[str, Any]) -> CheckedBundle:
    """The bundle parsed into fhir.resources models: proof that it is well-formed FHIR."""
    try:
        return CheckedBundle(Bundle.model_validate(raw), raw)
    except ModelError as exc:
        where = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors()[:3])
        raise ExportFailed(
            "The export could not be made because part of the record did not fit the FHIR "
            f"format ({where}). Please report this."
        ) from None


def bundle_json(bundle: CheckedBundle) -> bytes:
    """The bundle as UTF-8 JSON, as FHIR systems expect to read it."""
    return orjson.dumps(bundle.raw)


def instant(made_at: datetime | None) -> str:
    """An instant with its time zone, as FHIR requires (now, if not given)."""
    moment = made_at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")
