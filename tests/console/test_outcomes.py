"""The outcomes report against an independent computation over the same synthetic rows.

Rows are written to the office's real `rows` table (as sync leaves them), the report tables
catch up, and every figure is checked against `statistics` / `scipy.stats` computed here from
the synthetic people directly, including the paired-only rule and suppression.
"""

from __future__ import annotations

import csv
import io
import random
import re
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from console_office import Office, sign_in
from scipy import stats
from sqlalchemy import Engine, select

from sp_desktop.domain.choices import ReferralSource
from sp_desktop.server.console import outcome_lines, outcome_population, outcomes
from sp_desktop.server.console import statistics as st
from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.db import (
    SEQ_COUNTER,
    counters,
    outcome_activity,
    outcome_pairs,
    outcome_people,
    read_transaction,
    rows,
    teams,
    write_transaction,
)

ONS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
PRACTICES = ("Oak Surgery", "Elm Practice", "Tiny Practice")
SERVICES = (
    ("svc-walk", "Walking group", "Ramblers"),
    ("svc-choir", "Community choir", "Arts Trust"),
    ("svc-garden", "Garden club", "Arts Trust"),
)


@dataclass
class Synthetic:
    """People as the test made them, to compute the expected figures from."""

    team_id: int
    people: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, table: str, row_id: str, person_id: str | None, fields: dict[str, Any]) -> None:
        self.seq += 1
        self.rows.append(
            {
                "table_name": table,
                "row_id": row_id,
                "person_id": person_id,
                "team_id": self.team_id,
                "fields": orjson.dumps(fields).decode(),
                "versions": "{}",
                "deleted": False,
                "hlc": f"{self.seq:020d}",
                "origin_device": "test",
                "created_hlc": f"{self.seq:020d}",
                "seq": self.seq,
            }
        )


CONDITION_SETS: tuple[list[str] | None, ...] = (
    None,  # a row from before the field existed: not recorded
    [],
    ["copd"],
    ["diabetes"],
    ["copd", "diabetes"],
    ["copd", "diabetes", "heart_failure"],
)
STOP_KEYS = ("moved_away", "not_for_me", None)
PRIVATE_REASON = "PRIVATE-REASON-WORDS"
DAYS_A_MONTH = 365.25 / 12


def add_more(made: Synthetic, person: dict[str, Any], draw: random.Random) -> None:
    """Concerns with ratings, steps with progress, a stop with its coded reason: the parts of
    a person the later report tables count (drawn apart, so the first draws stay as they were)."""
    pid, received = person["id"], person["received"]
    person["concerns"] = []
    for c in range(draw.randrange(0, 4)):
        ratings = [draw.randrange(3, 11)]
        for _ in range(draw.choice([0, 1, 1, 2])):
            ratings.append(draw.randrange(0, 11))
        made.add(
            "concerns",
            f"c-{pid}-{c}",
            pid,
            {"person_id": pid, "domain": "money", "words": "worry", "severity": ratings[-1]},
        )
        for k, value in enumerate(ratings):
            made.add(
                "concern_ratings",
                f"cr-{pid}-{c}-{k}",
                pid,
                {
                    "person_id": pid,
                    "concern_id": f"c-{pid}-{c}",
                    "rated_on": (received + timedelta(days=30 * k)).isoformat(),
                    "value": value,
                },
            )
        person["concerns"].append(ratings)
    person["steps"] = []
    for t in range(draw.randrange(0, 3)):
        ratings = [0] + [draw.randrange(0, 11) for _ in range(draw.choice([0, 1, 2]))]
        made.add(
            "steps",
            f"s-{pid}-{t}",
            pid,
            {"person_id": pid, "words": "walk", "progress": ratings[-1]},
        )
        for k, value in enumerate(ratings):
            made.add(
                "step_progress",
                f"sp-{pid}-{t}-{k}",
                pid,
                {
                    "person_id": pid,
                    "step_id": f"s-{pid}-{t}",
                    "rated_on": (received + timedelta(days=20 * k)).isoformat(),
                    "value": value,
                },
            )
        person["steps"].append(ratings)
    person["stopped"] = None
    person["has_stop"] = False
    if person["activity"] and draw.random() < 0.4:
        key = draw.choice(STOP_KEYS)
        fields: dict[str, Any] = {
            "person_id": pid,
            "prescription_id": f"rx-{pid}",
            "status": "stopped",
            "session_on": (received + timedelta(days=40)).isoformat(),
            "reason": PRIVATE_REASON,
        }
        if key is not None:
            fields["stopped_because"] = key
        made.add("attendance", f"stop-{pid}", pid, fields)
        person["stopped"] = key
        person["has_stop"] = True


def make_people(team_id: int, count: int, seed: int) -> Synthetic:
    draw = random.Random(seed)
    more = random.Random(seed + 1000)
    made = Synthetic(team_id)
    for service, name, org in SERVICES:
        made.add("services", service, None, {"name": name, "organisation": org})
    for i in range(count):
        pid = f"p{seed}-{i}"
        practice = PRACTICES[2] if i < 3 else PRACTICES[i % 2]  # 3 people at a tiny practice
        received = date(2026, 1 + i % 6, 1 + i % 27)
        born = date(1930 + draw.randrange(70), 1 + draw.randrange(12), 1 + draw.randrange(28))
        status = draw.choice(["new", "active", "active", "closed", "declined"])
        person = {
            "id": pid,
            "practice": practice,
            "gender": draw.choice(["female", "male"]),
            "ethnicity": draw.choice(["white_british", "asian_indian", "black_african"]),
            "source": draw.choice(["gp", "self", "pharmacist"]),
            "received": received,
            "age": received.year
            - born.year
            - ((received.month, received.day) < (born.month, born.day)),
            "status": status,
            "wait": None,
            "ons": {},
            "health": {},
            "conditions": more.choice(CONDITION_SETS),
            "volunteered_on": None,
        }
        person_fields: dict[str, Any] = {
            "given_name": "Synthetic",
            "family_name": f"Person{i}",
            "date_of_birth": born.isoformat(),
            "gp_practice": practice,
            "gender": person["gender"],
            "ethnicity": person["ethnicity"],
        }
        if person["conditions"] is not None:
            person_fields["conditions"] = orjson.dumps(person["conditions"]).decode()
        made.add("people", pid, pid, person_fields)
        made.add(
            "referrals",
            f"r-{pid}",
            pid,
            {
                "person_id": pid,
                "source": person["source"],
                "received_on": received.isoformat(),
                "status": status,
            },
        )
        if draw.random() < 0.8:
            wait = draw.randrange(0, 40)
            person["wait"] = wait
            made.add(
                "visits",
                f"v-{pid}",
                pid,
                {
                    "person_id": pid,
                    "visit_date": (received + timedelta(days=wait)).isoformat(),
                },
            )
        before = {k: draw.randrange(0, 11) for k in ONS}
        made.add(
            "answers",
            f"a0-{pid}",
            pid,
            {
                "person_id": pid,
                "measure": "ons4",
                "taken_on": received.isoformat(),
                "context": "baseline",
                "answers": orjson.dumps(before).decode(),
            },
        )
        after = None
        if draw.random() < 0.75:  # a quarter never have a follow-up
            after = {k: min(10, max(0, v + draw.randrange(-2, 4))) for k, v in before.items()}
            made.add(
                "answers",
                f"a1-{pid}",
                pid,
                {
                    "person_id": pid,
                    "measure": "ons4",
                    "taken_on": (received + timedelta(days=90)).isoformat(),
                    "context": "review",
                    "answers": orjson.dumps(after).decode(),
                },
            )
        person["ons"] = {"before": before, "after": after}
        use_before = {k: draw.randrange(0, 6) for k in ("gp", "ae", "admissions", "outpatient")}
        use_after = {k: max(0, v - draw.randrange(0, 3)) for k, v in use_before.items()}
        made.add(
            "answers",
            f"h0-{pid}",
            pid,
            {
                "person_id": pid,
                "measure": "health_use",
                "taken_on": received.isoformat(),
                "context": "baseline",
                "answers": orjson.dumps(use_before).decode(),
            },
        )
        later_days = more.choice([180, 180, 120, 20])  # 20: under a month, not paired as a rate
        person["health_days"] = later_days
        made.add(
            "answers",
            f"h1-{pid}",
            pid,
            {
                "person_id": pid,
                "measure": "health_use",
                "taken_on": (received + timedelta(days=later_days)).isoformat(),
                "context": "exit",
                "answers": orjson.dumps(use_after).decode(),
            },
        )
        person["health"] = {"before": use_before, "after": use_after}
        person["activity"] = []
        if draw.random() < 0.7:
            service = draw.choice(SERVICES)[0]
            went, missed = draw.randrange(0, 6), draw.randrange(0, 3)
            hours = float(draw.randrange(1, 5)) if draw.random() < 0.3 else 0.0
            made.add(
                "prescriptions",
                f"rx-{pid}",
                pid,
                {"person_id": pid, "service_id": service, "start_date": received.isoformat()},
            )
            for n, status in enumerate(["attended"] * went + ["missed"] * missed):
                made.add(
                    "attendance",
                    f"at-{pid}-{n}",
                    pid,
                    {
                        "person_id": pid,
                        "prescription_id": f"rx-{pid}",
                        "status": status,
                        "session_on": received.isoformat(),
                    },
                )
            person["volunteered_on"] = None
            if hours:
                # some logged hours before this referral (volunteers already, not "became")
                logged = received - timedelta(days=10 if more.random() < 0.3 else -5)
                person["volunteered_on"] = logged
                made.add(
                    "volunteer_hours",
                    f"vh-{pid}",
                    pid,
                    {
                        "person_id": pid,
                        "prescription_id": f"rx-{pid}",
                        "hours": hours,
                        "logged_on": logged.isoformat(),
                    },
                )
            person["activity"] = [(service, went, missed, hours)]
        add_more(made, person, more)
        made.people.append(person)
    return made


def load(engine: Engine, team: str, count: int = 80, seed: int = 7) -> Synthetic:
    with write_transaction(engine) as conn:
        team_id = int(conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one())
        top = conn.execute(
            select(counters.c.value).where(counters.c.name == SEQ_COUNTER)
        ).scalar_one_or_none()
        made = make_people(team_id, count, seed)
        start = int(top or 0)
        for row in made.rows:
            row["seq"] += start
        conn.execute(rows.insert(), made.rows)
        if top is None:
            conn.execute(counters.insert().values(name=SEQ_COUNTER, value=start + made.seq))
        else:
            conn.execute(
                counters.update()
                .where(counters.c.name == SEQ_COUNTER)
                .values(value=start + made.seq)
            )
    outcome_lines.catch_up(engine)
    return made


def report(office: Office, filters: outcomes.Filters, suppress: bool) -> outcomes.Report:
    with read_transaction(office.engine) as conn:
        return outcomes.build(conn, None, filters, suppress=suppress)


def table(made: outcomes.Report, key: str) -> outcomes.Table:
    return next(t for t in made.tables if t.key == key)


def expected_paired(before: list[float], after: list[float]) -> tuple[float, float, float, float]:
    changes = [a - b for b, a in zip(before, after, strict=True)]
    mean = statistics.mean(changes)
    sd = statistics.stdev(changes)
    low, high = stats.t.interval(0.95, len(changes) - 1, loc=mean, scale=sd / len(changes) ** 0.5)
    return mean, float(low), float(high), mean / sd


def test_ons4_paired_figures_match_an_independent_computation(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = report(office, outcomes.Filters(), suppress=False)
    rows_by_result = {r[1]: r for r in table(got, "measures").rows if r[0] == "ONS4"}
    for item, label in zip(
        ONS,
        (
            "Life satisfaction",
            "Feeling things are worthwhile",
            "Happiness yesterday",
            "Anxiety yesterday",
        ),
        strict=True,
    ):
        pairs = [
            (p["ons"]["before"][item], p["ons"]["after"][item])
            for p in made.people
            if p["ons"]["after"] is not None
        ]
        only = sum(1 for p in made.people if p["ons"]["after"] is None)
        before = [float(b) for b, _ in pairs]
        after = [float(a) for _, a in pairs]
        mean, low, high, effect = expected_paired(before, after)
        row = rows_by_result[label]
        assert row[2] == str(len(pairs))  # paired only
        assert row[3] == str(only)  # people without a follow-up, counted apart
        assert row[4] == f"{statistics.mean(before):.2f}"
        assert row[5] == f"{statistics.mean(after):.2f}"
        assert row[6] == f"{mean:.2f}"
        assert row[7] == f"{low:.2f} to {high:.2f}"
        assert row[8] == f"{effect:.2f}"
        bands = (0, 2, 4, 6) if item == "anxiety" else (0, 5, 7, 9)

        def band(v: float, bands: tuple[int, ...] = bands) -> int:
            return sum(1 for start in bands if v >= start)

        better = sum(
            1 for b, a in pairs if (band(a) < band(b) if item == "anxiety" else band(a) > band(b))
        )
        assert row[9] == f"{better} ({100 * better / len(pairs):.0f}%)"


def test_waits_counts_and_health_use_match(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = report(office, outcomes.Filters(), suppress=False)
    waits = [p["wait"] for p in made.people if p["wait"] is not None]
    assert got.waits.n == len(waits)
    assert got.waits.median == pytest.approx(statistics.median(waits))
    assert got.waits.p90 == pytest.approx(statistics.quantiles(waits, n=10, method="inclusive")[8])
    sources = dict(r for r in table(got, "sources").rows if r[0] != "Total")
    for source in ("gp", "self", "pharmacist"):  # shown as the laptop shows them: "GP"
        shown = ReferralSource(source).label
        assert sources[shown] == str(sum(1 for p in made.people if p["source"] == source))
    over = [p for p in made.people if p["age"] >= 80]
    gp = next(r for r in table(got, "health_80_and_over").rows if r[1] == "GP appointments")
    if len(over) >= 2:
        mean, low, high, _ = expected_paired(
            [float(p["health"]["before"]["gp"]) for p in over],
            [float(p["health"]["after"]["gp"]) for p in over],
        )
        assert gp[2] == str(len(over))
        assert gp[6] == f"{mean:.2f}"


def test_filters_change_the_numbers(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    oak = report(office, outcomes.Filters(practice="Oak Surgery"), suppress=False)
    expected = sum(1 for p in made.people if p["practice"] == "Oak Surgery")
    assert oak.people == expected
    assert report(office, outcomes.Filters(), suppress=False).people == len(made.people)
    older = report(office, outcomes.Filters(age_band="80 and over"), suppress=False)
    assert older.people == sum(1 for p in made.people if p["age"] >= 80)
    march = report(office, outcomes.Filters(start="2026-03-01", end="2026-03-31"), suppress=False)
    assert march.people == sum(1 for p in made.people if p["received"].month == 3)


def test_commissioners_never_see_a_small_cell_or_a_way_back_to_one(office: Office) -> None:
    team = office.team()
    load(office.engine, team)
    got = report(office, outcomes.Filters(), suppress=True)
    practice = table(got, "practice")
    tiny = next(r for r in practice.rows if r[0] == "Tiny Practice")
    assert tiny[1] == st.FEWER
    for t in got.tables:
        for row in t.rows:
            for cell in row[1:]:
                assert not (cell.isdigit() and 0 < int(cell) < st.SMALL), (t.key, row)
        counts = [row for row in t.rows if row[0] != "Total"]
        if len(t.columns) >= 2 and t.columns[1] in ("People", "Referred"):
            hidden = sum(1 for row in counts if row[1] == st.FEWER)
            assert hidden != 1, f"{t.key}: one hidden cell can be worked back from the total"


def test_suppress_row_hides_a_complementary_cell() -> None:
    assert st.suppress_row([3, 40, 9, 12]) == [True, False, True, False]
    assert st.suppress_row([3, 2, 40]) == [True, True, False]
    assert st.suppress_row([0, 30, 40]) == [False, False, False]


def test_erased_people_are_never_counted(office: Office) -> None:
    from sp_desktop.server import erasure

    team = office.team()
    made = load(office.engine, team, count=20)
    erasure.erase_person(office.engine, made.people[5]["id"], reason="asked", by="test")
    got = report(office, outcomes.Filters(), suppress=False)
    assert got.people == 19
    outcome_lines.catch_up(office.engine)
    with read_transaction(office.engine) as conn:
        for lines in (outcome_people, outcome_pairs, outcome_activity):
            held = conn.execute(
                select(lines.c.person_id).where(lines.c.person_id == made.people[5]["id"])
            ).all()
            assert held == [], f"{lines.name} still holds the erased person"


def test_outcomes_page_and_exports_for_a_commissioner(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    user = office.user(ConsoleRole.COMMISSIONER, team)
    client = office.client
    sign_in(client, user, office.clock.now)
    page = client.get("/console/outcomes")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "<title" in page.text
    assert "not proof" in page.text
    for p in made.people[:10]:
        assert p["id"] not in page.text
    assert "Synthetic" not in page.text and "Person1" not in page.text
    oak = client.get("/console/outcomes", params={"practice": "Oak Surgery"})
    assert oak.text != page.text
    exported = client.get("/console/outcomes/export/sources.csv")
    assert exported.status_code == 200
    assert "text/csv" in exported.headers["content-type"]
    read = list(csv.reader(io.StringIO(exported.text)))
    assert read[0] == ["Referred by", "People"]
    assert read[-1] == ["Total", st.shown(len(made.people), True)]  # rounded to 5
    cells = re.findall(r"<td>([^<]*)</td>", page.text)
    assert cells and not any(c.isdigit() and 0 < int(c) < st.SMALL for c in cells)
    assert st.FEWER in cells
    for row in read[1:]:
        assert not (row[1].isdigit() and 0 < int(row[1]) < st.SMALL)
    xlsx = client.get("/console/outcomes/export/practice.xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [[c.value for c in r] for r in book.active.iter_rows()]
    assert cells[0] == ["Group", "Referred", "Supported"]
    assert ["Tiny Practice", st.FEWER, st.FEWER] in [list(r) for r in cells] or any(
        r[0] == "Tiny Practice" and r[1] == st.FEWER for r in cells
    )


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_report_pdf_and_practice_pack(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    user = office.user(ConsoleRole.COMMISSIONER, team)
    sign_in(office.client, user, office.clock.now)
    whole = office.client.get("/console/outcomes/report.pdf")
    assert whole.status_code == 200 and whole.content.startswith(b"%PDF")
    text = pdf_text(whole.content)
    assert "not proof" in text and "Referrals by where they came from" in text
    assert "Synthetic" not in text
    pack = office.client.get(
        "/console/outcomes/practice-pack.pdf",
        params={"practice": "Oak Surgery", "month": "2026-03"},
    )
    assert pack.status_code == 200, pack.text
    text = pdf_text(pack.content)
    march = sum(
        1 for p in made.people if p["practice"] == "Oak Surgery" and p["received"].month == 3
    )
    assert "Oak Surgery: social prescribing, March 2026" in text
    if march >= st.TOO_FEW:
        assert f"Referrals received in March 2026: {st.shown(march, True)}" in text
    else:  # too few to show any figure of the month, even its count
        assert "Referrals received in March 2026" in text and "fewer than 10 people" in text
    assert "People from the practice waiting to be seen" in text
    tiny = office.client.get(
        "/console/outcomes/practice-pack.pdf",
        params={"practice": "Tiny Practice", "month": "2026-01"},
    )
    text = pdf_text(tiny.content)
    assert "fewer than 10 people" in text
    assert "waiting to be seen" not in text  # no figure of the practice's own
    assert "Whole service: wellbeing before and after" in text
    assert "The practice against the whole service" in text
    assert (
        office.client.get(
            "/console/outcomes/practice-pack.pdf", params={"practice": "Oak Surgery", "month": "x"}
        ).status_code
        == 404
    )


def test_attendance_per_activity_and_provider_and_volunteering(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = report(office, outcomes.Filters(), suppress=False)
    activities = {r[0]: r for r in table(got, "activities").rows}
    for service, name, _org in SERVICES:
        mine = [a for p in made.people for a in p["activity"] if a[0] == service]
        if not mine:
            continue
        stops = sum(1 for p in made.people if p["has_stop"] and p["activity"][0][0] == service)
        assert activities[name][1:] == [
            str(len(mine)),
            str(sum(a[1] for a in mine)),
            str(sum(a[2] for a in mine)),
            str(stops),
        ]
    providers = {r[0]: r for r in table(got, "providers").rows}
    arts = [a for p in made.people for a in p["activity"] if a[0] != "svc-walk"]
    assert providers["Arts Trust"][1] == str(len(arts))
    volunteers = [a for p in made.people for a in p["activity"] if a[3] > 0]
    figures = dict(table(got, "volunteering").rows)
    assert figures["People who volunteered"] == str(len(volunteers))
    assert figures["Hours volunteered"] == f"{sum(a[3] for a in volunteers):.1f}"


# --- the rest of issue 13 ------------------------------------------------------------------


def figures(t: outcomes.Table) -> dict[str, str]:
    return {row[0]: row[1] for row in t.rows}


def test_concerns_change_is_averaged_per_person_first(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = figures(table(report(office, outcomes.Filters(), suppress=False), "concerns"))
    people = [p for p in made.people if any(len(r) >= 2 for r in p["concerns"])]
    firsts = [statistics.mean(r[0] for r in p["concerns"] if len(r) >= 2) for p in people]
    latests = [statistics.mean(r[-1] for r in p["concerns"] if len(r) >= 2) for p in people]
    mean, low, high, _ = expected_paired(firsts, latests)
    paired = [r for p in made.people for r in p["concerns"] if len(r) >= 2]
    eased = sum(1 for r in paired if r[-1] < r[0])
    raised = [p for p in made.people if p["concerns"]]
    assert got["People with a concern recorded"] == str(len(raised))
    assert got["Concerns recorded"] == str(sum(len(p["concerns"]) for p in made.people))
    assert got["People with a concern rated again (in the averages)"] == str(len(people))
    assert got["People with no concern rated again yet (not in them)"] == str(
        len(raised) - len(people)
    )
    assert got["Concerns rated again"] == str(len(paired))
    assert got["Average first rating (per person, 0 to 10)"] == f"{statistics.mean(firsts):.2f}"
    assert got["Average latest rating (per person, 0 to 10)"] == f"{statistics.mean(latests):.2f}"
    assert got["Average change (lower is better)"] == f"{mean:.2f}"
    assert got["95% interval of the change"] == f"{low:.2f} to {high:.2f}"
    assert got["Concerns that eased (rated lower)"] == (
        f"{eased} ({100 * eased / len(paired):.0f}%)"
    )


def test_steps_progress_bands_and_median(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = figures(table(report(office, outcomes.Filters(), suppress=False), "steps"))
    steps = [r for p in made.people for r in p["steps"]]
    latest = [r[-1] for r in steps]
    moved = sum(1 for r in steps if any(v > 0 for v in r))
    assert got["Steps set"] == str(len(steps))
    assert got["Steps with any progress recorded"] == (f"{moved} ({100 * moved / len(steps):.0f}%)")
    for name, low, high in outcomes.STEP_BANDS:
        expected = sum(1 for v in latest if low <= v <= high)
        assert got[f"Latest progress: {name}"] == str(expected)
    assert got["Median latest progress (0 to 10)"] == f"{statistics.median(latest):g} out of 10"


def test_health_use_per_person_month_with_the_rotherham_split(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = report(office, outcomes.Filters(), suppress=False)
    for band, chosen in (
        ("all_ages", made.people),
        ("under_80", [p for p in made.people if p["age"] < 80]),
        ("80_and_over", [p for p in made.people if p["age"] >= 80]),
    ):
        rows_by = {r[0]: r for r in table(got, f"health_rate_{band}").rows}
        paired = [p for p in chosen if p["health_days"] >= DAYS_A_MONTH]
        row = rows_by["A&E attendances"]
        assert row[1] == str(len(paired)), band
        assert row[2] == str(len(chosen) - len(paired)), band
        if len(paired) < 2:
            continue
        before = [p["health"]["before"]["ae"] / 6 for p in paired]
        after = [p["health"]["after"]["ae"] / (p["health_days"] / DAYS_A_MONTH) for p in paired]
        mean, low, high, _ = expected_paired(before, after)
        assert row[3] == f"{statistics.mean(before):.3f}"
        assert row[4] == f"{statistics.mean(after):.3f}"
        assert row[5] == f"{mean:.3f}"
        assert row[6] == f"{low:.3f} to {high:.3f}"
        relative = 100 * (statistics.mean(after) - statistics.mean(before))
        assert row[7] == f"{relative / statistics.mean(before):+.0f}%"


def test_volunteers_and_those_who_became_volunteers(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    got = figures(table(report(office, outcomes.Filters(), suppress=False), "volunteering"))
    became = [
        p for p in made.people if p["volunteered_on"] and p["volunteered_on"] >= p["received"]
    ]
    assert got["People who became volunteers"] == str(len(became))
    assert got["People who volunteered"] == str(sum(1 for p in made.people if p["volunteered_on"]))
    march = figures(
        table(
            report(office, outcomes.Filters(start="2026-03-01", end="2026-03-31"), False),
            "volunteering",
        )
    )
    in_march = [
        p
        for p in became
        if p["received"].month == 3 and date(2026, 3, 1) <= p["volunteered_on"] <= date(2026, 3, 31)
    ]
    assert march["People who became volunteers"] == str(len(in_march))


def test_stop_reasons_in_words_never_the_free_text(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = office.team()
    made = load(office.engine, team)
    reasons = {"moved_away": "Moved away", "not_for_me": "It was not for them"}
    monkeypatch.setattr(outcomes, "stop_reasons", lambda: reasons)
    got = figures(table(report(office, outcomes.Filters(), suppress=False), "stopped"))
    for key, words in reasons.items():
        expected = sum(1 for p in made.people if p["has_stop"] and p["stopped"] == key)
        if expected:
            assert got[words] == str(expected)
    unknown = sum(1 for p in made.people if p["has_stop"] and p["stopped"] is None)
    assert got.get("not recorded", "0") == str(unknown)
    # without the scheme's list (the laptop side has not shipped it), every stop is "not
    # recorded"; the free-text reason is never shown
    monkeypatch.setattr(outcomes, "stop_reasons", dict)
    bare = figures(table(report(office, outcomes.Filters(), suppress=False), "stopped"))
    assert bare["not recorded"] == str(sum(1 for p in made.people if p["has_stop"]))
    user = office.user(ConsoleRole.LEAD, team)
    sign_in(office.client, user, office.clock.now)
    page = office.client.get("/console/outcomes")
    assert page.status_code == 200
    assert PRIVATE_REASON not in page.text
    assert "Why people stopped going to an activity" in page.text


@pytest.mark.parametrize(
    ("chosen", "keep"),
    [
        ("copd", lambda c: c is not None and "copd" in c),
        ("heart_failure", lambda c: c is not None and "heart_failure" in c),
        (outcomes.NO_CONDITION, lambda c: not c),
        (outcomes.MULTIMORBIDITY, lambda c: c is not None and len(c) >= 2),
    ],
)
def test_long_term_conditions_filter(office: Office, chosen: str, keep: Any) -> None:
    team = office.team()
    made = load(office.engine, team)
    filters = outcomes.Filters.read({"conditions": chosen})
    assert filters.conditions == chosen
    got = report(office, filters, suppress=False)
    assert got.people == sum(1 for p in made.people if keep(p["conditions"]))
    ons = [p for p in made.people if keep(p["conditions"]) and p["ons"]["after"] is not None]
    life = next(r for r in table(got, "measures").rows if r[1] == "Life satisfaction")
    assert life[2] == str(len(ons))  # the paired figures follow the filter too


def _population_csv(made: Synthetic) -> str:
    lines = ["practice,dimension,group,count"]
    for practice in ("Oak Surgery", "Elm Practice"):
        lines += [
            f"{practice},gender,female,600",
            f"{practice},gender,male,400",
            f"{practice},age,under 65,700",
            f"{practice},age,65_69,150",
            f"{practice},age,80 and over,150",
            f"{practice},ethnicity,white_british,800",
            f"{practice},ethnicity,Asian Indian,120",
            f"{practice},ethnicity,black_african,80",
        ]
    return "\n".join(lines) + "\n"


def test_registered_populations_upload_and_equity_ratio(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    user = office.user(ConsoleRole.LEAD, team)
    sign_in(office.client, user, office.clock.now)
    page = office.client.get("/console/outcomes/population")
    assert page.status_code == 200
    from console_office import csrf_of

    token = csrf_of(page.text)
    bad = office.client.post(
        "/console/outcomes/population",
        data={"csrf": token},
        files={
            "file": (
                "pop.csv",
                b"practice,dimension,group,count\nOak,colour,blue,3\nOak,age,65_69,x\n",
            )
        },
    )
    assert bad.status_code == 400
    assert "Line 2" in bad.text and "Line 3" in bad.text and "Nothing was loaded" in bad.text
    with read_transaction(office.engine) as conn:
        assert outcome_population.loaded_practices(conn) == []  # nothing changed
    good = office.client.post(
        "/console/outcomes/population",
        data={"csrf": token},
        files={"file": ("pop.csv", _population_csv(made).encode())},
    )
    assert good.status_code == 200, good.text
    assert "loaded for 2 practices" in good.text
    got = report(office, outcomes.Filters(), suppress=False)
    gender = {r[0]: r for r in table(got, "population_gender").rows}
    loaded = [p for p in made.people if p["practice"] != "Tiny Practice"]
    women = sum(1 for p in loaded if p["gender"] == "female")
    assert gender["Female"][1] == str(women)
    assert gender["Female"][3] == "1200"
    assert gender["Female"][4] == "60.0%"
    assert gender["Female"][5] == f"{(women / len(loaded)) / 0.6:.2f}"
    ages = {r[0]: r for r in table(got, "population_age").rows}
    assert ages["65 to 79"][3] == "300"  # 65_69 read as its band
    ethnic = {r[0]: r for r in table(got, "population_ethnicity").rows}
    assert ethnic["Asian or Asian British: Indian"][3] == "240"
    # a manager cannot load them
    manager = office.user(ConsoleRole.MANAGER, team)
    other = office.new_client()
    sign_in(other, manager, office.clock.now)
    assert other.get("/console/outcomes/population").status_code == 403


def test_nhs_digital_layout_by_command(office: Office, tmp_path: Any) -> None:
    from sp_desktop.server import cli

    team = office.team()
    load(office.engine, team, count=20)
    nhs = tmp_path / "gp-reg-pat-prac-quin-age.csv"
    lines = ["PUBLICATION,EXTRACT_DATE,TYPE,ORG_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS"]
    for sex, n in (("MALE", 10), ("FEMALE", 12)):
        for age in ("0_4", "60_64", "65_69", "80_84", "95+"):
            lines.append(f"GP_PRAC_PAT_LIST,01DEC2026,GP,Oak Surgery,LS1 1AA,{sex},{age},{n}")
    nhs.write_text("\n".join(lines) + "\n")
    url = office.engine.url.render_as_string(hide_password=False)
    assert (
        cli.main(["outcomes", "population", str(nhs), "--by", "lead", "--database-url", url]) == 0
    )
    with read_transaction(office.engine) as conn:
        assert outcome_population.registered(conn, "gender") == {"male": 50, "female": 60}
        assert outcome_population.registered(conn, "age") == {
            "under 65": 44,
            "65 to 79": 22,
            "80 and over": 44,
        }
    broken = tmp_path / "broken.csv"
    broken.write_text("ORG_CODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS\nOak Surgery,BOTH,0_4,3\n")
    assert (
        cli.main(["outcomes", "population", str(broken), "--by", "lead", "--database-url", url])
        == 1
    )
    with read_transaction(office.engine) as conn:
        assert outcome_population.registered(conn, "gender") == {"male": 50, "female": 60}


def _counts_in(cells: list[str]) -> list[int]:
    """The counts among cells ("35", "20 (40%)"); not a score such as "3 out of 10"."""
    found = []
    for cell in cells:
        first = cell.split(" ")[0]
        if first.isdigit() and not cell.endswith("out of 10"):
            found.append(int(first))
    return found


def _numbers_in(made: outcomes.Report) -> list[str]:
    return [cell for t in made.tables for row in t.rows for cell in row[1:]]


def test_differencing_two_views_cannot_reveal_a_small_count(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    views = [
        outcomes.Filters(),
        outcomes.Filters(practice="Oak Surgery"),
        outcomes.Filters(practice="Elm Practice"),
        outcomes.Filters(gender="female"),
        outcomes.Filters(gender="female", practice="Oak Surgery"),
    ]
    shown = [report(office, v, suppress=True) for v in views]
    for got in shown:
        assert all(n % 5 == 0 for n in _counts_in(_numbers_in(got)))
    # the whole service against all but the tiny practice: truly 3 apart, never shown so
    everyone = len(made.people)
    bigger = sum(1 for p in made.people if p["practice"] != "Tiny Practice")
    assert everyone - bigger == 3
    both = report(office, outcomes.Filters(), suppress=True)
    oak = report(office, outcomes.Filters(practice="Oak Surgery"), suppress=True)
    elm = report(office, outcomes.Filters(practice="Elm Practice"), suppress=True)
    total = int(table(both, "status").rows[-1][1])
    parts = int(table(oak, "status").rows[-1][1]) + int(table(elm, "status").rows[-1][1])
    assert (total - parts) % 5 == 0  # a difference is a multiple of 5, never the 3 it is
    # a selection of fewer than 10 people shows no figures at all
    tiny = report(office, outcomes.Filters(practice="Tiny Practice"), suppress=True)
    assert tiny.withheld and tiny.tables == []
    staff = report(office, outcomes.Filters(practice="Tiny Practice"), suppress=False)
    assert not staff.withheld and staff.people == 3


def test_commissioner_page_and_exports_hold_no_small_cell_or_name(office: Office) -> None:
    team = office.team()
    made = load(office.engine, team)
    user = office.user(ConsoleRole.COMMISSIONER, team)
    sign_in(office.client, user, office.clock.now)
    page = office.client.get("/console/outcomes")
    assert page.status_code == 200
    cells = re.findall(r"<td>([^<]*)</td>", page.text)
    assert cells and all(n % 5 == 0 for n in _counts_in(cells))
    for key in ("concerns", "steps", "stopped", "health_rate_all_ages", "volunteering"):
        exported = client_csv(office, f"/console/outcomes/export/{key}.csv")
        assert all(n % 5 == 0 for n in _counts_in([c for r in exported[1:] for c in r[1:]]))
    for p in made.people[:10]:
        assert p["id"] not in page.text
    assert "Synthetic" not in page.text and PRIVATE_REASON not in page.text
    tiny = office.client.get("/console/outcomes", params={"practice": "Tiny Practice"})
    assert "fewer than 10 people" in tiny.text
    assert "<table" not in tiny.text
    withheld = client_csv(office, "/console/outcomes/export/sources.csv?practice=Tiny+Practice")
    assert "fewer than 10 people" in withheld[1][0]
    pdf = office.client.get("/console/outcomes/report.pdf", params={"practice": "Tiny Practice"})
    assert "fewer than 10 people" in pdf_text(pdf.content)


def client_csv(office: Office, path: str) -> list[list[str]]:
    answer = office.client.get(path)
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


def test_build_command_and_a_page_that_says_it_is_being_prepared(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    from sp_desktop.server import cli

    team = office.team()
    made = load(office.engine, team, count=20)
    user = office.user(ConsoleRole.LEAD, team)
    sign_in(office.client, user, office.clock.now)
    with write_transaction(office.engine) as conn:  # as after migration 0007: start again,
        conn.execute(  # with the sequence far ahead (a large office's first catch-up)
            counters.delete().where(counters.c.name == outcome_lines.OUTCOMES_SEQ_COUNTER)
        )
        conn.execute(counters.update().where(counters.c.name == SEQ_COUNTER).values(value=500_000))
    page = office.client.get("/console/outcomes")
    assert page.status_code == 200
    assert "The report is being prepared" in page.text
    url = office.engine.url.render_as_string(hide_password=False)
    assert cli.main(["outcomes", "build", "--database-url", url]) == 0
    printed = capsys.readouterr().out
    assert "100.0% read" in printed and "up to date" in printed
    assert outcome_lines.backlog(office.engine) == 0
    page = office.client.get("/console/outcomes")
    assert "being prepared" not in page.text
    assert report(office, outcomes.Filters(), suppress=False).people == len(made.people)
