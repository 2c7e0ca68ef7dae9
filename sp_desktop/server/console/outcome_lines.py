"""The outcomes report tables (`outcome_people`, `outcome_pairs`), kept current from `rows`.

The office holds every record as JSON text in one `rows` table; an outcomes page that parsed
it on every view would read 400,000 questionnaires. As `console.reports` does for caseloads,
the people whose rows changed since the last catch-up (by the server's sequence number) get
their lines rebuilt: one line per person holding only what groups are counted by (practice,
gender, ethnicity, age at referral, source, dates, status; never a name, note, NHS number or
date of birth), and one line per person and questionnaire result (the first baseline and the
latest review or exit since), scored by the measure's own definition (`domain.measures`), so
the page is a few GROUP BY queries over two narrow tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from sp_desktop.domain.choice_lists import stop_reason_of
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import Measure, answers_from_text, catalogue
from sp_desktop.server.console.reports import read_fields
from sp_desktop.server.db import (
    OUTCOMES_SEQ_COUNTER,
    SEQ_COUNTER,
    counters,
    erasures,
    outcome_activity,
    outcome_pairs,
    outcome_people,
    outcome_steps,
    read_transaction,
    rows,
    write_transaction,
)

# The tables whose rows change a person's outcome lines.
OUTCOME_TABLES = (
    "people",
    "referrals",
    "visits",
    "answers",
    "closing_reviews",
    "prescriptions",
    "attendance",
    "volunteer_hours",
    "concerns",
    "concern_ratings",
    "steps",
    "step_progress",
)
# The person's groups copied onto each of their pairs lines (filters without a join).
GROUP_COLUMNS = (
    "team_id",
    "gp_practice",
    "gender",
    "ethnicity",
    "age",
    "source",
    "received_on",
    "conditions",
    "condition_count",
)
DAYS_A_MONTH = 365.25 / 12
MIN_MONTHS = 1.0  # a later count over less than a month is not turned into a rate
_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
_NUMBERS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
SEQ_SPAN = 20_000
_CHUNK = 500
UNKNOWN = "not recorded"


def _day(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _word(value: Any, limit: int = 64) -> str:
    return value[:limit] if isinstance(value, str) and value.strip() else UNKNOWN


def _age(born: str | None, on: str | None) -> int | None:
    if born is None or on is None:
        return None
    b, o = date.fromisoformat(born), date.fromisoformat(on)
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def band_place(measure: Measure, result_key: str, score: float) -> int | None:
    """Which band a score falls in, counted from the lowest (None for a result without bands)."""
    for result in measure.results:
        if result.key == result_key and result.bands:
            return sum(1 for band in result.bands if score >= band.start) - 1
    return None


def baseline_months(measure: Measure) -> float | None:
    """How many months a measure's baseline counts look back over, read from its definition's
    own words ("In the six months before you were referred"); None for a measure that is not a
    count over a period (its later answers count "since you were referred")."""
    if measure.look_back is None:
        return None
    found = re.search(r"\b(\w+) months?\b", measure.look_back.baseline.lower())
    if found is None:
        return None
    word = found.group(1)
    number = int(word) if word.isdigit() else _NUMBERS.get(word)
    return float(number) if number else None


def conditions_of(value: Any) -> tuple[str | None, int]:
    """A person's long-term conditions field (a JSON array text of keys, or the array) as
    "|copd|diabetes|" and a count; (None, 0) when the row has no such field (not recorded)."""
    if value is None:
        return None, 0
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            return None, 0
    if not isinstance(value, list):
        return None, 0
    keys = sorted({k for k in value if isinstance(k, str) and _KEY.match(k)})
    text = "|" + "|".join(keys) + "|" if keys else ""
    while len(text) > 400:  # never cut a key in half
        keys.pop()
        text = "|" + "|".join(keys) + "|"
    return text, len(keys)


def _rated(ratings: list[tuple[str, str, int]]) -> list[int]:
    """Ratings' values in the order they were given (date, then the time-ordered row id)."""
    return [value for _, _, value in sorted(ratings)]


def _whole(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10:
        return value
    return None


@dataclass(frozen=True, slots=True)
class Lines:
    person: dict[str, Any] | None
    scores: list[dict[str, Any]]
    activity: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)


def person_lines(
    person_id: str, held: Iterable[tuple[str, str, int | None, dict[str, Any]]]
) -> Lines:
    """One person's outcome lines from their live rows (table, row id, team id, fields)."""
    person: tuple[int | None, dict[str, Any]] | None = None
    referrals: list[dict[str, Any]] = []
    visits: list[str] = []
    closings: list[tuple[str, str]] = []
    scores: list[dict[str, Any]] = []
    activity: dict[str, dict[str, Any]] = {}
    stops: dict[str, tuple[str, str, str]] = {}  # prescription: (day, row id, reason key)
    volunteered: list[str] = []
    concern_severity: dict[str, int | None] = {}
    concern_ratings: dict[str, list[tuple[str, str, int]]] = {}
    step_set: dict[str, int | None] = {}
    step_ratings: dict[str, list[tuple[str, str, int]]] = {}
    measures = catalogue()

    def prescription(row_id: Any) -> dict[str, Any] | None:
        if not isinstance(row_id, str):
            return None
        return activity.setdefault(
            row_id,
            {
                "prescription_id": row_id[:64],
                "person_id": person_id,
                "service_id": "",
                "start_date": None,
                "attended": 0,
                "missed": 0,
                "stopped": 0,
                "volunteer_hours": 0.0,
            },
        )

    for table, row_id, team_id, fields in held:
        if table == "people":
            person = (team_id, fields)
        elif table == "referrals":
            referrals.append(fields)
        elif table == "visits":
            day = _day(fields.get("visit_date"))
            if day:
                visits.append(day)
        elif table == "closing_reviews":
            day = _day(fields.get("closed_on"))
            if day:
                closings.append((day, _word(fields.get("outcome"), 32)))
        elif table == "answers":
            scores.extend(_scores(measures, person_id, row_id, fields))
        elif table == "prescriptions" and (line := prescription(row_id)) is not None:
            line["service_id"] = _word(fields.get("service_id"))
            line["start_date"] = _day(fields.get("start_date"))
        elif table == "attendance" and (line := prescription(fields.get("prescription_id"))):
            status = fields.get("status")
            if status in ("attended", "missed", "stopped"):
                line[status] += 1
            if status == "stopped":
                because = stop_reason_of(status, fields.get("stopped_because"))
                key = because if because is not None and _KEY.match(because) else UNKNOWN
                stop = (_day(fields.get("session_on")) or "", row_id, key)
                held_id = str(fields.get("prescription_id"))
                stops[held_id] = max(stops.get(held_id, stop), stop)
        elif table == "volunteer_hours" and (line := prescription(fields.get("prescription_id"))):
            hours = fields.get("hours")
            if isinstance(hours, int | float) and not isinstance(hours, bool):
                line["volunteer_hours"] += float(hours)
                if hours > 0 and (day := _day(fields.get("logged_on"))):
                    volunteered.append(day)
        elif table == "concerns":
            concern_severity[row_id] = _whole(fields.get("severity"))
        elif table == "steps":
            step_set[row_id] = _whole(fields.get("progress"))
        elif table in ("concern_ratings", "step_progress"):
            parent = fields.get("concern_id" if table == "concern_ratings" else "step_id")
            value, day = _whole(fields.get("value")), _day(fields.get("rated_on"))
            if isinstance(parent, str) and value is not None and day is not None:
                held_by = concern_ratings if table == "concern_ratings" else step_ratings
                held_by.setdefault(parent, []).append((day, row_id, value))
    if person is None or person[0] is None:
        return Lines(None, [])
    for prescription_id, (_, _, key) in stops.items():
        activity[prescription_id]["stopped_because"] = key
    prescribed = [{"stopped_because": None, **a} for a in activity.values() if a["service_id"]]
    team_id, fields = person
    dated = sorted((d, r) for r in referrals if (d := _day(r.get("received_on"))) is not None)
    first = dated[0] if dated else None
    received = first[0] if first else None
    latest = dated[-1][1] if dated else {}
    contact = min((v for v in visits if received is None or v >= received), default=None)
    wait = (
        (date.fromisoformat(contact) - date.fromisoformat(received)).days
        if contact and received
        else None
    )
    line = {
        "person_id": person_id,
        "team_id": team_id,
        "gp_practice": _word(fields.get("gp_practice"), 200),
        "gender": _word(fields.get("gender"), 32),
        "ethnicity": _word(fields.get("ethnicity")),
        "age": _age(_day(fields.get("date_of_birth")), received),
        "source": _word(first[1].get("source"), 32) if first else UNKNOWN,
        "received_on": received,
        "status": _word(latest.get("status") or "new", 16),
        "wait_days": wait,
        "closed_outcome": max(closings)[1] if closings else None,
        "first_volunteered": min(volunteered) if volunteered else None,
    }
    line["conditions"], line["condition_count"] = conditions_of(fields.get("conditions"))
    line.update(concern_figures(concern_severity, concern_ratings))
    groups = {key: line[key] for key in GROUP_COLUMNS}
    paired = [{**pair, **groups} for pair in pairs(person_id, scores)]
    for pair in paired:
        _periods(measures, pair, received)
    steps = [
        {
            "step_id": step_id[:64],
            "person_id": person_id,
            "latest": (_rated(step_ratings[step_id])[-1] if step_id in step_ratings else set_to)
            or 0,
            "progressed": int(
                any(v > 0 for v in _rated(step_ratings.get(step_id, []))) or bool(set_to)
            ),
        }
        for step_id, set_to in step_set.items()
    ]
    return Lines(line, paired, prescribed, steps)


def concern_figures(
    severity: dict[str, int | None], ratings: dict[str, list[tuple[str, str, int]]]
) -> dict[str, Any]:
    """A person's concerns: each one's first rating (given when it was raised) against its
    latest. The laptop overwrites `concerns.severity` at every re-rating, so it is the latest,
    not the first: the ratings are read instead. A concern counts as paired once it has been
    rated again; the person's means are over their paired concerns."""
    firsts: list[int] = []
    latests: list[int] = []
    for concern_id in severity:
        given = _rated(ratings.get(concern_id, []))
        if len(given) >= 2:
            firsts.append(given[0])
            latests.append(given[-1])
    n = len(firsts)
    return {
        "concerns_set": len(severity),
        "concerns_paired": n,
        "concern_first": sum(firsts) / n if n else None,
        "concern_latest": sum(latests) / n if n else None,
        "concerns_eased": sum(1 for f, a in zip(firsts, latests, strict=True) if a < f),
    }


def _periods(measures: Any, pair: dict[str, Any], received: str | None) -> None:
    """The months a counted measure's baseline and later answers cover (see `baseline_months`);
    the later period runs from the referral to the later answer."""
    after_on = pair.pop("after_on", None)
    pair["months_before"] = pair["months_after"] = None
    measure = measures.get(pair["measure"])
    months = baseline_months(measure) if measure is not None else None
    if months is None:
        return
    pair["months_before"] = months
    if after_on and received:
        since = (date.fromisoformat(after_on) - date.fromisoformat(received)).days / DAYS_A_MONTH
        pair["months_after"] = since if since >= MIN_MONTHS else None


def pairs(person_id: str, scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each result's first baseline against the latest review or exit on or after it (the
    paired rule); a baseline without a later score is kept with no `after`, to be counted."""
    out = []
    keys = sorted({(s["measure"], s["result"]) for s in scores})
    for measure, result in keys:
        mine = [s for s in scores if s["measure"] == measure and s["result"] == result]
        baselines = sorted(
            (s for s in mine if s["context"] == "baseline"),
            key=lambda s: (s["taken_on"], s["row_id"]),
        )
        if not baselines:
            continue
        first = baselines[0]
        later = sorted(
            (s for s in mine if s["context"] != "baseline" and s["taken_on"] >= first["taken_on"]),
            key=lambda s: (s["taken_on"], s["row_id"]),
        )
        last = later[-1] if later else None
        out.append(
            {
                "person_id": person_id,
                "measure": measure,
                "result": result,
                "before": first["score"],
                "after": None if last is None else last["score"],
                "band_before": first["band"],
                "band_after": None if last is None else last["band"],
                "after_on": None if last is None else last["taken_on"],
            }
        )
    return out


def _scores(
    measures: Any, person_id: str, row_id: str, fields: dict[str, Any]
) -> list[dict[str, Any]]:
    measure = measures.get(fields.get("measure"))
    taken = _day(fields.get("taken_on"))
    context = fields.get("context")
    if measure is None or taken is None or context not in ("baseline", "review", "exit"):
        return []
    try:
        scored = measure.scores(answers_from_text(fields.get("answers") or ""))
    except (ValidationError, KeyError):
        return []  # unreadable answers (let in by an older server) are left out
    return [
        {
            "row_id": row_id,
            "result": key,
            "person_id": person_id,
            "measure": measure.key,
            "context": context,
            "taken_on": taken,
            "score": float(score),
            "band": band_place(measure, key, score),
        }
        for key, score in scored.items()
        if score is not None
    ]


def rebuild(conn: Connection, person_ids: Sequence[str]) -> None:
    """Rebuilds these people's outcome lines from their live rows."""
    for start in range(0, len(person_ids), _CHUNK):
        chunk = list(person_ids[start : start + _CHUNK])
        held: dict[str, list[tuple[str, str, int | None, dict[str, Any]]]] = {p: [] for p in chunk}
        found = conn.execute(
            select(
                rows.c.person_id, rows.c.table_name, rows.c.row_id, rows.c.team_id, rows.c.fields
            ).where(
                rows.c.person_id.in_(chunk),
                rows.c.table_name.in_(OUTCOME_TABLES),
                rows.c.deleted.is_(False),
            )
        )
        for person_id, table, row_id, team_id, fields in found:
            held[person_id].append((table, row_id, team_id, read_fields(fields)))
        people: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        activity: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        for p in chunk:
            lines = person_lines(p, held[p])
            if lines.person is not None:
                people.append(lines.person)
                scores.extend(lines.scores)
                activity.extend(lines.activity)
                steps.extend(lines.steps)
        conn.execute(delete(outcome_people).where(outcome_people.c.person_id.in_(chunk)))
        conn.execute(delete(outcome_pairs).where(outcome_pairs.c.person_id.in_(chunk)))
        if people:
            conn.execute(outcome_people.insert(), people)
        conn.execute(delete(outcome_activity).where(outcome_activity.c.person_id.in_(chunk)))
        if scores:
            conn.execute(outcome_pairs.insert(), scores)
        if activity:
            conn.execute(outcome_activity.insert(), activity)
        conn.execute(delete(outcome_steps).where(outcome_steps.c.person_id.in_(chunk)))
        if steps:
            conn.execute(outcome_steps.insert(), steps)


def _mark(conn: Connection) -> int | None:
    found = conn.execute(
        select(counters.c.value).where(counters.c.name == OUTCOMES_SEQ_COUNTER).with_for_update()
    ).scalar_one_or_none()
    return None if found is None else int(found)


def forget_erased(engine: Engine) -> None:
    """Erasure removes a person's rows without a new sequence number, so their report lines
    would never be rebuilt: they are deleted here instead (the report queries also leave out
    anyone in the erasure register, so nothing shows in between)."""
    erased = select(erasures.c.person_id)
    with read_transaction(engine) as conn:
        held = conn.execute(
            select(outcome_people.c.person_id)
            .where(outcome_people.c.person_id.in_(erased))
            .limit(1)
        ).first()
    if held is None:
        return  # the usual case: no write on a page view
    with write_transaction(engine) as conn:
        for table in (outcome_people, outcome_pairs, outcome_activity, outcome_steps):
            conn.execute(delete(table).where(table.c.person_id.in_(erased)))


def backlog(engine: Engine) -> int:
    """How many sequence numbers of changes the report tables have still to read (all of them
    before the first catch-up)."""
    with read_transaction(engine) as conn:
        held = dict(
            conn.execute(
                select(counters.c.name, counters.c.value).where(
                    counters.c.name.in_((SEQ_COUNTER, OUTCOMES_SEQ_COUNTER))
                )
            ).all()
        )
    return max(0, int(held.get(SEQ_COUNTER) or 0) - int(held.get(OUTCOMES_SEQ_COUNTER) or 0))


def catch_up(
    engine: Engine,
    *,
    span: int = SEQ_SPAN,
    max_steps: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> int:
    """Brings the outcome tables up to the last committed change; returns people rebuilt.
    `progress(read up to, last change, people rebuilt so far)` is called after each step."""
    try:
        with write_transaction(engine) as conn:
            if _mark(conn) is None:
                conn.execute(counters.insert().values(name=OUTCOMES_SEQ_COUNTER, value=0))
    except IntegrityError:
        pass  # another worker made it first
    forget_erased(engine)
    rebuilt = steps = 0
    while max_steps is None or steps < max_steps:
        steps += 1
        with write_transaction(engine) as conn:
            mark = _mark(conn)
            top = conn.execute(
                select(counters.c.value).where(counters.c.name == SEQ_COUNTER)
            ).scalar_one_or_none()
            if mark is None or top is None or mark >= int(top):
                break
            upto = min(int(top), mark + span)
            changed = sorted(
                set(
                    conn.execute(
                        select(rows.c.person_id).where(
                            rows.c.seq > mark,
                            rows.c.seq <= upto,
                            rows.c.table_name.in_(OUTCOME_TABLES),
                            rows.c.person_id.is_not(None),
                        )
                    ).scalars()
                )
            )
            rebuild(conn, changed)
            rebuilt += len(changed)
            conn.execute(
                counters.update().where(counters.c.name == OUTCOMES_SEQ_COUNTER).values(value=upto)
            )
        if progress is not None:
            progress(upto, int(top), rebuilt)
    return rebuilt
