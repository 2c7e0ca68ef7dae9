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
from sp_desktop.domain.rows import (
    ATTENDANCE,
    CLOSING_REVIEWS,
    DEFAULT_WEEKS,
    FOLLOW_UPS,
    MAX_HOURS_IN_A_DAY,
    MAX_WEEKS,
    MIN_WEEKS,
    PRESCRIPTIONS,
    VOLUNTEER_HOURS,
    check_entity,
    check_prescription,
    check_reason_given,
    check_stop_reason,
)

__all__ = ["DEFAULT_WEEKS", "MAX_HOURS_IN_A_DAY", "MAX_WEEKS", "MIN_WEEKS"]  # long found here
DEFAULT_REVIEW_WEEKS = (2, 6)


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
        if isinstance(self.weeks, bool) or not isinstance(self.weeks, int) or not (
            MIN_WEEKS <= self.weeks <= MAX_WEEKS
        ):
            raise ValidationError(
                "weeks", f"A prescription lasts {MIN_WEEKS} to {MAX_WEEKS} weeks."
            )
        check_entity(PRESCRIPTIONS, self, (
            "person_id", "service_id", "start_date", "accompany_first", "declined_reason",
            "adviser", "team", "ended_on", "carries_on",
        ), date.today())
        if self.waiting_weeks is not None:
            PRESCRIPTIONS.check_value("waiting_weeks", self.waiting_weeks, date.today())
        check_prescription(self.start_date, self.ended_on, self.provider_referral,
                           self.waiting_weeks, self.declined_reason)

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
    reason: str = ""  # the adviser's words: optional detail
    # Why they stopped: a key from resources/stop_reasons.json, needed when stopped (a stopped
    # session stored before reasons were asked is read as "other": choice_lists.stop_reason_of)
    stopped_because: str | None = None

    def __post_init__(self) -> None:
        coerce(self, "status", AttendanceStatus)
        check_entity(ATTENDANCE, self, ("prescription_id", "session_on", "reason",
                                        "stopped_because"), date.today())
        check_stop_reason(self.status, self.stopped_because)


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

    def __post_init__(self) -> None:
        check_entity(FOLLOW_UPS, self, ("person_id", "due_on", "kind", "prescription_id",
                                        "done_on", "notes"), date.today())

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
        check_entity(VOLUNTEER_HOURS, self, ("prescription_id", "logged_on", "hours"),
                     date.today())
        object.__setattr__(self, "hours", float(self.hours))


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
        check_entity(CLOSING_REVIEWS, self, ("person_id", "closed_on", "reason", "carries_on"),
                     date.today())
        check_reason_given("reason", self.outcome, ClosingOutcome.RE_REFERRED, self.reason,
                           "Please say where they were re-referred to.")
