"""Retention at the office: the scheme's rule ("closed for N years") applied by a job that
erases exactly the people past it, each erasure recorded (reason: the rule) like any other and
reaching every laptop the same way (`server.erasure`).

A person is closed when their newest closing review is later than their newest referral (a new
referral reopens a case); they are past the rule when that closing review is older than N years
on the day the job runs. People never closed are never erased by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson
from sqlalchemy import Engine, select

from sp_desktop.server.db import read_transaction, rows, teams, write_transaction
from sp_desktop.server.erasure import erase_in


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What one run did: the people erased (by id) and the rule's cut-off date."""

    cutoff: date
    erased: tuple[str, ...]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def past_the_rule(
    engine: Engine, closed_years: int, today: date, team: str | None = None
) -> list[str]:
    """The people whose case closed more than `closed_years` years before `today`, still open
    cases excepted; only one team's when `team` names it."""
    cutoff = _years_before(today, closed_years)
    closed: dict[str, date] = {}
    referred: dict[str, date] = {}
    with read_transaction(engine) as conn:
        query = select(rows.c.table_name, rows.c.person_id, rows.c.fields).where(
            rows.c.table_name.in_(("closing_reviews", "referrals")),
            rows.c.deleted.is_(False),
        )
        if team is not None:
            query = query.join(teams, teams.c.id == rows.c.team_id).where(teams.c.name == team)
        found = conn.execute(query)
        for table_name, person_id, fields in found:
            values = orjson.loads(fields)
            key, into = (("closed_on", closed) if table_name == "closing_reviews"
                         else ("received_on", referred))
            try:
                day = date.fromisoformat(str(values.get(key)))
            except ValueError:
                continue
            if person_id and (person_id not in into or into[person_id] < day):
                into[person_id] = day
    return sorted(
        person for person, closed_on in closed.items()
        if closed_on < cutoff and referred.get(person, date.min) <= closed_on
    )


def apply_rule(engine: Engine, closed_years: int, *, by: str, today: date | None = None,
               team: str | None = None) -> RetentionRun:
    """Erases everyone past the rule, one transaction each (a failure leaves the others done)."""
    if closed_years < 1:
        raise ValueError("the retention rule keeps records at least a year after closing")
    day = today or date.today()
    erased = []
    reason = f"Retention rule: case closed more than {closed_years} years ago"
    for person in past_the_rule(engine, closed_years, day, team):
        with write_transaction(engine) as conn:
            erase_in(conn, person, reason=reason, by=by)
        erased.append(person)
    return RetentionRun(_years_before(day, closed_years), tuple(erased))
