"""The caseload report table (`console_people`), kept current from the office's rows.

Rows arrive as JSON text in the generic `rows` table; counting a team's caseload from there
would parse every person's rows on every page view. Instead one line per person (adviser,
open, waiting, next follow-up due, last contact) is rebuilt for the people whose rows changed
since the last catch-up, found by the server sequence number (`seq`, indexed), and the team
pages count those lines with an index. The sync code is untouched: whoever reads the report
first after a sync brings it up to date, under the counter row's lock, so several workers
never double the work. Each step covers a bounded range of `seq`, so a first catch-up over a
large database commits in pieces rather than holding the write lock for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.exc import IntegrityError

from sp_desktop.server.db import (
    CONSOLE_SEQ_COUNTER,
    SEQ_COUNTER,
    console_people,
    counters,
    read_transaction,
    rows,
    write_transaction,
)

# The tables whose rows change a person's line.
REPORT_TABLES = ("people", "referrals", "visits", "follow_ups")
SEQ_SPAN = 20_000  # sequence numbers read per transaction
_CHUNK = 500  # people rebuilt per statement
OPEN_STATUSES = frozenset({"new", "active"})
ANALYZE_AFTER = 10_000  # people rebuilt in one catch-up that call for fresh statistics


@dataclass(frozen=True, slots=True)
class PersonLine:
    person_id: str
    team_id: int
    adviser: str
    given_name: str
    family_name: str
    is_open: bool
    waiting: bool
    next_due: str | None
    last_contact: str | None

    def as_row(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "team_id": self.team_id,
            "adviser": self.adviser,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "is_open": self.is_open,
            "waiting": self.waiting,
            "next_due": self.next_due,
            "last_contact": self.last_contact,
        }


def read_fields(text: str) -> dict[str, Any]:
    """A stored row's fields; an unreadable one (let in by an older server) reads as empty,
    so one bad row never stops a page or the report table."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def person_line(
    person_id: str, held: Iterable[tuple[str, int | None, dict[str, Any]]]
) -> PersonLine | None:
    """One person's line from their live rows (table, team id, fields); None without a
    person row (erased, deleted, or not arrived yet)."""
    person: tuple[int | None, dict[str, Any]] | None = None
    is_open = waiting = False
    due: list[str] = []
    visits: list[str] = []
    for table, team_id, fields in held:
        if table == "people":
            person = (team_id, fields)
        elif table == "referrals":
            status = fields.get("status") or "new"
            is_open = is_open or status in OPEN_STATUSES
            waiting = waiting or status == "new"
        elif table == "visits":
            day = _day(fields.get("visit_date"))
            if day:
                visits.append(day)
        elif table == "follow_ups" and not fields.get("done_on"):
            day = _day(fields.get("due_on"))
            if day:
                due.append(day)
    if person is None:
        return None
    team_id, fields = person
    if team_id is None:
        return None
    return PersonLine(
        person_id=person_id,
        team_id=team_id,
        adviser=_text(fields.get("adviser")) or "-",
        given_name=_text(fields.get("given_name")),
        family_name=_text(fields.get("family_name")),
        is_open=is_open,
        waiting=waiting,
        next_due=min(due) if due else None,
        last_contact=max(visits) if visits else None,
    )


def _watermark(conn: Connection, *, skip_locked: bool = False) -> int:
    """How far the report table has read; -1 when there is no counter yet, -2 when another
    worker holds it (only with `skip_locked`)."""
    found = conn.execute(
        select(counters.c.value)
        .where(counters.c.name == CONSOLE_SEQ_COUNTER)
        .with_for_update(skip_locked=skip_locked)
    ).scalar_one_or_none()
    if found is None:
        exists = conn.execute(
            select(counters.c.name).where(counters.c.name == CONSOLE_SEQ_COUNTER)
        ).first()
        return -2 if exists else -1
    return int(found)


def _ensure_counter(engine: Engine) -> None:
    try:
        with write_transaction(engine) as conn:
            if _watermark(conn) < 0:
                conn.execute(counters.insert().values(name=CONSOLE_SEQ_COUNTER, value=0))
    except IntegrityError:
        pass  # another worker made it first


def rebuild(conn: Connection, person_ids: Sequence[str]) -> int:
    """Rebuilds these people's lines from their rows; returns how many lines exist now."""
    made = 0
    for start in range(0, len(person_ids), _CHUNK):
        chunk = list(person_ids[start : start + _CHUNK])
        held: dict[str, list[tuple[str, int | None, dict[str, Any]]]] = {p: [] for p in chunk}
        found = conn.execute(
            select(rows.c.person_id, rows.c.table_name, rows.c.team_id, rows.c.fields).where(
                rows.c.person_id.in_(chunk),
                rows.c.table_name.in_(REPORT_TABLES),
                rows.c.deleted.is_(False),
            )
        )
        for person_id, table, team_id, fields in found:
            held[person_id].append((table, team_id, read_fields(fields)))
        lines = [line for p in chunk if (line := person_line(p, held[p])) is not None]
        conn.execute(delete(console_people).where(console_people.c.person_id.in_(chunk)))
        if lines:
            conn.execute(console_people.insert(), [line.as_row() for line in lines])
        made += len(lines)
    return made


def _behind(engine: Engine) -> bool:
    """Whether changes have arrived since the last catch-up (a read, no lock taken)."""
    with read_transaction(engine) as conn:
        held = dict(
            conn.execute(
                select(counters.c.name, counters.c.value).where(
                    counters.c.name.in_([SEQ_COUNTER, CONSOLE_SEQ_COUNTER])
                )
            ).all()
        )
    if CONSOLE_SEQ_COUNTER not in held:
        _ensure_counter(engine)
        return True
    return int(held[CONSOLE_SEQ_COUNTER]) < int(held.get(SEQ_COUNTER, 0))


def catch_up(
    engine: Engine,
    *,
    span: int = SEQ_SPAN,
    max_steps: int | None = None,
    if_free: bool = False,
) -> int:
    """Brings the report table up to the last committed change; returns people rebuilt.

    `max_steps` bounds the work of one call (a page view); None goes to the end. `if_free`:
    when another worker is catching up already, leave it to them (after a sync) rather than
    wait for its lock."""
    rebuilt = 0
    steps = 0
    if not _behind(engine):
        return 0
    while max_steps is None or steps < max_steps:
        steps += 1
        with write_transaction(engine) as conn:
            mark = _watermark(conn, skip_locked=if_free)
            if mark < 0:
                break  # another worker is at it (or the counter is not there yet)
            top = int(
                conn.execute(
                    select(counters.c.value).where(counters.c.name == SEQ_COUNTER)
                ).scalar_one()
            )
            if mark >= top:
                break
            upto = min(top, mark + span)
            changed = sorted(
                {
                    p
                    for p in conn.execute(
                        select(rows.c.person_id).where(
                            rows.c.seq > mark,
                            rows.c.seq <= upto,
                            rows.c.table_name.in_(REPORT_TABLES),
                            rows.c.person_id.is_not(None),
                        )
                    ).scalars()
                }
            )
            rebuild(conn, changed)
            rebuilt += len(changed)
            conn.execute(
                counters.update().where(counters.c.name == CONSOLE_SEQ_COUNTER).values(value=upto)
            )
    if rebuilt >= ANALYZE_AFTER and engine.dialect.name == "postgresql":
        _analyze(engine)
    return rebuilt


def _analyze(engine: Engine) -> None:
    """Fresh planner statistics after a large rebuild: without them PostgreSQL plans the team
    pages for an empty table (until autovacuum gets round to it) and they run 6x slower."""
    with engine.connect() as conn:
        conn.execute(text("ANALYZE console_people"))
        conn.commit()
