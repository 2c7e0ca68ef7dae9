"""The caseload: one row per person with their stage, next thing due and last contact."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from sp_desktop.domain.choices import ReferralStatus
from sp_desktop.services.people import fold

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


class Stage(enum.StrEnum):
    """Where someone is in their journey, in the adviser's words."""

    NEW = "New referral"
    ACTIVE = "Working together"
    PRESCRIBED = "Activities under way"
    DECLINED = "Declined"
    CLOSED = "Closed"


class CaseloadFilter(enum.StrEnum):
    ALL = "Everyone"
    NEW = "New referrals"
    DUE_THIS_WEEK = "Due this week"
    OVERDUE = "Overdue"
    ACTIVE_PRESCRIPTIONS = "Active prescriptions"
    CLOSED = "Closed"


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """What the caseload table shows for one person; `search_key` is folded for searching."""

    person_id: str
    name: str
    family_name: str
    date_of_birth: date
    practice: str
    stage: Stage
    next_due: date | None
    last_contact: date | None
    search_key: str
    nhs_number: str | None

    def matches(self, folded_query: str) -> bool:
        if not folded_query:
            return True
        digits = folded_query.replace(" ", "")
        if digits.isdigit() and self.nhs_number:
            return digits in self.nhs_number
        return all(word in self.search_key for word in folded_query.split())

    def in_filter(self, which: CaseloadFilter, today: date) -> bool:
        if which is CaseloadFilter.ALL:
            return True
        if which is CaseloadFilter.NEW:
            return self.stage is Stage.NEW
        if which is CaseloadFilter.CLOSED:
            return self.stage in (Stage.CLOSED, Stage.DECLINED)
        if which is CaseloadFilter.ACTIVE_PRESCRIPTIONS:
            return self.stage is Stage.PRESCRIBED
        if self.next_due is None:
            return False
        if which is CaseloadFilter.OVERDUE:
            return self.next_due < today
        return today <= self.next_due <= today + timedelta(days=7)


# One pass over people; each subquery uses the person_id indexes.
_CASELOAD_SQL = text("""
SELECT p.id, p.given_name, p.preferred_name, p.family_name, p.date_of_birth, p.gp_practice,
       p.search_key, p.nhs_number,
       (SELECT r.status FROM referrals r WHERE r.person_id = p.id AND r.deleted = 0
         ORDER BY r.received_on DESC LIMIT 1) AS referral_status,
       (SELECT max(v.visit_date) FROM visits v WHERE v.person_id = p.id AND v.deleted = 0)
         AS last_contact,
       (SELECT min(f.due_on) FROM follow_ups f
         WHERE f.person_id = p.id AND f.done_on IS NULL AND f.deleted = 0) AS next_due,
       EXISTS (SELECT 1 FROM prescriptions x
         WHERE x.person_id = p.id AND x.status = 'active' AND x.deleted = 0) AS prescribed,
       EXISTS (SELECT 1 FROM closing_reviews c WHERE c.person_id = p.id AND c.deleted = 0)
         AS closed
FROM people p
WHERE p.deleted = 0 {where}
ORDER BY p.family_name, p.given_name
""")


def _stage(referral_status: str | None, prescribed: bool, closed: bool) -> Stage:
    if closed or referral_status == ReferralStatus.CLOSED:
        return Stage.CLOSED
    if referral_status == ReferralStatus.DECLINED:
        return Stage.DECLINED
    if prescribed:
        return Stage.PRESCRIBED
    if referral_status == ReferralStatus.ACTIVE:
        return Stage.ACTIVE
    return Stage.NEW


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class CaseloadService:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def rows(self, person_ids: frozenset[str] | None = None) -> list[CaseloadRow]:
        """Everyone on the caseload, or just the named people (to refresh after a change)."""
        where, params = "", {}
        if person_ids is not None:
            keys = {f"p{i}": pid for i, pid in enumerate(person_ids)}
            where = f"AND p.id IN ({', '.join(':' + k for k in keys)})" if keys else "AND 0"
            params = keys
        sql = text(_CASELOAD_SQL.text.format(where=where))
        with self.ws.store.read() as conn:
            result = conn.execute(sql, params).all()
        return [
            CaseloadRow(
                person_id=r.id,
                name=f"{r.preferred_name or r.given_name} {r.family_name}",
                family_name=r.family_name,
                date_of_birth=date.fromisoformat(r.date_of_birth),
                practice=r.gp_practice,
                stage=_stage(r.referral_status, bool(r.prescribed), bool(r.closed)),
                next_due=_date(r.next_due),
                last_contact=_date(r.last_contact),
                search_key=r.search_key,
                nhs_number=r.nhs_number,
            )
            for r in result
        ]

    def search(
        self,
        query: str = "",
        which: CaseloadFilter = CaseloadFilter.ALL,
        today: date | None = None,
    ) -> list[CaseloadRow]:
        """Accent- and case-insensitive name search (or NHS number digits), plus a filter."""
        folded = fold(query.strip())
        day = today or date.today()
        return [r for r in self.rows() if r.matches(folded) and r.in_filter(which, day)]
