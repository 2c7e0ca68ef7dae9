"""The social prescription: activities from the directory, follow-ups, attendance and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sp_desktop.domain.choices import (
    AttendanceStatus,
    ClosingOutcome,
    PrescriptionStatus,
    ProviderReferral,
    coerce,
)
from sp_desktop.domain.errors import ValidationError

MIN_WEEKS, DEFAULT_WEEKS, MAX_WEEKS = 8, 12, 16
DEFAULT_REVIEW_WEEKS = (2, 6)


@dataclass(frozen=True, slots=True)
class Prescription:
    """One activity prescribed to one person, for 8-16 weeks (12 unless agreed otherwise)."""

    id: str
    person_id: str
    service_id: str
    start_date: date
    weeks: int = DEFAULT_WEEKS
    accompany_first: bool = False
    provider_referral: ProviderReferral = ProviderReferral.TO_SEND
    waiting_weeks: int | None = None
    declined_reason: str = ""
    status: PrescriptionStatus = PrescriptionStatus.ACTIVE
    adviser: str = ""
    team: str = ""

    def __post_init__(self) -> None:
        coerce(self, "provider_referral", ProviderReferral)
        coerce(self, "status", PrescriptionStatus)
        if isinstance(self.weeks, bool) or not MIN_WEEKS <= self.weeks <= MAX_WEEKS:
            raise ValidationError(
                "weeks", f"A prescription lasts {MIN_WEEKS} to {MAX_WEEKS} weeks."
            )
        if self.provider_referral is ProviderReferral.WAITING_LIST and (
            self.waiting_weeks is None or self.waiting_weeks < 0
        ):
            raise ValidationError("waiting_weeks", "Please say how many weeks the wait is.")
        if self.provider_referral is ProviderReferral.DECLINED and not self.declined_reason.strip():
            raise ValidationError("declined_reason", "Please say why the provider declined.")

    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(weeks=self.weeks)

    def review_dates(self, weeks: tuple[int, ...] = DEFAULT_REVIEW_WEEKS) -> tuple[date, ...]:
        """Default follow-ups: after 2 and 6 weeks, and at the end."""
        reviews = [self.start_date + timedelta(weeks=w) for w in weeks if w < self.weeks]
        return (*reviews, self.end_date)


@dataclass(frozen=True, slots=True)
class Attendance:
    """Whether the person went to a session: an append-only fact."""

    id: str
    prescription_id: str
    session_on: date
    status: AttendanceStatus
    reason: str = ""

    def __post_init__(self) -> None:
        coerce(self, "status", AttendanceStatus)
        if self.status is AttendanceStatus.STOPPED and not self.reason.strip():
            raise ValidationError("reason", "Please say why they stopped.")


@dataclass(frozen=True, slots=True)
class ClosingReview:
    """How the journey ended, and whether the person carries on with the activity."""

    id: str
    person_id: str
    closed_on: date
    outcome: ClosingOutcome
    reason: str = ""
    carries_on: bool = False

    def __post_init__(self) -> None:
        coerce(self, "outcome", ClosingOutcome)
