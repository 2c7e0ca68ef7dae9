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

from sp_desktop.server.console import outcome_lines, outcomes
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


def make_people(team_id: int, count: int, seed: int) -> Synthetic:
    draw = random.Random(seed)
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
        }
        made.add(
            "people",
            pid,
            pid,
            {
                "given_name": "Synthetic",
                "family_name": f"Person{i}",
                "date_of_birth": born.isoformat(),
                "gp_practice": practice,
                "gender": person["gender"],
                "ethnicity": person["ethnicity"],
            },
        )
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
        made.add(
            "answers",
            f"h1-{pid}",
            pid,
            {
                "person_id": pid,
                "measure": "health_use",
                "taken_on": (received + timedelta(days=180)).isoformat(),
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
            if hours:
                made.add(
                    "volunteer_hours",
                    f"vh-{pid}",
                    pid,
                    {
                        "person_id": pid,
                        "prescription_id": f"rx-{pid}",
                        "hours": hours,
                        "logged_on": received.isoformat(),
                    },
                )
            person["activity"] = [(service, went, missed, hours)]
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
    for source in ("gp", "self", "pharmacist"):
        assert sources[source] == str(sum(1 for p in made.people if p["source"] == source))
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
    assert read[-1] == ["Total", str(len(made.people))]
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
    expected = str(march) if march >= st.SMALL else st.FEWER
    assert f"Referrals received in March 2026: {march}" in text or expected in text
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
        assert activities[name][1:] == [
            str(len(mine)),
            str(sum(a[1] for a in mine)),
            str(sum(a[2] for a in mine)),
            "0",
        ]
    providers = {r[0]: r for r in table(got, "providers").rows}
    arts = [a for p in made.people for a in p["activity"] if a[0] != "svc-walk"]
    assert providers["Arts Trust"][1] == str(len(arts))
    volunteers = [a for p in made.people for a in p["activity"] if a[3] > 0]
    figures = dict(table(got, "volunteering").rows)
    assert figures["People who volunteered"] == str(len(volunteers))
    assert figures["Hours volunteered"] == f"{sum(a[3] for a in volunteers):.1f}"
