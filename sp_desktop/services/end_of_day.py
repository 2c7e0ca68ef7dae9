"""What is left at the end of the day: visits not signed, letters due, changes not yet sent.

Asked when the adviser locks or quits (never on the idle lock: nobody is there to answer), so a
visit left unsigned or a letter forgotten is seen while it can still be done, not found at the
office a week later. Qt-free: the window shows the list, scripts can print it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select

from sp_desktop.domain.choices import Consent, VisitStatus
from sp_desktop.pdf import wording
from sp_desktop.services.sync_status import age_words
from sp_desktop.store.schema import audit_events, closing_reviews, people, referrals, visits
from sp_desktop.sync.client import sync_status

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

# A letter counts as sent once it has been printed or saved as a PDF (both are audited).
_LETTER_SENT = ("printed", "exported")


class LeftKind(enum.StrEnum):
    """What sort of thing is left, in the order the list shows them."""

    UNSIGNED_VISIT = "unsigned_visit"
    LETTER_DUE = "letter_due"
    CHANGES_WAITING = "changes_waiting"
    CONFLICTS = "conflicts"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LeftToDo:
    """One thing left for the day, in words.

    Attributes:
        kind: what sort of thing.
        words: the line the adviser reads ("Visit with Zoë Dvořák on Tuesday 3 March 2026 is
            not signed").
        person_id: whose it is, when it is one person's; None for the laptop's own (sync).
    """

    kind: LeftKind
    words: str
    person_id: str | None = None


@dataclass(frozen=True, slots=True)
class DayEnd:
    """Everything left, grouped by kind.

    Attributes:
        items: the lines, unsigned visits first, then letters, then sync.
    """

    items: tuple[LeftToDo, ...]

    @property
    def clear(self) -> bool:
        """Nothing left: lock or quit without asking."""
        return not self.items

    def of(self, kind: LeftKind) -> tuple[LeftToDo, ...]:
        return tuple(item for item in self.items if item.kind is kind)


def _name(row: object) -> str:
    given = getattr(row, "preferred_name", None) or getattr(row, "given_name", "")
    return f"{given} {getattr(row, 'family_name', '')}".strip()


def _unsigned_visits(ws: Workspace) -> list[LeftToDo]:
    """Visits started and not signed: until signed they are drafts the office never sees."""
    with ws.store.read() as conn:
        rows = conn.execute(
            select(
                visits.c.person_id,
                visits.c.visit_date,
                people.c.given_name,
                people.c.preferred_name,
                people.c.family_name,
            )
            .join_from(visits, people, visits.c.person_id == people.c.id)
            .where(
                visits.c.status == VisitStatus.DRAFT.value,
                visits.c.deleted.is_(False),
                people.c.deleted.is_(False),
            )
            .order_by(visits.c.visit_date, people.c.family_name, people.c.given_name)
        ).all()
    return [
        LeftToDo(
            LeftKind.UNSIGNED_VISIT,
            f"Visit with {_name(row)} on {wording.weekday_date(row.visit_date)} is not signed.",
            row.person_id,
        )
        for row in rows
    ]


def _letters_due(ws: Workspace) -> list[LeftToDo]:
    """Referrers waiting to hear: support ended (a closing review) or the person declined, and
    no letter has been printed or saved since."""
    with ws.store.read() as conn:
        closed = conn.execute(
            select(
                closing_reviews.c.person_id,
                func.max(closing_reviews.c.closed_on).label("since"),
                people.c.given_name,
                people.c.preferred_name,
                people.c.family_name,
            )
            .join_from(closing_reviews, people, closing_reviews.c.person_id == people.c.id)
            .where(closing_reviews.c.deleted.is_(False), people.c.deleted.is_(False))
            .group_by(closing_reviews.c.person_id)
        ).all()
        declined = conn.execute(
            select(
                referrals.c.person_id,
                func.max(func.coalesce(referrals.c.consent_on, referrals.c.received_on)).label(
                    "since"
                ),
                people.c.given_name,
                people.c.preferred_name,
                people.c.family_name,
            )
            .join_from(referrals, people, referrals.c.person_id == people.c.id)
            .where(
                referrals.c.consent == Consent.DECLINED.value,
                referrals.c.deleted.is_(False),
                people.c.deleted.is_(False),
            )
            .group_by(referrals.c.person_id)
        ).all()
        sent = {
            (row.person_id, row.day)
            for row in conn.execute(
                select(
                    audit_events.c.person_id,
                    func.substr(audit_events.c.at, 1, 10).label("day"),
                ).where(
                    and_(
                        audit_events.c.entity == "letter",
                        audit_events.c.action.in_(_LETTER_SENT),
                    )
                )
            )
        }
    due: dict[str, LeftToDo] = {}
    for rows, why in ((closed, "support ended"), (declined, "they declined")):
        for row in rows:
            since = row.since.isoformat()
            if any(pid == row.person_id and day >= since for pid, day in sent):
                continue
            due.setdefault(
                row.person_id,
                LeftToDo(
                    LeftKind.LETTER_DUE,
                    f"Letter to the referrer about {_name(row)} ({why} on "
                    f"{wording.long_date(row.since)}) has not been printed or saved.",
                    row.person_id,
                ),
            )
    return sorted(due.values(), key=lambda item: item.words)


def _sync_left(ws: Workspace, now: datetime) -> list[LeftToDo]:
    """Changes on this laptop the office has not got, and answers the adviser must give."""
    status = sync_status(ws.store)
    found: list[LeftToDo] = []
    if status.waiting:
        age = status.oldest_waiting_age(now)
        oldest = f", the oldest from {age_words(age)} ago" if age is not None else ""
        changes = "1 change has" if status.waiting == 1 else f"{status.waiting} changes have"
        where = "the office" if status.registered else "an office (this laptop is not registered)"
        found.append(
            LeftToDo(
                LeftKind.CHANGES_WAITING,
                f"{changes} not been sent to {where}{oldest}. They are safe on this laptop; "
                "sync before you finish if you can.",
            )
        )
    if status.unresolved_conflicts:
        count = status.unresolved_conflicts
        found.append(
            LeftToDo(
                LeftKind.CONFLICTS,
                f"{count} {'conflict needs' if count == 1 else 'conflicts need'} your answer "
                "(Office sync, Conflicts).",
            )
        )
    if status.rejected:
        count = status.rejected
        found.append(
            LeftToDo(
                LeftKind.REFUSED,
                f"{count} {'change was' if count == 1 else 'changes were'} refused by the office "
                "and need putting right (Office sync, Refused changes).",
            )
        )
    return found


def left_for_the_day(ws: Workspace, *, now: datetime | None = None) -> DayEnd:
    """Everything still to do before the laptop is put away, in the order to do it."""
    moment = now or datetime.now(UTC)
    return DayEnd(tuple(_unsigned_visits(ws) + _letters_due(ws) + _sync_left(ws, moment)))
