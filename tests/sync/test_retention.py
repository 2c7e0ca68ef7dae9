"""Retention at the office, against the real server: the job erases exactly the people whose
case closed longer ago than the rule, not those closed more recently, never closed, or
re-referred since; each erasure is recorded with the rule as its reason and reaches laptops."""

from __future__ import annotations

from datetime import date, timedelta

from laptops import Laptop, LaptopFactory, team_of

from sp_desktop.domain.choices import ClosingOutcome, ReferralSource
from sp_desktop.server import erasure as office_erasure
from sp_desktop.server.db import make_engine
from sp_desktop.server.testing import RunningServer, stored_rows
from sp_desktop.store.schema import people
from tests.conftest import give_consent

TODAY = date.today()


def _years_ago(years: int) -> date:
    return TODAY - timedelta(days=365 * years + 10)


def _person(laptop: Laptop, family: str, referred: date, closed: date | None,
            referred_again: date | None = None) -> str:
    ws = laptop.ws
    person = ws.people.create(given_name="Kept", family_name=family,
                              date_of_birth=date(1940, 1, 1)).id
    give_consent(ws, person)
    ws.people.record_referral(person, source=ReferralSource.GP, received_on=referred)
    if closed is not None:
        ws.closing.close_case(person, closed, ClosingOutcome.COMPLETED, today=TODAY)
    if referred_again is not None:
        ws.people.record_referral(person, source=ReferralSource.GP, received_on=referred_again)
    return person


def test_retention_erases_exactly_the_people_past_the_rule(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    eve = make_laptop()
    past = _person(eve, "LongClosed", _years_ago(10), _years_ago(9))
    recent = _person(eve, "RecentlyClosed", _years_ago(3), _years_ago(2))
    still_open = _person(eve, "NeverClosed", _years_ago(10), None)
    reopened = _person(eve, "Reopened", _years_ago(10), _years_ago(9), _years_ago(0))
    eve.sync()

    ran = server.cli("retention", "--closed-years", "8", "--team", team_of(eve))
    erased = {line.split("\t")[1] for line in ran.stdout.splitlines()
              if line.startswith("erased\t")}
    assert erased == {past}
    held = {row for _table, row in stored_rows(server.database_url)}
    assert past not in held and {recent, still_open, reopened} <= held
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            record = next(e for e in office_erasure.erasure_list(conn) if e["person_id"] == past)
    finally:
        engine.dispose()
    assert "closed more than 8 years" in str(record["reason"])
    assert record["erased_by"] == "retention job"

    eve.sync()  # the laptop purges the erased person like any erasure
    with eve.store.read() as conn:
        local = set(conn.execute(people.select().with_only_columns(people.c.id)).scalars())
    assert past not in local and {recent, still_open, reopened} <= local
