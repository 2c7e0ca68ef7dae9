"""The social prescription: activities from the directory, follow-ups, attendance and closing."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
MAX_HOURS_IN_A_DAY = 12  # volunteering logged per day; more is a typo (120 for 12.0)


class FollowUpKind:
    """Stored `follow_ups.kind` values (text, so kinds added later still load)."""

    FIRST_CONTACT = "first_contact"
    REVIEW = "review"
    END = "end"
    CHECK_IN = "check_in"

    LABELS = {
        FIRST_CONTACT: "First contact",
        REVIEW: "Review",
        END: "End-of-prescription review",
        CHECK_IN: "Check-in",
    }


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
    ended_on: date | None = None  # set when it ends early or at the closing review
    carries_on: bool | None = None  # asked at the closing review

    def __post_init__(self) -> None:
        coerce(self, "provider_referral", ProviderReferral)
        coerce(self, "status", PrescriptionStatus)
        if self.ended_on is not None and self.ended_on < self.start_date:
            raise ValidationError("ended_on", "It cannot end before it started.")
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
        """The planned end: start plus the agreed weeks."""
        return self.start_date + timedelta(weeks=self.weeks)

    @property
    def is_active(self) -> bool:
        return self.status is PrescriptionStatus.ACTIVE

    @property
    def last_day(self) -> date:
        """The day it actually ended, or will end as planned."""
        return self.ended_on or self.end_date

    def with_provider_referral(
        self, status: ProviderReferral, *, waiting_weeks: int | None = None, reason: str = ""
    ) -> Prescription:
        """The referral to the provider moved on; a provider's "no" cancels the activity.

        Weeks are kept only while on the waiting list and a reason only when declined, so an
        old wait never lingers after the person was accepted.
        """
        if not self.is_active:
            raise ValidationError("provider_referral", "This activity has already ended.")
        status = ProviderReferral(status)
        declined = status is ProviderReferral.DECLINED
        return replace(
            self,
            provider_referral=status,
            waiting_weeks=waiting_weeks if status is ProviderReferral.WAITING_LIST else None,
            declined_reason=reason.strip() if declined else "",
            status=PrescriptionStatus.CANCELLED if declined else self.status,
        )

    def check_session(self, day: date, today: date) -> None:
        """Sessions and volunteering happen between the start and the day it ended."""
        if day > today:
            raise ValidationError("session_on", "That date is in the future.")
        if day < self.start_date:
            raise ValidationError(
                "session_on", f"The activity started on {self.start_date:%d %B %Y}."
            )
        if self.ended_on is not None and day > self.ended_on:
            raise ValidationError("session_on", f"The activity ended on {self.ended_on:%d %B %Y}.")
        if self.status is PrescriptionStatus.CANCELLED and self.ended_on is None:
            raise ValidationError("session_on", "This activity was cancelled.")

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
class FollowUp:
    """A planned contact; open until done. The caseload's due and overdue views come from these."""

    id: str
    person_id: str
    due_on: date
    kind: str = FollowUpKind.REVIEW
    prescription_id: str | None = None
    done_on: date | None = None
    notes: str = ""

    @property
    def is_open(self) -> bool:
        return self.done_on is None

    @property
    def label(self) -> str:
        return FollowUpKind.LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today

    def moved_to(self, due_on: date, today: date) -> FollowUp:
        if not self.is_open:
            raise ValidationError("due_on", "This follow-up is already done.")
        if due_on < today:
            raise ValidationError("due_on", "Please choose today or a later date.")
        return replace(self, due_on=due_on)

    def done(self, on: date, notes: str, today: date) -> FollowUp:
        if not self.is_open:
            raise ValidationError("done_on", "This follow-up is already done.")
        if on > today:
            raise ValidationError("done_on", "A follow-up cannot be done in the future.")
        return replace(self, done_on=on, notes=notes.strip())


@dataclass(frozen=True, slots=True)
class VolunteerHours:
    """Time given on a volunteering activity on one day: an append-only fact."""

    id: str
    prescription_id: str
    logged_on: date
    hours: float

    def __post_init__(self) -> None:
        hours = self.hours
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise ValidationError("hours", "Hours are a number, like 2 or 1.5.")
        if not 0 < hours <= MAX_HOURS_IN_A_DAY:
            raise ValidationError(
                "hours", f"Hours in one day are more than 0 and at most {MAX_HOURS_IN_A_DAY}."
            )
        object.__setattr__(self, "hours", float(hours))


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
        if self.outcome is ClosingOutcome.RE_REFERRED and not self.reason.strip():
            raise ValidationError("reason", "Please say where they were re-referred to.")
