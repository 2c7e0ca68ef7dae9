"""The audit trail the office holds, against the real server: every event handed in and
acknowledged by hash; a chain rewritten on the laptop (and re-made so the laptop's own check
says intact) is flagged at the office; a retired laptop hands in its trail before it wipes."""

from __future__ import annotations

from datetime import date

import pytest
from laptops import Laptop, LaptopFactory
from sqlalchemy import select

from sp_desktop.domain.audit_chain import GENESIS, event_digest
from sp_desktop.server import audit as office_audit
from sp_desktop.server.db import make_engine
from sp_desktop.server.testing import RunningServer
from sp_desktop.store import audit
from sp_desktop.store.schema import audit_events, store_meta
from sp_desktop.sync.client import DeviceRevoked


def _look_at_people(laptop: Laptop, count: int) -> list[str]:
    people = [laptop.ws.people.create(given_name=f"Audit{n}", family_name="Trail",
                                      date_of_birth=date(1950, 2, 1 + n)).id
              for n in range(count)]
    for person in people:
        laptop.ws.people.view(person)
    return people


def _office(server: RunningServer) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            events = [dict(r) for r in conn.execute(
                select(office_audit.laptop_audit)).mappings()]
            return events, office_audit.flags_of(conn)
    finally:
        engine.dispose()


def _rechain(laptop: Laptop, change_seq: int) -> None:
    """What someone with the passphrase could do: change an event, then re-make every hash
    after it and the head, so the laptop's own check finds nothing."""
    with laptop.store.write() as conn:
        conn.execute(audit_events.update().where(audit_events.c.seq == change_seq)
                     .values(actor="Someone Else"))
        prev = GENESIS
        for row in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings():
            digest = event_digest(prev, dict(row))
            conn.execute(audit_events.update().where(audit_events.c.seq == row["seq"])
                         .values(prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(store_meta.update().where(store_meta.c.key == audit.HEAD_META)
                     .values(value=prev))
        assert audit.check_chain(conn).ok, "the laptop alone cannot tell"


def test_every_event_reaches_the_office_once_acknowledged_by_hash(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    people = _look_at_people(ann, 3)
    ann.sync()
    with ann.store.read() as conn:
        local_events = [dict(r) for r in conn.execute(
            select(audit_events).order_by(audit_events.c.seq)).mappings()]
        assert audit.waiting_count(conn) == 0
    events, flags = _office(server)
    mine = sorted((e for e in events if e["device_id"] == ann.store.device_id),
                  key=lambda e: int(str(e["seq"])))
    assert [e["hash"] for e in mine] == [e["hash"] for e in local_events]
    assert {e["person_id"] for e in mine if e["action"] == "viewed"} == set(people)
    assert not [f for f in flags if f["device_id"] == ann.store.device_id]
    ann.sync()  # nothing new: nothing sent twice
    assert len([e for e in _office(server)[0] if e["device_id"] == ann.store.device_id]) == len(
        mine)


@pytest.mark.parametrize("new_events", [True, False])
def test_a_chain_rewritten_on_the_laptop_is_flagged_at_the_office(
    server: RunningServer, make_laptop: LaptopFactory, new_events: bool
) -> None:
    ben = make_laptop()
    _look_at_people(ben, 3)
    ben.sync()
    _rechain(ben, change_seq=2)
    if new_events:
        _look_at_people(ben, 1)
    ben.sync()
    _events, flags = _office(server)
    mine = [f for f in flags if f["device_id"] == ben.store.device_id]
    assert mine and {f["kind"] for f in mine} == {office_audit.REWRITTEN}
    # The office still holds the event as it was first handed in.
    held = [e for e in _office(server)[0]
            if e["device_id"] == ben.store.device_id and e["seq"] == 2]
    assert held[0]["actor"] == ben.name


def test_events_removed_before_they_were_handed_in_are_a_gap(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    cat = make_laptop()
    _look_at_people(cat, 2)
    cat.sync()
    _look_at_people(cat, 2)
    with cat.store.read() as conn:
        acked = audit.waiting(conn, 100).anchor_seq
    with cat.store.write() as conn:
        conn.execute(audit_events.delete().where(audit_events.c.seq == acked + 1))
    cat.sync()
    kinds = {f["kind"] for f in _office(server)[1] if f["device_id"] == cat.store.device_id}
    assert office_audit.GAP in kinds


def test_a_retired_laptop_hands_in_its_audit_trail_before_it_wipes(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    dee = make_laptop()
    dee.sync()
    device = dee.store.device_id
    people = _look_at_people(dee, 2)
    with dee.store.read() as conn:
        waiting = audit.waiting_count(conn)
    assert waiting >= 4
    server.cli("device", "revoke", device, "--kind", "retired")
    with pytest.raises(DeviceRevoked):
        dee.sync()
    events, flags = _office(server)
    viewed = {e["person_id"] for e in events
              if e["device_id"] == device and e["action"] == "viewed"}
    assert viewed == set(people)
    assert not [f for f in flags if f["device_id"] == device]
