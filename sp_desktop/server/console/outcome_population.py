"""Practices' registered populations for the equity tables: read from a CSV a service lead
loads (in the console or with `sp-server outcomes population FILE`), checked whole, stored in
`registered_population` in the report's own groups (age bands, genders, ethnicities).

Two layouts are read. NHS Digital's "Patients Registered at a GP Practice" quinary-age file
(columns ORG_CODE, SEX, AGE_GROUP_5, NUMBER_OF_PATIENTS; SEX is MALE, FEMALE or ALL and
AGE_GROUP_5 "0_4" ... "95+" or ALL), from which age bands and genders are added up; and a
simple one, practice,dimension,group,count, for what NHS Digital does not publish per practice
(ethnicity). A file with any problem changes nothing: every problem is listed in words.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, and_, delete, func, select, tuple_

from sp_desktop.domain.choices import Ethnicity, Gender
from sp_desktop.server.console.outcome_lines import UNKNOWN
from sp_desktop.server.db import registered_population

R = registered_population.c
DIMENSIONS = ("age", "gender", "ethnicity")
MAX_PROBLEMS = 20
NHS_COLUMNS = ("ORG_CODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS")
SIMPLE_COLUMNS = ("practice", "dimension", "group", "count")
# The report's age bands by their lowest age (kept in step with `outcomes.AGE_BANDS`).
BAND_FROM = ((80, "80 and over"), (65, "65 to 79"), (0, "under 65"))


def age_band(group: str) -> str | None:
    """The report's age band of a quinary group ("65_69", "95+") or of a band's own name."""
    text = group.strip().lower()
    if text in {name for _, name in BAND_FROM}:
        return text
    low = text.replace("+", "_").split("_")[0]
    if not low.isdigit():
        return None
    return next(name for start, name in BAND_FROM if int(low) >= start)


def _choice(text: str, choices: Iterable[str]) -> str | None:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in set(choices) else None


@dataclass
class Reading:
    """What a file holds: patients per (practice, dimension, group), or the problems found."""

    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    def problem(self, words: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(words)
        else:
            self.more_problems += 1

    def practices(self) -> list[str]:
        return sorted({p for p, _, _ in self.counts})


def read_population(data: bytes) -> Reading:
    """Reads either layout; an unreadable file is one problem in words."""
    reading = Reading()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        reading.problem("The file is not text in UTF-8: save it as CSV (UTF-8) and try again.")
        return reading
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows, [])]
    upper = [h.upper() for h in header]
    lower = [h.lower() for h in header]
    if all(c in upper for c in NHS_COLUMNS):
        _read_nhs(reading, rows, [upper.index(c) for c in NHS_COLUMNS])
    elif all(c in lower for c in SIMPLE_COLUMNS):
        _read_simple(reading, rows, [lower.index(c) for c in SIMPLE_COLUMNS])
    else:
        reading.problem(
            "The first line must name the columns: either NHS Digital's ORG_CODE, SEX, "
            "AGE_GROUP_5 and NUMBER_OF_PATIENTS, or practice, dimension, group and count."
        )
    if not reading.counts and not reading.problems:
        reading.problem("The file holds no practice's patients.")
    return reading


def _count(reading: Reading, line: int, raw: str) -> int | None:
    text = raw.strip().replace(",", "")
    if not text.isdigit():
        reading.problem(f"Line {line}: the count {raw[:20]!r} is not a whole number.")
        return None
    return int(text)


def _cells(row: list[str], at: list[int]) -> list[str] | None:
    if len(row) <= max(at):
        return None
    return [row[i].strip() for i in at]


def _read_nhs(reading: Reading, rows: Iterable[list[str]], at: list[int]) -> None:
    by_sex_age: dict[tuple[str, str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        cells = _cells(row, at)
        if cells is None:
            reading.problem(f"Line {line}: fewer columns than the first line names.")
            continue
        practice, sex, age, raw = cells
        sex, age = sex.upper(), age.upper()
        count = _count(reading, line, raw)
        if not practice or len(practice) > 200:
            reading.problem(f"Line {line}: the practice (ORG_CODE) is blank or too long.")
        elif sex not in ("MALE", "FEMALE", "ALL"):
            reading.problem(f"Line {line}: SEX {sex[:20]!r} is not MALE, FEMALE or ALL.")
        elif age != "ALL" and age_band(age) is None:
            reading.problem(f"Line {line}: AGE_GROUP_5 {age[:20]!r} is not an age group.")
        elif count is not None:
            by_sex_age[(practice, sex, age)] = by_sex_age.get((practice, sex, age), 0) + count
    ages: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    sexes: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (practice, sex, age), n in by_sex_age.items():
        if age != "ALL":
            ages[(practice, age)][sex] = n
        if sex != "ALL":
            sexes[(practice, sex)][age] = n
    for (practice, age), held in ages.items():
        n = held["ALL"] if "ALL" in held else held.get("MALE", 0) + held.get("FEMALE", 0)
        key = (practice, "age", age_band(age) or UNKNOWN)
        reading.counts[key] = reading.counts.get(key, 0) + n
    for (practice, sex), held in sexes.items():
        n = held["ALL"] if "ALL" in held else sum(held.values())
        reading.counts[(practice, "gender", sex.lower())] = n


def _read_simple(reading: Reading, rows: Iterable[list[str]], at: list[int]) -> None:
    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        cells = _cells(row, at)
        if cells is None:
            reading.problem(f"Line {line}: fewer columns than the first line names.")
            continue
        practice, dimension, group, raw = cells
        dimension = dimension.lower()
        count = _count(reading, line, raw)
        if dimension == "age":
            found = age_band(group)
        elif dimension == "gender":
            found = _choice(group, (g.value for g in Gender))
        elif dimension == "ethnicity":
            found = _choice(group, (e.value for e in Ethnicity))
        else:
            reading.problem(
                f"Line {line}: the dimension {dimension[:20]!r} is not age, gender or ethnicity."
            )
            continue
        if not practice or len(practice) > 200:
            reading.problem(f"Line {line}: the practice is blank or too long.")
        elif found is None:
            reading.problem(f"Line {line}: {group[:40]!r} is not a group of {dimension} we know.")
        elif count is not None:
            key = (practice, dimension, found)
            reading.counts[key] = reading.counts.get(key, 0) + count


def store(conn: Connection, reading: Reading, today: date) -> int:
    """Replaces what is held for each practice and dimension in the file; returns lines kept.
    Only for a reading without problems (the caller shows them and stores nothing)."""
    if reading.problems:
        raise ValueError("a file with problems is never stored")
    replaced = sorted({(p, d) for p, d, _ in reading.counts})
    for start in range(0, len(replaced), 500):
        conn.execute(
            delete(registered_population).where(
                tuple_(R.practice, R.dimension).in_(replaced[start : start + 500])
            )
        )
    lines = [
        {"practice": p, "dimension": d, "grp": g, "patients": n, "loaded_on": today.isoformat()}
        for (p, d, g), n in sorted(reading.counts.items())
    ]
    for start in range(0, len(lines), 1000):
        conn.execute(registered_population.insert(), lines[start : start + 1000])
    return len(lines)


def registered(conn: Connection, dimension: str, practice: str = "") -> dict[str, int]:
    """Patients per group of one dimension, over every loaded practice or one."""
    conditions = [R.dimension == dimension]
    if practice:
        conditions.append(R.practice == practice)
    return {
        str(g): int(n)
        for g, n in conn.execute(
            select(R.grp, func.sum(R.patients)).where(and_(*conditions)).group_by(R.grp)
        )
    }


def loaded_practices(conn: Connection) -> list[str]:
    return [str(p) for p in conn.execute(select(R.practice).distinct().order_by(R.practice))]
