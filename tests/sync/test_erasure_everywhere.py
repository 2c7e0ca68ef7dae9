"""Erasure that reaches everywhere, against the real server: the office erases a person; one
laptop purges at its next sync, another that was offline during the erasure (with changes and
a draft about them waiting) purges when it returns; the name and NHS number are then absent
from every table of the office and of both laptops (searched in the decrypted databases), the
office keeps only a payload-free record, and shows which laptops confirmed."""

from __future__ import annotations

import secrets
from datetime import date

from laptops import Laptop, LaptopFactory
from sqlalchemy import inspect, text

from sp_desktop.server import erasure as office_erasure
from sp_desktop.server.db import make_engine
from sp_desktop.server.testing import RunningServer, stored_rows
from sp_desktop.services.visit_summary import visit_draft_key
from sp_desktop.store.database import list_backups
from tests.conftest import give_consent

GIVEN, FAMILY, NHS = "Eirlys", "Quenby-Erasure", "9990000026"


def _everything(conn: object) -> str:
    """Every value of every row of every table, as text (the decrypted database, read whole)."""
    found = []
    names = inspect(conn).get_table_names()  # type: ignore[arg-type]
    for name in names:
        for row in conn.execute(text(f'SELECT * FROM "{name}"')):  # type: ignore[attr-defined]
            found.append(" ".join(str(v) for v in row))
    return "\n".join(found)


def _laptop_text(laptop: Laptop) -> str:
    with laptop.store.read() as conn:
        return _everything(conn)


def _office_text(server: RunningServer) -> str:
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return _everything(conn)
    finally:
        engine.dispose()


def _confirmed(server: RunningServer, erasure_id: str) -> dict[str, object]:
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return {line["device_id"]: line["confirmed_at"]
                    for line in office_erasure.confirmations(conn, erasure_id)}
    finally:
        engine.dispose()


def test_an_erased_person_is_gone_from_the_office_and_both_laptops(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    team = f"team_{secrets.token_hex(4)}"
    server.add_team(team)
    ann, ben = make_laptop(team), make_laptop(team)
    person = ann.ws.people.create(given_name=GIVEN, family_name=FAMILY,
                                  date_of_birth=date(1947, 3, 3), nhs_number=NHS).id
    give_consent(ann.ws, person)
    visit = ann.ws.visits.start(person, date.today()).id
    ann.ws.visits.add_concern(visit, "connection", f"{GIVEN} misses her sister", 6)
    other = ann.ws.people.create(given_name="Stays", family_name="Here",
                                 date_of_birth=date(1950, 1, 1)).id
    ann.ws.store.backup()
    ann.sync()
    ben.sync()
    assert GIVEN in _laptop_text(ben) and NHS in _office_text(server)

    # Ben goes offline with a change and a half-typed draft about her waiting.
    ben.ws.visits.add_step(person, f"Ring {GIVEN}'s sister")
    ben.ws.drafts.save(visit_draft_key(visit), {"notes": {"connection": f"{GIVEN} said"}})

    done = server.cli("erase", person, "--reason", "Asked to be forgotten (article 17)",
                      "--by", "Mo Manager")
    erasure_id = done.stdout.split("Erasure ")[1].split(":")[0]
    office = _office_text(server)
    assert GIVEN not in office and NHS not in office and FAMILY not in office
    assert "Asked to be forgotten" in office, "the payload-free record of the erasure stays"

    ann.sync()
    text_ann = _laptop_text(ann)
    assert GIVEN not in text_ann and NHS not in text_ann
    assert "Stays" in text_ann, "no one else is touched"
    backups = list_backups(ann.folder)
    assert len(backups) == 1, "older backups (which held her) are replaced"
    confirmed = _confirmed(server, erasure_id)
    assert confirmed[ann.store.device_id] and confirmed[ben.store.device_id] is None

    ben.sync()  # back online: purges before sending anything
    text_ben = _laptop_text(ben)
    assert GIVEN not in text_ben and NHS not in text_ben
    office = _office_text(server)
    assert GIVEN not in office and NHS not in office, "nothing waiting brought her back"
    assert not [row for table, row in stored_rows(server.database_url) if row == person]
    confirmed = _confirmed(server, erasure_id)
    assert all(confirmed[laptop.store.device_id] for laptop in (ann, ben))
    assert other in {row for _table, row in stored_rows(server.database_url)}
    # Both laptops go on syncing normally.
    ann.sync()
    ben.sync()


def test_a_change_about_an_erased_person_is_refused_at_the_office(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    cal = make_laptop()
    person = cal.ws.people.create(given_name="Ffion", family_name="Refused",
                                  date_of_birth=date(1951, 5, 5)).id
    cal.sync()
    server.cli("erase", person, "--reason", "Retention rule", "--by", "Mo Manager")
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            erased = office_erasure.erased_among(conn, [person])
    finally:
        engine.dispose()
    assert erased == {person}
    refused = server.cli("erase", person, "--reason", "again", "--by", "Mo", check=False)
    assert refused.returncode != 0 and "already erased" in refused.stdout + refused.stderr
