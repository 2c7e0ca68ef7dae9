"""Closing a case: the closing review written in one transaction, and what it asks about.

The closing review writes everything it touches (exit wellbeing, last step and concern ratings,
prescriptions, follow-ups, referral) in one transaction, so a case is never left half closed.
Its read model (:class:`ClosingFacts`) is what the closing review dialog shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from sp_desktop.domain.choices import ClosingOutcome, PrescriptionStatus, ReferralStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.people import Concern, Rating, Step
from sp_desktop.domain.prescribing import ClosingReview
from sp_desktop.domain.wellbeing import Assessment, AssessmentContext, Ons4Scores
from sp_desktop.services.prescribing import (
    PrescriptionDetails,
    close_follow_ups,
    prescription_from_row,
    prescription_row,
    require_person,
)
from sp_desktop.services.workspace import Changes
from sp_desktop.store.schema import (
    closing_reviews,
    concerns,
    prescriptions,
    referrals,
    steps,
)
from sp_desktop.sync.protocol import OpKind

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ClosingFacts:
    """What the closing review asks about, read in one go.

    Attributes:
        steps: their steps, to rate how far they got.
        concerns: what worried them, to rate how much now.
        activities: prescriptions not cancelled, to say whether they carry on.
        first_assessment: the wellbeing answers to compare the exit answers with, or None.
    """

    steps: tuple[Step, ...]
    concerns: tuple[Concern, ...]
    activities: tuple[PrescriptionDetails, ...]
    first_assessment: Assessment | None


class ClosingService:
    """Closing a person's case and reading what the closing review needs."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def facts(self, person_id: str) -> ClosingFacts:
        """Steps, concerns, activities still to settle and the first wellbeing answers."""
        history = self.ws.wellbeing.history(person_id)
        return ClosingFacts(
            tuple(self.ws.visits.steps_of(person_id)),
            tuple(self.ws.visits.concerns_of(person_id)),
            tuple(
                d
                for d in self.ws.prescribing.details(person_id)
                if d.prescription.status is not PrescriptionStatus.CANCELLED
            ),
            history[0] if history else None,
        )

    def close_case(
        self,
        person_id: str,
        on: date,
        outcome: ClosingOutcome,
        *,
        reason: str = "",
        exit_scores: Ons4Scores | None = None,
        exit_answers: Mapping[str, Mapping[str, int | None]] | None = None,
        step_progress: Mapping[str, int] | None = None,
        concern_severity: Mapping[str, int] | None = None,
        carries_on: Iterable[str] = (),
        today: date | None = None,
    ) -> Changes:
        """The closing review, all in one transaction.

        Records the exit wellbeing (if the person answered; `exit_answers` any other measure the
        scheme asks at the end, by key), the final progress of steps and
        the concerns re-rated (as new ratings, keeping their history), the outcome and reason;
        ends running prescriptions, noting which activities the person carries on with; closes
        open follow-ups and the referral. The caseload then shows the person as Closed.
        """
        if on > (today or date.today()):
            raise ValidationError("closed_on", "A case cannot be closed in the future.")
        carrying = set(carries_on)
        review = ClosingReview(new_id(), person_id, on, outcome, reason.strip(), bool(carrying))
        progress = dict(step_progress or {})
        severity = dict(concern_severity or {})
        for field, ratings in (("step_progress", progress), ("concern_severity", severity)):
            for value in ratings.values():  # 0-10, checked before anything is written
                try:
                    Rating("check", "check", on, value)
                except ValidationError as exc:
                    raise ValidationError(field, exc.message) from None
        with self.ws.write() as conn:
            require_person(conn, person_id)
            if _closed_since_last_referral(conn, person_id):
                raise ValidationError("closed_on", "This person's case is already closed.")
            theirs = [
                prescription_from_row(r)
                for r in conn.execute(
                    select(prescriptions).where(
                        prescriptions.c.person_id == person_id,
                        prescriptions.c.deleted.is_(False),
                    )
                ).mappings()
            ]
            unknown = carrying - {p.id for p in theirs}
            if unknown:
                raise ValidationError("carries_on", "That activity is not one of theirs.")
            _check_owned(conn, steps, progress, person_id, "step_progress")
            _check_owned(conn, concerns, severity, person_id, "concern_severity")
            events: list[tuple[str, str, str | None, str | None]] = []
            if exit_scores is not None:
                assessment_id = self.ws.wellbeing.record_in(
                    conn, person_id, exit_scores, on=on, context=AssessmentContext.EXIT
                )
                events.append(("created", "assessment", assessment_id, person_id))
            for measure_key, given in (exit_answers or {}).items():
                sitting_id = self.ws.wellbeing.record_answers_in(
                    conn, person_id, measure_key, given, on=on, context=AssessmentContext.EXIT
                )
                events.append(("created", "assessment", sitting_id, person_id))
            for step_id, value in progress.items():
                self.ws.visits.rate_step_in(conn, step_id, value, on)
                events.append(("changed", "step", step_id, person_id))
            for concern_id, value in severity.items():
                self.ws.visits.rate_concern_in(conn, concern_id, value, on)
                events.append(("changed", "concern", concern_id, person_id))
            for p in theirs:
                if p.status is PrescriptionStatus.CANCELLED:
                    continue
                ended = replace(p, carries_on=p.id in carrying)
                if p.is_active:
                    ended = replace(
                        ended,
                        status=PrescriptionStatus.ENDED,
                        ended_on=min(max(on, p.start_date), p.end_date),
                    )
                self.ws.changes.update(
                    conn, prescriptions, p.id, prescription_row(ended), person_id
                )
            close_follow_ups(self.ws, conn, person_id, on, None)
            for referral_id in conn.execute(
                select(referrals.c.id).where(
                    referrals.c.person_id == person_id,
                    referrals.c.status.in_([ReferralStatus.NEW.value, ReferralStatus.ACTIVE.value]),
                    referrals.c.deleted.is_(False),
                )
            ).scalars():
                self.ws.changes.update(
                    conn, referrals, referral_id, {"status": ReferralStatus.CLOSED.value}, person_id
                )
            self.ws.changes.insert(
                conn,
                closing_reviews,
                {
                    "id": review.id,
                    "person_id": person_id,
                    "closed_on": on,
                    "outcome": review.outcome.value,
                    "reason": review.reason,
                    "carries_on": review.carries_on,
                },
                person_id,
                kind=OpKind.APPEND,
            )
            events.append(("created", "closing_review", review.id, person_id))
            self.ws.audit_many(conn, events)
        return Changes(
            frozenset({person_id}),
            frozenset(
                {
                    "closing_reviews",
                    "prescriptions",
                    "follow_ups",
                    "referrals",
                    "assessments",
                    "steps",
                    "step_progress",
                    "concerns",
                    "concern_ratings",
                }
            ),
            (review.id,),
        )

    def closing_review_of(self, person_id: str) -> ClosingReview | None:
        """The latest closing review of this person, or None if their case was never closed."""
        with self.ws.store.read() as conn:
            row = (
                conn.execute(
                    select(closing_reviews)
                    .where(
                        closing_reviews.c.person_id == person_id,
                        closing_reviews.c.deleted.is_(False),
                    )
                    # Two closed the same day (from two laptops): the later edit is the one.
                    .order_by(closing_reviews.c.closed_on.desc(), closing_reviews.c.hlc.desc())
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return ClosingReview(
            row["id"], person_id, row["closed_on"], row["outcome"], row["reason"], row["carries_on"]
        )


def _check_owned(
    conn: Connection, table: Any, ids: Mapping[str, int], person_id: str, field: str
) -> None:
    """Refuses ratings of rows that are not this person's (or no longer exist)."""
    if not ids:
        return
    owned = set(
        conn.execute(
            select(table.c.id).where(
                table.c.id.in_(list(ids)),
                table.c.person_id == person_id,
                table.c.deleted.is_(False),
            )
        ).scalars()
    )
    if owned != set(ids):
        raise ValidationError(field, "That is not one of this person's.")


def _closed_since_last_referral(conn: Connection, person_id: str) -> bool:
    """Closed already, unless referred again since (a new referral opens a new journey)."""
    last_referral = conn.execute(
        select(referrals.c.received_on)
        .where(referrals.c.person_id == person_id, referrals.c.deleted.is_(False))
        .order_by(referrals.c.received_on.desc())
        .limit(1)
    ).scalar_one_or_none()
    query = select(closing_reviews.c.id).where(
        closing_reviews.c.person_id == person_id, closing_reviews.c.deleted.is_(False)
    )
    if last_referral is not None:
        query = query.where(closing_reviews.c.closed_on >= last_referral)
    return conn.execute(query).first() is not None
