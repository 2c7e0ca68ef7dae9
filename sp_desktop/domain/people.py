"""The person, the referral that brought them, and the visits, concerns and steps with them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sp_desktop.domain.choices import (
    Consent,
    Ethnicity,
    Gender,
    PreferredContact,
    ReferralSource,
    ReferralStatus,
    VisitPlace,
    VisitStatus,
    coerce,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.nhs_number import NOT_TEXT, NhsNumber
from sp_desktop.domain.rows import (
    CONCERN_RATINGS,
    CONCERNS,
    PEOPLE,
    REFERRALS,
    STEPS,
    VISITS,
    check_consent,
    check_entity,
    check_notes,
    check_signed,
)

_PERSON_FIELDS = (
    "given_name", "family_name", "preferred_name", "date_of_birth", "gp_practice", "address",
    "postcode", "phone", "email", "carer_of_id", "team", "adviser",
)


@dataclass(frozen=True, slots=True)
class AccessNeeds:
    """What helps the person take part: shapes letters, visits and the printed plan."""

    large_print: bool = False
    interpreter_language: str | None = None
    hearing: str | None = None
    sight: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on the caseload. NHS number is optional; when given it must pass its check."""

    id: str
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: NhsNumber | None = None  # text is parsed (3-3-4, spaces or none)
    preferred_name: str | None = None
    gender: Gender | None = None
    ethnicity: Ethnicity | None = None
    gp_practice: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    preferred_contact: PreferredContact = PreferredContact.PHONE
    carer_of_id: str | None = None
    access: AccessNeeds = field(default_factory=AccessNeeds)
    team: str = ""
    adviser: str = ""
    # Long-term conditions: keys from resources/conditions.json, sorted (health: consent first)
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        coerce(self, "gender", Gender, optional=True)
        coerce(self, "ethnicity", Ethnicity, optional=True)
        coerce(self, "preferred_contact", PreferredContact)
        if isinstance(self.nhs_number, str):
            typed = self.nhs_number.strip()
            object.__setattr__(self, "nhs_number", NhsNumber.parse(typed) if typed else None)
        elif self.nhs_number is not None and not isinstance(self.nhs_number, NhsNumber):
            raise ValidationError("nhs_number", NOT_TEXT)
        check_entity(PEOPLE, self, _PERSON_FIELDS, date.today())
        access = self.access
        if not isinstance(access, AccessNeeds):
            raise ValidationError("access", "The access needs could not be read.")
        for name, value in (("large_print", access.large_print),
                            ("interpreter_language", access.interpreter_language),
                            ("hearing_needs", access.hearing), ("sight_needs", access.sight)):
            PEOPLE.check_value(name, value, date.today())
        if isinstance(self.conditions, str) or not isinstance(self.conditions, Iterable):
            raise ValidationError("conditions", "The long-term conditions could not be read.")
        keys = list(self.conditions)
        try:
            text = json.dumps(keys)
        except (TypeError, ValueError):
            raise ValidationError(
                "conditions", "The long-term conditions could not be read.") from None
        PEOPLE.check_value("conditions", text, date.today())
        object.__setattr__(self, "conditions", tuple(sorted(keys)))
        if self.carer_of_id is not None and self.carer_of_id == self.id:
            raise ValidationError("carer_of_id", "A person cannot be their own carer.")

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True, slots=True)
class Referral:
    """How the person came to the service, and whether they agreed to take part."""

    id: str
    person_id: str
    source: ReferralSource
    received_on: date
    referrer_name: str = ""
    referrer_organisation: str = ""
    reason: str = ""
    consent: Consent = Consent.PENDING
    consent_on: date | None = None
    status: ReferralStatus = ReferralStatus.NEW

    def __post_init__(self) -> None:
        coerce(self, "source", ReferralSource)
        coerce(self, "consent", Consent)
        coerce(self, "status", ReferralStatus)
        check_entity(REFERRALS, self, ("person_id", "received_on", "referrer_name",
                                       "referrer_organisation", "reason", "consent_on"),
                     date.today())
        check_consent(self.consent, self.consent_on, self.status)


@dataclass(frozen=True, slots=True)
class Visit:
    """A conversation with the person. Once signed it never changes: corrections are new visits."""

    id: str
    person_id: str
    visit_date: date
    place: VisitPlace = VisitPlace.HOME
    notes: dict[str, str] = field(default_factory=dict)
    what_matters: str = ""
    status: VisitStatus = VisitStatus.DRAFT
    signed_by: str | None = None
    corrects_visit_id: str | None = None

    def __post_init__(self) -> None:
        coerce(self, "place", VisitPlace)
        coerce(self, "status", VisitStatus)
        check_entity(VISITS, self, ("person_id", "visit_date", "what_matters", "signed_by",
                                    "corrects_visit_id"), date.today())
        if not isinstance(self.notes, dict):
            raise ValidationError("notes", "The notes could not be read.")
        check_notes("notes", self.notes)
        check_signed(self.status, self.signed_by)


@dataclass(frozen=True, slots=True)
class Concern:
    """Something the person is worried about, in their own words, rated 0-10 by them."""

    id: str
    person_id: str
    domain: str
    words: str
    severity: int
    visit_id: str | None = None

    def __post_init__(self) -> None:
        check_entity(CONCERNS, self, ("person_id", "words", "domain", "severity", "visit_id"),
                     date.today())


@dataclass(frozen=True, slots=True)
class Rating:
    """One entry in a history of ratings (concern severity or step progress), append-only."""

    id: str
    subject_id: str
    rated_on: date
    value: int

    def __post_init__(self) -> None:
        check_entity(CONCERN_RATINGS, self, ("rated_on", "value"), date.today())


@dataclass(frozen=True, slots=True)
class Step:
    """A goal in the person's words; progress 0-10 with its history kept as Ratings."""

    id: str
    person_id: str
    words: str
    target_date: date | None = None
    progress: int = 0
    visit_id: str | None = None

    def __post_init__(self) -> None:
        check_entity(STEPS, self, ("person_id", "words", "target_date", "progress", "visit_id"),
                     date.today())
