"""The person, the referral that brought them, and the visits, concerns and steps with them."""

from __future__ import annotations

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
from sp_desktop.domain.nhs_number import NhsNumber

_OLDEST_BIRTH_YEAR = 1900


def _require_text(field_name: str, value: str, what: str) -> None:
    if not value or not value.strip():
        raise ValidationError(field_name, f"Please enter {what}.")


def _require_rating(field_name: str, value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValidationError(field_name, f"{what} is a whole number from 0 to 10.")


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

    def __post_init__(self) -> None:
        coerce(self, "gender", Gender, optional=True)
        coerce(self, "ethnicity", Ethnicity, optional=True)
        coerce(self, "preferred_contact", PreferredContact)
        if isinstance(self.nhs_number, str):
            typed = self.nhs_number.strip()
            object.__setattr__(self, "nhs_number", NhsNumber.parse(typed) if typed else None)
        _require_text("given_name", self.given_name, "a first name")
        _require_text("family_name", self.family_name, "a family name")
        if not self.date_of_birth.year >= _OLDEST_BIRTH_YEAR or self.date_of_birth > date.today():
            raise ValidationError("date_of_birth", "Please check the date of birth.")
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
        if self.received_on > date.today():
            raise ValidationError("received_on", "A referral cannot arrive in the future.")
        if self.consent is not Consent.PENDING and self.consent_on is None:
            raise ValidationError("consent_on", "Please give the date consent was recorded.")
        if self.consent is Consent.DECLINED and self.status is not ReferralStatus.DECLINED:
            raise ValidationError("status", "A referral where consent was declined is closed.")


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
        if self.status is VisitStatus.SIGNED and not self.signed_by:
            raise ValidationError("signed_by", "A signed visit names who signed it.")


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
        _require_text("words", self.words, "the concern in the person's words")
        _require_text("domain", self.domain, "the life domain")
        _require_rating("severity", self.severity, "How much it worries them")


@dataclass(frozen=True, slots=True)
class Rating:
    """One entry in a history of ratings (concern severity or step progress), append-only."""

    id: str
    subject_id: str
    rated_on: date
    value: int

    def __post_init__(self) -> None:
        _require_rating("value", self.value, "A rating")


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
        _require_text("words", self.words, "the step in the person's words")
        _require_rating("progress", self.progress, "Progress")
