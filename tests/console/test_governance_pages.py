"""The console's information governance pages, driven over HTTP against the real application:
who looked at a person (from the laptops' trails), subject access as JSON and PDF, erasure with
a reason (refused in words without one) and which laptops confirmed, an adviser's trail, and
the breaks page; every action in the office audit log."""

from __future__ import annotations

import io
import re

import orjson
from console_office import Office, csrf_of, sign_in
from pypdf import PdfReader
from sqlalchemy import select

from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.db import advisers
from sp_desktop.store.schema import people


def test_a_manager_sees_the_trail_gets_a_copy_and_erases_a_person(office: Office) -> None:
    team = office.team()
    laptop = office.laptop(team, people=3, seed=5)
    with laptop.ws.store.read() as conn:
        person, given, family = conn.execute(
            select(people.c.id, people.c.given_name, people.c.family_name)).first()
    laptop.ws.people.view(person)
    laptop.sync()
    manager = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    sign_in(client, manager, office.clock())

    page = client.get(f"/console/people/{person}/audit")
    assert page.status_code == 200
    assert laptop.adviser in page.text and "viewed" in page.text
    copy = client.get(f"/console/people/{person}/subject-access.json")
    assert copy.status_code == 200 and copy.headers["cache-control"] == "no-store"
    held = orjson.loads(copy.content)
    assert {"rows", "laptop_audit"} <= set(held["tables"])
    assert any(r["fields"].get("given_name") == given for r in held["tables"]["rows"])
    pdf = client.get(f"/console/people/{person}/subject-access.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert given in text and family in text
    assert office.audit_count("made a subject access copy") == 2

    refused = client.post(f"/console/people/{person}/erase",
                          data={"csrf": csrf_of(page.text), "reason": "", "confirm": "yes"})
    assert refused.status_code == 400 and "say why" in refused.text
    assert client.get(f"/console/people/{person}/audit").status_code == 200  # not erased
    done = client.post(f"/console/people/{person}/erase",
                       data={"csrf": csrf_of(page.text), "reason": "Asked to be forgotten",
                             "confirm": "yes"})
    assert done.status_code == 200 and "Not yet: at its next sync" in done.text
    erasure_path = done.url.path
    assert office.audit_count("erased a person") == 1
    assert client.get(f"/console/people/{person}").status_code == 404
    laptop.sync()
    confirmed = client.get(erasure_path)
    assert "Yes," in confirmed.text and "Not yet" not in confirmed.text
    assert "Asked to be forgotten" in client.get("/console/erasures").text
    with laptop.ws.store.read() as conn:
        assert conn.execute(select(people.c.id).where(people.c.id == person)).first() is None

    with office.engine.connect() as conn:
        adviser_id = conn.execute(select(advisers.c.id).where(
            advisers.c.name == laptop.adviser)).scalar_one()
    trail = client.get(f"/console/advisers/{adviser_id}/audit")
    assert trail.status_code == 200 and person[:8] in trail.text
    assert client.get("/console/audit-breaks").status_code == 200


def test_other_teams_and_commissioners_see_none_of_it(office: Office) -> None:
    ours, theirs = office.team(), office.team()
    other = office.laptop(theirs, people=2, seed=6)
    other.sync()
    with other.ws.store.read() as conn:
        person = conn.execute(select(people.c.id)).scalars().first()
    manager = office.user(ConsoleRole.MANAGER, ours)
    client = office.client
    sign_in(client, manager, office.clock())
    for path in (f"/console/people/{person}/audit",
                 f"/console/people/{person}/subject-access.json"):
        assert client.get(path).status_code == 404
    page = client.get("/console/erasures")
    refused = client.post(f"/console/people/{person}/erase",
                          data={"csrf": csrf_of(page.text), "reason": "x", "confirm": "yes"})
    assert refused.status_code == 404
    commissioner = office.user(ConsoleRole.COMMISSIONER)
    other_client = office.new_client()
    sign_in(other_client, commissioner, office.clock())
    assert other_client.get("/console/erasures").status_code == 403
    assert re.search("Erasures", client.get("/console/teams").text)


def test_an_advisers_request_for_erasure_waits_for_a_manager(office: Office) -> None:
    team = office.team()
    laptop = office.laptop(team, people=2, seed=8)
    laptop.sync()
    with laptop.ws.store.read() as conn:
        person = conn.execute(select(people.c.id)).scalars().first()
    assert person is not None
    laptop.ws.people.request_erasure(person, "Moved away and asked us to delete everything")
    assert laptop.ws.people.erasure_requested(person)
    with laptop.ws.store.read() as conn:  # nothing is removed on the laptop by asking
        assert conn.execute(select(people.c.id).where(people.c.id == person)).first()
    laptop.sync()
    assert not laptop.ws.people.erasure_requested(person), "handed in to the office"
    manager = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    sign_in(client, manager, office.clock())
    page = client.get("/console/erasures")
    assert "Moved away and asked us" in page.text and laptop.adviser in page.text
    assert f"/console/people/{person}/audit" in page.text
    client.post(f"/console/people/{person}/erase",
                data={"csrf": csrf_of(page.text), "reason": "Adviser's request, checked",
                      "confirm": "yes"})
    assert "Moved away and asked us" not in client.get("/console/erasures").text
    laptop.sync()
    with laptop.ws.store.read() as conn:
        assert conn.execute(select(people.c.id).where(people.c.id == person)).first() is None
