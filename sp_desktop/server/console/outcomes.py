"""The outcomes report: SQL over the outcome tables (`outcome_lines`), filtered and scoped to
the viewer's teams, turned into tables a commissioner may see (suppressed below 5 people).

Every figure is an aggregate computed by the database (counts, sums, sums of squares, the two
neighbours of a percentile); Python only turns sums into means and intervals
(`console.statistics`). Erased people are never counted, even before the report tables catch
up: every query leaves out anyone in the erasure register.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    false,
    func,
    select,
    true,
    tuple_,
)

from sp_desktop.domain import choice_lists
from sp_desktop.domain.choices import (
    Choice,
    ClosingOutcome,
    Ethnicity,
    Gender,
    ReferralSource,
    ReferralStatus,
)
from sp_desktop.domain.measures import Better, Direction, Measure, catalogue, compare
from sp_desktop.server.console import outcome_population
from sp_desktop.server.console import statistics as st
from sp_desktop.server.console.outcome_lines import UNKNOWN, baseline_months
from sp_desktop.server.console.reports import read_fields
from sp_desktop.server.db import (
    erasures,
    outcome_activity,
    outcome_pairs,
    outcome_people,
    outcome_steps,
    registered_population,
    rows,
)

P = outcome_people.c
Q = outcome_pairs.c
A = outcome_activity.c
S = outcome_steps.c
NO_CONDITION = "-none"  # the long-term conditions filter: none recorded
MULTIMORBIDITY = "-two-or-more"  # two or more recorded
_KEY = re.compile(r"^[a-z0-9_]{1,64}$")


def stop_reasons() -> dict[str, str]:
    """The scheme's stop reasons (resources/stop_reasons.json, read by the domain's one loader)."""
    return {reason.key: reason.words for reason in choice_lists.stop_reasons()}


def condition_words() -> dict[str, str]:
    return {condition.key: condition.words for condition in choice_lists.conditions()}


def condition_choices() -> list[tuple[str, str]]:
    """The long-term conditions filter's choices: each condition, none, two or more."""
    return [
        *sorted(condition_words().items(), key=lambda kv: kv[1].lower()),
        (NO_CONDITION, "None recorded"),
        (MULTIMORBIDITY, "Two or more (multimorbidity)"),
    ]


AGE_BANDS: dict[str, tuple[int, int]] = {
    "under 65": (0, 64),
    "65 to 79": (65, 79),
    "80 and over": (80, 200),
}
SUPPORTED = ("active", "closed")


@dataclass(frozen=True, slots=True)
class Filters:
    """What the page was asked for; blank means everyone."""

    start: str = ""  # referrals received from (ISO date)
    end: str = ""  # up to and including
    team_id: int | None = None
    practice: str = ""
    source: str = ""
    age_band: str = ""
    gender: str = ""
    ethnicity: str = ""
    conditions: str = ""  # a condition's key, NO_CONDITION or MULTIMORBIDITY

    @classmethod
    def read(cls, query: Any) -> Filters:
        """Filters from the page's query string; anything unreadable is ignored (not an error),
        so a hand-edited address still shows a report."""

        def day(key: str) -> str:
            raw = str(query.get(key) or "")[:10]
            try:
                return date.fromisoformat(raw).isoformat()
            except ValueError:
                return ""

        team = str(query.get("team") or "")
        band = str(query.get("age_band") or "")
        condition = str(query.get("conditions") or "")[:64]
        if condition not in (NO_CONDITION, MULTIMORBIDITY) and not _KEY.match(condition):
            condition = ""
        return cls(
            start=day("start"),
            end=day("end"),
            team_id=int(team) if team.isdigit() else None,
            practice=str(query.get("practice") or "")[:200],
            source=str(query.get("source") or "")[:32],
            age_band=band if band in AGE_BANDS else "",
            gender=str(query.get("gender") or "")[:32],
            ethnicity=str(query.get("ethnicity") or "")[:64],
            conditions=condition,
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string values (to carry into export links)."""
        out = {
            "start": self.start,
            "end": self.end,
            "team": "" if self.team_id is None else str(self.team_id),
            "practice": self.practice,
            "source": self.source,
            "age_band": self.age_band,
            "gender": self.gender,
            "ethnicity": self.ethnicity,
            "conditions": self.conditions,
        }
        return {k: v for k, v in out.items() if v}


def people_where(
    team_ids: frozenset[int] | None, filters: Filters, *, lines: Any = P
) -> ColumnElement[bool]:
    """Which report lines count: the viewer's teams, the filters, never an erased person.
    `lines`: the columns filtered, `outcome_people`'s or the pairs table's copy of them."""
    conditions: list[ColumnElement[bool]] = [
        ~exists().where(erasures.c.person_id == lines.person_id)
    ]
    if team_ids is not None:
        conditions.append(lines.team_id.in_(sorted(team_ids)) if team_ids else false())
    if filters.team_id is not None:
        conditions.append(lines.team_id == filters.team_id)
    if filters.start:
        conditions.append(lines.received_on >= filters.start)
    if filters.end:
        conditions.append(lines.received_on <= filters.end)
    for column, wanted in (
        (lines.gp_practice, filters.practice),
        (lines.source, filters.source),
        (lines.gender, filters.gender),
        (lines.ethnicity, filters.ethnicity),
    ):
        if wanted:
            conditions.append(column == wanted)
    bounds = AGE_BANDS.get(filters.age_band) if filters.age_band else None
    if bounds is not None:
        conditions.append(lines.age.between(*bounds))
    if filters.conditions == NO_CONDITION:
        conditions.append(func.coalesce(lines.condition_count, 0) == 0)
    elif filters.conditions == MULTIMORBIDITY:
        conditions.append(lines.condition_count >= 2)
    elif filters.conditions:
        escaped = filters.conditions.replace("_", "\\_")
        conditions.append(lines.conditions.like(f"%|{escaped}|%", escape="\\"))
    return and_(true(), *conditions)


CHOICES: dict[str, type[Choice]] = {
    "source": ReferralSource,
    "gender": Gender,
    "ethnicity": Ethnicity,
    "status": ReferralStatus,
    "closed": ClosingOutcome,
}
"""The report's dimensions whose values are the laptop's fixed choices, shown by their labels."""


def words(code: str, dimension: str = "") -> str:
    """A stored value as the words the laptop shows for it ("gp" -> "GP" under "source");
    any other value (a practice, an age band, a value no list knows) with its underscores
    as spaces."""
    choice = CHOICES.get(dimension)
    if choice is not None and code in choice._value2member_map_:
        return choice(code).label
    return code.replace("_", " ")


# --- tables -------------------------------------------------------------------------------


@dataclass
class Table:
    """One table of the report: a title, what it means, its columns and rows (text cells)."""

    key: str
    title: str
    explain: str
    columns: list[str]
    rows: list[list[str]]
    chart: list[tuple[str, float]] = field(default_factory=list)  # label, value (shown only)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def _count_table(
    key: str,
    title: str,
    explain: str,
    label: str,
    counted: Sequence[tuple[str, int]],
    suppress: bool,
    dimension: str = "",
) -> Table:
    """A table of counts with a total; small cells (and a complementary one) hidden when asked.
    `dimension`: whose labels the values take (the table's key unless said)."""
    hidden = st.suppress_row([c for _, c in counted]) if suppress else [False] * len(counted)
    counted = [(words(name, dimension or key), count) for name, count in counted]
    rows = [
        [name, st.FEWER if hide else st.shown(count, suppress)]
        for (name, count), hide in zip(counted, hidden, strict=True)
    ]
    total = sum(c for _, c in counted)
    rows.append(["Total", st.shown(total, suppress)])
    chart = [
        (name, float(st.rounded(c) if suppress else c))
        for (name, c), hide in zip(counted, hidden, strict=True)
        if not hide
    ]
    return Table(key, title, explain, [label, "People"], rows, chart)


@dataclass(frozen=True, slots=True)
class Waits:
    n: int
    median: float | None
    p90: float | None


def _value_at(conn: Connection, where: ColumnElement[bool], n: int, share: float) -> float:
    position = share * (n - 1)
    pair = [
        float(v)
        for v in conn.execute(
            select(P.wait_days)
            .where(where, P.wait_days.is_not(None))
            .order_by(P.wait_days)
            .offset(math.floor(position))
            .limit(2)
        ).scalars()
    ]
    return st.percentile(pair, position)


def waits(conn: Connection, where: ColumnElement[bool]) -> Waits:
    """Days from referral to first contact: median and 90th percentile by linear
    interpolation, computed by the database: PostgreSQL's `percentile_cont` in one pass;
    elsewhere the two neighbours of each position (no list of waits is loaded)."""
    known = P.wait_days.is_not(None)
    if conn.dialect.name == "postgresql":
        n, median, p90 = conn.execute(
            select(
                func.count(),
                func.percentile_cont(0.5).within_group(P.wait_days),
                func.percentile_cont(0.9).within_group(P.wait_days),
            ).where(where, known)
        ).one()
        if not n:
            return Waits(0, None, None)
        return Waits(int(n), float(median), float(p90))
    n = int(conn.execute(select(func.count()).where(where, known)).scalar_one())
    if n == 0:
        return Waits(0, None, None)
    return Waits(n, _value_at(conn, where, n, 0.5), _value_at(conn, where, n, 0.9))


@dataclass(frozen=True, slots=True)
class ResultFigures:
    measure: Measure
    result_key: str
    label: str
    better: Better
    figures: st.Paired | None
    unpaired: int  # a baseline but no later score


AGE_GROUPS = ("under 80", "80 and over", "age not known")
Sums = dict[tuple[str, str, str], tuple[float, ...]]


def paired_sums(conn: Connection, team_ids: frozenset[int] | None, filters: Filters) -> Sums:
    """The sums every paired figure is made from, per measure, result and age group (under or
    over 80, the Rotherham split), in one GROUP BY over the pairs table (its lines hold each
    person's baseline and latest); sums over groups add up, so all ages need no second query.
    Each line's first 8 sums are the scores'; the last 6 the rates per person-month of the
    measures counted over a period (`rate_columns`), in the same pass."""
    change = Q.after - Q.before
    has_after = Q.after.is_not(None)
    group = case(
        (Q.age >= 80, AGE_GROUPS[1]), (Q.age.is_not(None), AGE_GROUPS[0]), else_=AGE_GROUPS[2]
    )

    def when_paired(value: Any) -> Any:
        return func.sum(case((has_after, value), else_=0))

    query = (
        select(
            Q.measure,
            Q.result,
            group,
            func.count(),
            when_paired(1),
            when_paired(Q.before),
            when_paired(Q.after),
            when_paired(change),
            when_paired(change * change),
            func.sum(case((Q.band_after > Q.band_before, 1), else_=0)),
            func.sum(case((Q.band_after < Q.band_before, 1), else_=0)),
            *rate_columns(),
        )
        .where(people_where(team_ids, filters, lines=Q))
        .group_by(Q.measure, Q.result, group)
    )
    return {
        (str(m), str(r), str(g)): tuple(float(v or 0) for v in rest)
        for m, r, g, *rest in conn.execute(query)
    }


def paired_results(
    sums: Sums, measures: Sequence[str], groups: Sequence[str] = AGE_GROUPS
) -> list[ResultFigures]:
    """Every result of these measures, baseline against the latest review or exit, paired
    only: a person counts where they have both; those with a baseline only are counted apart."""
    out: list[ResultFigures] = []
    for measure in catalogue().values():
        if measure.key not in measures:
            continue
        for result in measure.results:
            parts = [sums[k][:8] for g in groups if (k := (measure.key, result.key, g)) in sums]
            if not parts:
                continue
            everyone, n, sb, sa, sc, sq, up, down = (sum(col) for col in zip(*parts, strict=True))
            moved = up if compare(0, 1, result.better) is Direction.BETTER else down
            if result.better == Better.NEITHER or not result.bands:
                moved = 0
            figures = st.paired(int(n), sb, sa, sc, sq, int(moved))
            paired_n = figures.n if figures else 0
            out.append(
                ResultFigures(
                    measure,
                    result.key,
                    result.label,
                    result.better,
                    figures,
                    int(everyone) - paired_n,
                )
            )
    return out


def _number(value: float | None, places: int = 1) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def results_table(
    key: str, title: str, explain: str, results: Sequence[ResultFigures], suppress: bool
) -> Table:
    columns = [
        "Measure",
        "Result",
        "People paired",
        "Baseline only",
        "Mean before",
        "Mean after",
        "Mean change",
        "95% interval",
        "Effect size",
        "Moved up a band (better)",
    ]
    rows: list[list[str]] = []
    chart: list[tuple[str, float]] = []
    for r in results:
        f = r.figures
        n = f.n if f else 0
        hide = suppress and n < st.SMALL
        unpaired = st.shown(r.unpaired, suppress)
        if f is None or hide:
            rows.append(
                [r.measure.short_title, r.label, st.shown(n, suppress), unpaired] + ["-"] * 6
            )
            continue
        interval = "-" if f.low is None else f"{f.low:.2f} to {f.high:.2f}"
        banded = any(res.key == r.result_key and res.bands for res in r.measure.results)
        moved = (
            f"{st.shown(f.moved_better, suppress)} ({st.share(f.moved_better, n, suppress)})"
            if banded
            and r.better != Better.NEITHER
            and not (suppress and 0 < f.moved_better < st.SMALL)
            else ("-" if not banded or r.better == Better.NEITHER else st.FEWER)
        )
        rows.append(
            [
                r.measure.short_title,
                r.label,
                st.shown(n, suppress),
                unpaired,
                _number(f.mean_before, 2),
                _number(f.mean_after, 2),
                _number(f.mean_change, 2),
                interval,
                _number(f.effect_size, 2),
                moved,
            ]
        )
        chart.append((f"{r.measure.short_title}: {r.label}", f.mean_change))
    return Table(key, title, explain, columns, rows, chart)


@dataclass
class Report:
    tables: list[Table]
    waits: Waits
    people: int
    withheld: bool = False  # a commissioner's selection too small to show any figure

    @property
    def withheld_words(self) -> str:
        return (
            f"This selection covers fewer than {st.TOO_FEW} people, so no figures are shown "
            "for it (small groups could be worked out by comparing selections). Widen the "
            "filters to see figures."
        )


def _supported(where: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(where, P.status.in_(SUPPORTED))


def _dimensions() -> dict[str, Any]:
    """What the report counts people by (one column or expression each)."""
    age_band = case(
        *[(P.age.between(low, high), name) for name, (low, high) in AGE_BANDS.items()],
        else_=None,
    )
    return {
        "source": P.source,
        "month": func.substr(P.received_on, 1, 7),
        "status": P.status,
        "closed": P.closed_outcome,
        "ethnicity": P.ethnicity,
        "gender": P.gender,
        "practice": P.gp_practice,
        "age": age_band,
    }


Counted = dict[str, list[tuple[str, int, int]]]


def group_counts(conn: Connection, where: ColumnElement[bool]) -> Counted:
    """People and those supported, per value of every dimension, sorted by value (a line
    without a value, such as no closing outcome yet, is not listed). PostgreSQL counts them all
    in one pass with GROUPING SETS; SQLite, which has none, with one GROUP BY each."""
    dims = _dimensions()
    supported = func.sum(case((P.status.in_(SUPPORTED), 1), else_=0))
    found: Counted = {name: [] for name in dims}
    if conn.dialect.name == "postgresql":
        exprs = [d.label(f"d_{name}") for name, d in dims.items()]
        mask = func.grouping(*dims.values())
        query = (
            select(*exprs, func.count(), supported, mask)
            .where(where)
            .group_by(func.grouping_sets(*[tuple_(d) for d in dims.values()]))
        )
        everything = (1 << len(dims)) - 1
        for line in conn.execute(query):
            *values, n, s, bits = line
            for i, name in enumerate(dims):
                # GROUPING sets a bit for each column not grouped; the leftmost is the highest.
                grouped_here = int(bits) == everything ^ (1 << (len(dims) - 1 - i))
                if grouped_here and values[i] is not None:
                    found[name].append((str(values[i]), int(n), int(s or 0)))
    else:
        for name, d in dims.items():
            for value, n, s in conn.execute(
                select(d, func.count(), supported).where(where).group_by(d)
            ):
                if value is not None:
                    found[name].append((str(value), int(n), int(s or 0)))
    for name in found:
        found[name].sort()
    if found["age"]:
        order = list(AGE_BANDS)
        found["age"].sort(key=lambda line: order.index(line[0]))
    return found


def build(
    conn: Connection, team_ids: frozenset[int] | None, filters: Filters, *, suppress: bool
) -> Report:
    """The whole outcomes report for these filters."""
    where = people_where(team_ids, filters)
    counted = group_counts(conn, where)

    def counts(name: str) -> list[tuple[str, int]]:
        return [(value, n) for value, n, _ in counted[name]]

    statuses = counts("status")
    people = sum(n for _, n in statuses)  # every line has a status: no count of its own
    if suppress and people < st.TOO_FEW:
        return Report([], Waits(0, None, None), people, withheld=True)
    tables = [
        _count_table(
            "sources",
            "Referrals by where they came from",
            "Everyone referred in the period, by who referred them.",
            "Referred by",
            counts("source"),
            suppress,
            dimension="source",
        ),
        _count_table(
            "months",
            "Referrals by month",
            "Referrals received each month (the month of the first referral).",
            "Month",
            counts("month"),
            suppress,
        ),
        _count_table(
            "status",
            "Where people are now",
            "Each person's latest referral: waiting (new), being supported (active), "
            "closed, or declined.",
            "Status",
            statuses,
            suppress,
        ),
        _count_table(
            "closed",
            "Why support ended",
            "For people whose support has closed, the outcome their adviser recorded.",
            "Outcome",
            counts("closed"),
            suppress,
        ),
    ]
    sums = paired_sums(conn, team_ids, filters)
    results = paired_results(sums, [k for k in catalogue() if k != "health_use"])
    tables.append(
        results_table(
            "measures",
            "Wellbeing and other measures, before and after",
            "For each questionnaire result: the people who answered at the start (baseline) "
            "and again at a review or at the end, the average then and now, the average change "
            "with its 95% confidence interval, and the effect size (the change measured against "
            "how much people's changes varied). People with only a baseline are not in these "
            "figures; how many they are is shown. A change before and after support is not "
            "proof that the support caused it. For anxiety and loneliness, lower is better.",
            [r for r in results if r.measure.key != "health_use"],
            suppress,
        )
    )
    for band, groups in (
        ("all ages", AGE_GROUPS),
        ("under 80", AGE_GROUPS[:1]),
        ("80 and over", AGE_GROUPS[1:2]),
    ):
        health = paired_results(sums, ["health_use"], groups)
        tables.append(
            results_table(
                f"health_{band.replace(' ', '_')}",
                f"Health-service use before and after ({band})",
                "Appointments and admissions people told us about at the start (in the months "
                "before referral) and later (since). These are counts people recall, not "
                "hospital records; fewer is not a target.",
                health,
                suppress,
            )
        )
    for key, title in (
        ("ethnicity", "Who is referred and supported, by ethnicity"),
        ("gender", "Who is referred and supported, by gender"),
        ("practice", "Who is referred and supported, by GP practice"),
        ("age", "Who is referred and supported, by age at referral"),
    ):
        lines = counted[key]
        if key == "age":
            held = {value: (n, sup) for value, n, sup in lines}
            lines = [(band, *held.get(band, (0, 0))) for band in AGE_BANDS]
        tables.append(_equity_table(key, title, lines, suppress))
    tables.extend(health_rate_tables(sums, suppress))
    tables.append(concerns_table(conn, where, suppress))
    tables.append(steps_table(conn, where, suppress))
    tables.extend(population_tables(conn, where, filters, suppress))
    tables.extend(activity_tables(conn, where, suppress, filters=filters))
    return Report(tables, waits(conn, where), people)


def _equity_table(
    key: str, title: str, counted: list[tuple[str, int, int]], suppress: bool
) -> Table:
    referred_hidden = (
        st.suppress_row([n for _, n, _ in counted]) if suppress else [False] * len(counted)
    )
    supported_hidden = (
        st.suppress_row([s for _, _, s in counted]) if suppress else [False] * len(counted)
    )
    rows = []
    for (name, n, s), hide_n, hide_s in zip(
        counted, referred_hidden, supported_hidden, strict=True
    ):
        rows.append(
            [
                words(name, key),
                st.FEWER if hide_n else st.shown(n, suppress),
                st.FEWER if hide_s else st.shown(s, suppress),
            ]
        )
    chart = [
        (words(name, key), float(st.rounded(n) if suppress else n))
        for (name, n, _), h in zip(counted, referred_hidden, strict=True)
        if not h
    ]
    return Table(
        key,
        title,
        "People referred, and of them those who went on to be supported (active or closed).",
        ["Group", "Referred", "Supported"],
        rows,
        chart,
    )


def filter_choices(conn: Connection, team_ids: frozenset[int] | None) -> dict[str, list[str]]:
    """The values each filter can take, from the viewer's own lines (one pass over them)."""
    where = people_where(team_ids, Filters())
    columns = {
        "practice": P.gp_practice,
        "source": P.source,
        "gender": P.gender,
        "ethnicity": P.ethnicity,
    }
    seen: dict[str, set[str]] = {name: set() for name in columns}
    for found in conn.execute(select(*columns.values()).where(where).group_by(*columns.values())):
        for name, value in zip(columns, found, strict=True):
            seen[name].add(str(value))
    return {name: sorted(values) for name, values in seen.items()}


WAIT_BANDS = (("under 2 weeks", 0, 13), ("2 to 4 weeks", 14, 27), ("4 weeks or more", 28, 100_000))


def waiting(
    conn: Connection, where: ColumnElement[bool], as_of: date, suppress: bool
) -> list[tuple[str, str]]:
    """People whose referral is still waiting (new), by how long they have waited on a day;
    counted by the database over ISO dates (a later received date is a shorter wait)."""
    counted = []
    for words, low, high in WAIT_BANDS:
        latest = (as_of - timedelta(days=low)).isoformat()
        earliest = (as_of - timedelta(days=high)).isoformat()
        n = conn.execute(
            select(func.count()).where(
                where,
                P.status == "new",
                P.received_on <= latest,
                P.received_on >= earliest,
            )
        ).scalar_one()
        counted.append((words, int(n)))
    hidden = st.suppress_row([n for _, n in counted]) if suppress else [False] * len(counted)
    return [
        (words, st.FEWER if hide else st.shown(n, suppress))
        for (words, n), hide in zip(counted, hidden, strict=True)
    ]


def month_bounds(month: str) -> tuple[str, str] | None:
    """The first and last day of a month given as YYYY-MM; None if it is not one."""
    try:
        first = date.fromisoformat(f"{month[:7]}-01")
    except ValueError:
        return None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.isoformat(), (following - timedelta(days=1)).isoformat()


def _directory_names(conn: Connection, service_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Activity and provider names from the office's directory rows (a few hundred at most)."""
    names: dict[str, tuple[str, str]] = {}
    wanted = sorted(set(service_ids))
    for start in range(0, len(wanted), 500):
        for row_id, fields in conn.execute(
            select(rows.c.row_id, rows.c.fields).where(
                rows.c.table_name == "services", rows.c.row_id.in_(wanted[start : start + 500])
            )
        ):
            read = read_fields(fields)
            name = read.get("name") if isinstance(read.get("name"), str) else ""
            org = read.get("organisation") if isinstance(read.get("organisation"), str) else ""
            names[str(row_id)] = (name or "an activity no longer listed", org or "not recorded")
    return names


def activity_tables(
    conn: Connection,
    where: ColumnElement[bool],
    suppress: bool,
    *,
    started: tuple[str, str] | None = None,
    filters: Filters | None = None,
) -> list[Table]:
    """Attendance per activity and per provider (people prescribed; sessions went, missed,
    stopped), why people stopped, and volunteering (people who gave hours, the hours, and
    those who became volunteers), by the database."""
    conditions = [where]
    if started is not None:
        conditions += [A.start_date >= started[0], A.start_date <= started[1]]
    query = (
        select(
            A.service_id,
            func.count(func.distinct(A.person_id)),
            func.sum(A.attended),
            func.sum(A.missed),
            func.sum(A.stopped),
        )
        .join(outcome_people, P.person_id == A.person_id)
        .where(*conditions)
        .group_by(A.service_id)
    )
    per_service = [
        (str(s), int(n), int(a or 0), int(m or 0), int(x or 0))
        for s, n, a, m, x in conn.execute(query)
    ]
    names = _directory_names(conn, [s for s, *_ in per_service])
    by_activity: dict[str, list[int]] = {}
    by_provider: dict[str, list[int]] = {}
    for service, n, went, missed, stopped in per_service:
        name, org = names.get(service, ("an activity no longer listed", "not recorded"))
        for grouped, key in ((by_activity, name), (by_provider, org)):
            line = grouped.setdefault(key, [0, 0, 0, 0])
            for i, v in enumerate((n, went, missed, stopped)):
                line[i] += v
    tables = []
    for key, title, label, grouped in (
        ("activities", "What was prescribed, and attendance per activity", "Activity", by_activity),
        ("providers", "Attendance per provider", "Provider", by_provider),
    ):
        ordered_lines = sorted(grouped.items())
        hidden = (
            st.suppress_row([v[0] for _, v in ordered_lines])
            if suppress
            else [False] * len(ordered_lines)
        )
        table_rows = []
        chart = []
        for (name, (n, went, missed, stopped)), hide in zip(ordered_lines, hidden, strict=True):
            if hide:
                table_rows.append([name, st.FEWER, "-", "-", "-"])
            else:
                table_rows.append(
                    [name, *(st.shown(v, suppress) for v in (n, went, missed, stopped))]
                )
                chart.append((name, float(st.rounded(n) if suppress else n)))
        tables.append(
            Table(
                key,
                title,
                "People prescribed each activity, and the sessions they went to, missed, or "
                "stopped going to (why people stopped is in the next tables). No activity has "
                "a target.",
                [label, "People prescribed", "Sessions went", "Sessions missed", "Stopped"],
                table_rows,
                chart,
            )
        )
    volunteers, hours = conn.execute(
        select(
            func.count(func.distinct(case((A.volunteer_hours > 0, A.person_id)))),
            func.coalesce(func.sum(A.volunteer_hours), 0),
        )
        .join(outcome_people, P.person_id == A.person_id)
        .where(*conditions)
    ).one()
    volunteers = int(volunteers or 0)
    hidden_volunteers = suppress and 0 < volunteers < st.SMALL
    became_when = [P.first_volunteered >= P.received_on]
    if filters is not None and filters.start:
        became_when.append(P.first_volunteered >= filters.start)
    if filters is not None and filters.end:
        became_when.append(P.first_volunteered <= filters.end)
    became = int(
        conn.execute(
            select(func.count()).where(where, P.first_volunteered.is_not(None), *became_when)
        ).scalar_one()
    )
    tables.append(
        Table(
            "volunteering",
            "Volunteering",
            "People who gave their time as volunteers through an activity, and the hours "
            "they logged. People who became volunteers: those whose first volunteering hours "
            "came after their referral (and, when a period is chosen, within it).",
            ["Figure", "Value"],
            [
                ["People who volunteered", st.shown(volunteers, suppress)],
                ["Hours volunteered", "-" if hidden_volunteers else f"{float(hours):.1f}"],
                ["People who became volunteers", st.shown(became, suppress)],
            ],
        )
    )
    tables.append(stop_table(conn, conditions, suppress))
    return tables


def stop_table(conn: Connection, conditions: list[ColumnElement[bool]], suppress: bool) -> Table:
    """People who stopped going to an activity, by the reason coded when they stopped
    (`attendance.stopped_because`, words from resources/stop_reasons.json); the free-text
    reason is never read. A stop without a known coded reason is "not recorded"."""
    found = conn.execute(
        select(A.stopped_because, func.count(func.distinct(A.person_id)))
        .join(outcome_people, P.person_id == A.person_id)
        .where(*conditions, A.stopped > 0)
        .group_by(A.stopped_because)
    )
    reasons = stop_reasons()
    counted: dict[str, int] = {}
    for key, n in found:
        said = reasons.get(str(key), UNKNOWN) if key else UNKNOWN
        counted[said] = counted.get(said, 0) + int(n)
    ordered = sorted(counted.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
    return _count_table(
        "stopped",
        "Why people stopped going to an activity",
        "People who stopped going to an activity they were prescribed, by the reason their "
        "adviser chose from the scheme's list (a person who stopped two activities for "
        "different reasons is in both lines; the total counts each line).",
        "Reason",
        ordered,
        suppress,
    )


# --- health-service use per person-month ---------------------------------------------------


def rate_columns() -> list[Any]:
    """Per measure counted over a period (health-service use): people with a baseline, then
    over those paired (a later answer covering at least a month) the sums of their rates per
    person-month before and after, of the change and its square (summed in `paired_sums`)."""
    counted = Q.months_before > 0  # NULL for other measures: never counted here
    paired = and_(counted, Q.after.is_not(None), Q.months_after.is_not(None))
    rate_before = Q.before / Q.months_before
    rate_after = Q.after / Q.months_after
    change = rate_after - rate_before

    def when(condition: ColumnElement[bool], value: Any) -> Any:
        return func.sum(case((condition, value), else_=0))

    return [
        when(counted, 1),
        when(paired, 1),
        when(paired, rate_before),
        when(paired, rate_after),
        when(paired, change),
        when(paired, change * change),
    ]


def health_rate_tables(sums: Sums, suppress: bool) -> list[Table]:
    """Rates per person-month before and after referral, for all ages, under 80 and 80 and
    over (the Rotherham evaluation's split), for every measure counted over a period."""
    counted = [m for m in catalogue().values() if baseline_months(m) is not None]
    columns = [
        "Result",
        "People paired",
        "Not paired",
        "Per person-month before",
        "Per person-month after",
        "Change",
        "95% interval",
        "Change in the average rate",
    ]
    tables = []
    for band, groups in (
        ("all ages", AGE_GROUPS),
        ("under 80", AGE_GROUPS[:1]),
        ("80 and over", AGE_GROUPS[1:2]),
    ):
        table_rows: list[list[str]] = []
        chart: list[tuple[str, float]] = []
        for measure in counted:
            for result in measure.results:
                parts = [sums[k][8:] for g in groups if (k := (measure.key, result.key, g)) in sums]
                if not parts:
                    continue
                everyone, n, sb, sa, sc, sq = (sum(col) for col in zip(*parts, strict=True))
                f = st.paired(int(n), sb, sa, sc, sq)
                paired_n = f.n if f else 0
                first = [result.label, st.shown(paired_n, suppress)]
                first.append(st.shown(int(everyone) - paired_n, suppress))
                if f is None or (suppress and f.n < st.SMALL):
                    table_rows.append(first + ["-"] * 5)
                    continue
                interval = "-" if f.low is None else f"{f.low:.3f} to {f.high:.3f}"
                relative = (
                    f"{100 * (f.mean_after - f.mean_before) / f.mean_before:+.0f}%"
                    if f.mean_before > 0
                    else "-"
                )
                table_rows.append(
                    first
                    + [
                        _number(f.mean_before, 3),
                        _number(f.mean_after, 3),
                        _number(f.mean_change, 3),
                        interval,
                        relative,
                    ]
                )
                chart.append((result.label, round(f.mean_change, 3)))
        months = ", ".join(
            f"{m.short_title}: {baseline_months(m):.0f} months before referral" for m in counted
        )
        tables.append(
            Table(
                f"health_rate_{band.replace(' ', '_')}",
                f"Health-service use per person-month, before and after referral ({band})",
                "Each person's count divided by the months it covers (" + months + "; later, "
                "the months from referral to the later answer), so periods of different "
                "lengths compare: the average rate before and after, the average change per "
                "person with its 95% confidence interval, and the change in the average rate "
                "(as the Rotherham evaluation reported it). People whose later answer covers "
                "less than a month, or who have none, are not paired. These are counts people "
                "recall, not hospital records; fewer is not a target, and a change is not "
                "proof that the support caused it.",
                columns,
                table_rows,
                chart,
            )
        )
    return tables


# --- concerns and steps ---------------------------------------------------------------------


def concerns_table(conn: Connection, where: ColumnElement[bool], suppress: bool) -> Table:
    """Concerns' ratings (0 to 10, lower is better) from the first to the latest, averaged per
    person first: a person with nine concerns weighs as one person, not nine."""
    paired = func.coalesce(P.concerns_paired, 0) > 0
    change = P.concern_latest - P.concern_first

    def when_paired(value: Any) -> Any:
        return func.coalesce(func.sum(case((paired, value), else_=0)), 0)

    n, sf, sl, sc, sq, concerns_paired, eased, concerns_set, people_set = conn.execute(
        select(
            when_paired(1),
            when_paired(P.concern_first),
            when_paired(P.concern_latest),
            when_paired(change),
            when_paired(change * change),
            func.coalesce(func.sum(P.concerns_paired), 0),
            func.coalesce(func.sum(P.concerns_eased), 0),
            func.coalesce(func.sum(P.concerns_set), 0),
            func.coalesce(func.sum(case((P.concerns_set > 0, 1), else_=0)), 0),
        ).where(where)
    ).one()
    f = st.paired(int(n), float(sf), float(sl), float(sc), float(sq))
    shown_means = f is not None and not (suppress and f.n < st.SMALL)

    def count(v: Any) -> str:
        return st.shown(int(v), suppress)

    lines = [
        ["People with a concern recorded", count(people_set)],
        ["Concerns recorded", count(concerns_set)],
        ["People with a concern rated again (in the averages)", count(n)],
        ["People with no concern rated again yet (not in them)", count(people_set - n)],
        ["Concerns rated again", count(concerns_paired)],
    ]
    chart: list[tuple[str, float]] = []
    if f is not None and shown_means:
        interval = "-" if f.low is None else f"{f.low:.2f} to {f.high:.2f}"
        lines += [
            ["Average first rating (per person, 0 to 10)", _number(f.mean_before, 2)],
            ["Average latest rating (per person, 0 to 10)", _number(f.mean_after, 2)],
            ["Average change (lower is better)", _number(f.mean_change, 2)],
            ["95% interval of the change", interval],
        ]
        chart = [("First rating", round(f.mean_before, 2)), ("Latest", round(f.mean_after, 2))]
    else:
        lines.append(["Average ratings", "-"])
    lines.append(
        [
            "Concerns that eased (rated lower)",
            f"{count(eased)} ({st.share(int(eased), int(concerns_paired), suppress)})",
        ]
    )
    return Table(
        "concerns",
        "Concerns: how much they worry people, first and latest",
        "Each concern the person raised is rated from 0 (no worry) to 10 when raised and again "
        "at later visits; lower is better. The averages are per person: each person's "
        "concerns that were rated again are averaged first, then people are averaged, so one "
        "person with many concerns counts once. Concerns rated only once are not in them. "
        "Concerns are the person's own, in their words, and carry no targets (as the "
        "Richmond Group's guidance asks); a change is not proof that the support caused it.",
        ["Figure", "Value"],
        lines,
        chart,
    )


STEP_BANDS = (
    ("Not started (0)", 0, 0),
    ("Some progress (1 to 4)", 1, 4),
    ("Well on the way (5 to 9)", 5, 9),
    ("Done (10)", 10, 10),
)


def median_of(counts: dict[int, int]) -> float | None:
    """The median of whole values given as value: how many (as `statistics.median`)."""
    n = sum(counts.values())
    if n == 0:
        return None
    ordered = sorted(counts.items())

    def at(index: int) -> int:
        seen = 0
        for value, k in ordered:
            seen += k
            if index < seen:
                return value
        return ordered[-1][0]

    if n % 2:
        return float(at(n // 2))
    return (at(n // 2 - 1) + at(n // 2)) / 2


def steps_table(conn: Connection, where: ColumnElement[bool], suppress: bool) -> Table:
    """Steps set, those with progress recorded, how far the latest progress has got (0 to 10
    in bands) and its median, by the database (one GROUP BY over the steps' lines)."""
    by_latest = {
        int(latest): (int(n), int(moved or 0))
        for latest, n, moved in conn.execute(
            select(S.latest, func.count(), func.sum(S.progressed))
            .join(outcome_people, P.person_id == S.person_id)
            .where(where)
            .group_by(S.latest)
        )
    }
    total = sum(n for n, _ in by_latest.values())
    progressed = sum(m for _, m in by_latest.values())
    banded = [
        (name, sum(n for v, (n, _) in by_latest.items() if low <= v <= high))
        for name, low, high in STEP_BANDS
    ]
    hidden = st.suppress_row([n for _, n in banded]) if suppress else [False] * len(banded)
    median = median_of({v: n for v, (n, _) in by_latest.items()})
    lines = [
        ["Steps set", st.shown(total, suppress)],
        [
            "Steps with any progress recorded",
            f"{st.shown(progressed, suppress)} ({st.share(progressed, total, suppress)})",
        ],
    ]
    chart = []
    for (name, n), hide in zip(banded, hidden, strict=True):
        lines.append([f"Latest progress: {name}", st.FEWER if hide else st.shown(n, suppress)])
        if not hide:
            chart.append((name, float(st.rounded(n) if suppress else n)))
    small = suppress and total < st.SMALL
    lines.append(
        [
            "Median latest progress (0 to 10)",
            "-" if median is None or small else f"{median:g} out of 10",
        ]
    )
    return Table(
        "steps",
        "Steps: progress and how far",
        "The steps people set themselves, how many have any progress recorded, and how far "
        "each has got at its latest rating (0 not started to 10 done). Steps are the "
        "person's own and carry no targets.",
        ["Figure", "Value"],
        lines,
        chart,
    )


# --- equity against registered populations --------------------------------------------------

POPULATION_DIMENSIONS = (
    ("age", "age band"),
    ("gender", "gender"),
    ("ethnicity", "ethnicity"),
)


def population_tables(
    conn: Connection, where: ColumnElement[bool], filters: Filters, suppress: bool
) -> list[Table]:
    """Per group, the share of people referred against the share of patients registered at
    the same practices (those whose registered populations are loaded), and their ratio."""
    R = registered_population.c
    tables = []
    expressions = {"age": _dimensions()["age"], "gender": P.gender, "ethnicity": P.ethnicity}
    for dimension, label in POPULATION_DIMENSIONS:
        held = outcome_population.registered(conn, dimension, filters.practice)
        if not held:
            continue
        loaded = select(R.practice).where(R.dimension == dimension).distinct()
        expr = expressions[dimension]
        referred = {
            str(g): int(n)
            for g, n in conn.execute(
                select(expr, func.count())
                .where(where, P.gp_practice.in_(loaded), expr.is_not(None))
                .group_by(expr)
            )
        }
        groups = sorted(set(held) | set(referred))
        if dimension == "age":
            order = list(AGE_BANDS)
            groups.sort(key=lambda g: order.index(g) if g in order else len(order))
        counts = [referred.get(g, 0) for g in groups]
        hidden = st.suppress_row(counts) if suppress else [False] * len(counts)
        total_referred = sum(counts)
        total_registered = sum(held.values())
        table_rows = []
        chart = []
        for group, n, hide in zip(groups, counts, hidden, strict=True):
            patients = held.get(group, 0)
            registered_share = patients / total_registered if total_registered else 0.0
            shown_n = st.rounded(n) if suppress else n
            shown_total = st.rounded(total_referred) if suppress else total_referred
            referred_share = shown_n / shown_total if shown_total else 0.0
            ratio = (
                f"{referred_share / registered_share:.2f}"
                if not hide and registered_share > 0 and shown_total
                else "-"
            )
            table_rows.append(
                [
                    words(group, dimension),
                    st.FEWER if hide else st.shown(n, suppress),
                    "-" if hide else st.share(n, total_referred, suppress),
                    str(patients),
                    f"{100 * registered_share:.1f}%",
                    ratio,
                ]
            )
            if ratio != "-":
                chart.append((words(group, dimension), float(ratio)))
        table_rows.append(
            [
                "Total",
                st.shown(total_referred, suppress),
                "100%" if total_referred else "-",
                str(total_registered),
                "100%",
                "",
            ]
        )
        tables.append(
            Table(
                f"population_{dimension}",
                f"Referred against the registered population, by {label}",
                "For the GP practices whose registered populations have been loaded: each "
                "group's share of the people referred beside its share of the patients "
                "registered there, and the ratio of the two. A ratio of 1 means the group is "
                "referred in proportion to its numbers; 0.5, half as often; 2, twice as often. "
                "Registered populations include children and people who would never need "
                "social prescribing, so a ratio away from 1 is a question to ask, not a "
                "verdict.",
                [
                    "Group",
                    "Referred",
                    "Share of referred",
                    "Registered patients",
                    "Share of registered",
                    "Ratio",
                ],
                table_rows,
                chart,
            )
        )
    return tables
