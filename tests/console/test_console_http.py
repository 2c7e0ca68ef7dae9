"""The console over HTTP, in process (the clock injected): signing in with TOTP, sessions
that end, CSRF, roles and team scope, the audit log, what laptops report, the report table."""

from __future__ import annotations

import re

from console_office import Office, csrf_of, demo_names, sign_in
from sqlalchemy import select

from sp_desktop.server.console import reports
from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.db import advisers, console_people, console_sessions, devices


def test_sign_in_needs_the_password_and_a_fresh_totp_code(office: Office) -> None:
    team = office.team()
    user = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    assert client.get("/console/teams", follow_redirects=False).headers["location"] == (
        "/console/login"
    )

    page = client.get("/console/login")
    wrong = client.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": "not the password at all"},
    )
    assert wrong.status_code == 401
    assert "not recognised" in wrong.text

    answer = client.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": user.password},
    )
    assert "authenticator" in answer.text
    # The password alone opens nothing.
    assert client.get("/console/teams", follow_redirects=False).status_code == 303
    bad = client.post("/console/login/code", data={"csrf": csrf_of(answer.text), "code": "000000"})
    assert bad.status_code == 401 and "not right" in bad.text
    code = user.code(office.clock())
    good = client.post("/console/login/code", data={"csrf": csrf_of(answer.text), "code": code})
    assert good.status_code == 200 and team in good.text
    cookie = good.history[0].headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert office.audit_count("signed in") == 1

    # The same code cannot sign in a second time (someone who watched it type).
    other = office.new_client()
    page = other.get("/console/login")
    answer = other.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": user.password},
    )
    again = other.post("/console/login/code", data={"csrf": csrf_of(answer.text), "code": code})
    assert again.status_code == 401


def test_an_idle_session_ends_and_sign_out_ends_it_everywhere(office: Office) -> None:
    team = office.team()
    user = office.user(ConsoleRole.LEAD)
    client = office.client
    sign_in(client, user, office.clock())
    office.clock.now += 14 * 60  # under the 15-minute idle limit: still signed in
    assert client.get("/console/teams").status_code == 200
    office.clock.now += 16 * 60
    assert client.get("/console/teams", follow_redirects=False).status_code == 303
    with office.engine.connect() as conn:
        assert conn.execute(select(console_sessions)).all() == []

    office.clock.now += 60
    csrf = sign_in(client, user, office.clock())
    token = client.cookies.get("sp_console")
    assert (
        client.get("/console/teams").status_code == 200
        and team in client.get("/console/teams").text
    )
    # A copy of the cookie (kept by someone) works while the session lives...
    replay = office.new_client()
    replay.cookies.set("sp_console", token or "", domain="testserver.local", path="/console")
    assert replay.get("/console/teams", follow_redirects=False).status_code == 200
    out = client.post("/console/logout", data={"csrf": csrf})
    assert "You have signed out" in out.text
    # ...and opens nothing once signed out.
    assert replay.get("/console/teams", follow_redirects=False).status_code == 303
    with office.engine.connect() as conn:
        assert conn.execute(select(console_sessions)).all() == []
    assert office.audit_count("signed out") == 1


def test_a_form_without_its_csrf_token_changes_nothing(office: Office) -> None:
    team = office.team()
    laptop = office.laptop(team)
    user = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    csrf = sign_in(client, user, office.clock())
    with office.engine.connect() as conn:
        adviser_id = conn.execute(
            select(advisers.c.id).where(advisers.c.name == laptop.adviser)
        ).scalar_one()
    for data in ({}, {"csrf": "forged"}):
        refused = client.post(f"/console/advisers/{adviser_id}/disable", data=data)
        assert refused.status_code == 403 and "Nothing was changed" in refused.text
    with office.engine.connect() as conn:
        assert (
            conn.execute(select(advisers.c.active).where(advisers.c.id == adviser_id)).scalar_one()
            is True
        )
    assert office.audit_count("adviser disable") == 0
    done = client.post(f"/console/advisers/{adviser_id}/disable", data={"csrf": csrf})
    assert "switched off" in done.text
    assert office.audit_count("adviser disable") == 1


def test_another_worker_knows_the_session(office: Office) -> None:
    """Sessions are in the database: a second application (worker) on it serves them."""
    from fastapi.testclient import TestClient

    from sp_desktop.server.app import create_app
    from sp_desktop.server.console import ConsoleSettings

    user = office.user(ConsoleRole.LEAD)
    sign_in(office.client, user, office.clock())
    second = TestClient(
        create_app(office.engine, console=ConsoleSettings(clock=office.clock)),
        base_url="https://testserver",
    )
    second.cookies = office.client.cookies
    assert second.get("/console/teams").status_code == 200


def test_a_manager_sees_only_their_teams_and_a_commissioner_no_one(office: Office) -> None:
    ours, theirs = office.team(), office.team()
    mine = office.laptop(ours, people=6, seed=3)
    other = office.laptop(theirs, people=6, seed=4)
    mine.sync()
    other.sync()
    their_names = set(demo_names(other.ws)) - set(demo_names(mine.ws))
    assert their_names
    manager = office.user(ConsoleRole.MANAGER, ours)
    client = office.client
    sign_in(client, manager, office.clock())
    pages = [
        client.get(p)
        for p in ("/console/teams", "/console/advisers", "/console/devices", "/console/directory")
    ]
    team_links = re.findall(r'href="/console/teams/(\d+)"', pages[0].text)
    assert len(team_links) == 1
    pages.append(client.get(f"/console/teams/{team_links[0]}"))
    pages.append(client.get(f"/console/teams/{team_links[0]}/people"))
    people_ids = re.findall(r'href="/console/people/([^"]+)"', pages[-1].text)
    assert len(people_ids) >= 1
    pages += [client.get(f"/console/people/{p}") for p in people_ids]
    for page in pages:
        assert page.status_code == 200
        assert other.adviser not in page.text and theirs not in page.text
        assert not [name for name in their_names if name in page.text]
    # Their team and their people are not found, as if they did not exist.
    with office.engine.connect() as conn:
        their_people = [
            p
            for (p,) in conn.execute(
                select(console_people.c.person_id).where(console_people.c.adviser == other.adviser)
            )
        ]
    assert their_people
    assert client.get(f"/console/people/{their_people[0]}").status_code == 404
    their_team = int(team_links[0]) + 1 if int(team_links[0]) == 1 else 1
    assert client.get(f"/console/teams/{their_team}").status_code == 404
    assert office.audit_count("opened a person's record") == len(people_ids)

    commissioner = office.user(ConsoleRole.COMMISSIONER)
    other_client = office.new_client()
    sign_in(other_client, commissioner, office.clock())
    assert other_client.get("/console/").url.path == "/console/reports"
    for path in (
        "/console/teams",
        f"/console/people/{their_people[0]}",
        "/console/devices",
        "/console/advisers",
        "/console/directory",
    ):
        assert other_client.get(path).status_code == 403


def test_laptops_page_shows_each_laptops_last_sync_and_report(office: Office) -> None:
    team = office.team()
    laptop = office.laptop(team, people=3)
    user = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    sign_in(client, user, office.clock())
    before = client.get("/console/devices").text
    assert "never" in before
    laptop.sync()
    after = client.get("/console/devices").text
    with office.engine.connect() as conn:
        seen, version, waiting = conn.execute(
            select(devices.c.last_seen_at, devices.c.app_version, devices.c.waiting)
        ).one()
    assert seen and seen[:16].replace("T", " ") in after
    assert version == "0.1.0" and "0.1.0" in after
    assert waiting == 0  # everything went up

    # A laptop that holds changes it has not sent (here: says so and sends none).
    from sp_desktop.sync import local
    from sp_desktop.sync.protocol import PROTOCOL_VERSION

    token = laptop.ws.store.meta(local.META_TOKEN)
    answer = client.post(
        "/sync",
        json={"protocol": PROTOCOL_VERSION, "cursor": 0},
        headers={
            "Authorization": f"Bearer {token}",
            "X-SP-Waiting": "5",
            "X-SP-Oldest-Waiting": "2026-11-28T09:00:00.000+00:00",
            "User-Agent": "sp-desktop/0.2.0 sync/3",
        },
    )
    assert answer.status_code == 200
    row = client.get("/console/devices").text
    assert re.search(r'<td class="num">5</td>\s*<td>\d+ days?</td>\s*<td>0\.2\.0</td>', row), row


def test_the_report_table_follows_every_change(office: Office) -> None:
    """Counted lines equal what the rows say, after a catch-up in small steps."""
    team = office.team()
    laptop = office.laptop(team, people=25, seed=7)
    laptop.sync()
    reports.catch_up(office.engine, span=7)
    with office.engine.connect() as conn:
        lines = {r.person_id: r for r in conn.execute(select(console_people))}
    from sp_desktop.store.schema import people

    with laptop.ws.store.read() as conn:
        held = {r.id: r for r in conn.execute(select(people.c.id, people.c.family_name))}
    assert set(lines) == set(held)
    assert all(lines[p].family_name == held[p].family_name for p in held)
    assert all(line.adviser == laptop.adviser for line in lines.values())
    assert reports.catch_up(office.engine) == 0  # nothing new: nothing read


def test_bad_input_is_refused_in_words_and_changes_nothing(office: Office) -> None:
    team = office.team()
    user = office.user(ConsoleRole.MANAGER, team)
    client = office.client
    csrf = sign_in(client, user, office.clock())
    page = client.get("/console/advisers/new")
    team_id = re.search(r'<option value="(\d+)"', page.text)
    assert team_id
    short = client.post(
        "/console/advisers/new",
        data={
            "csrf": csrf,
            "name": "Pat Newcomer",
            "team": team_id.group(1),
            "password": "short",
            "password_again": "short",
        },
    )
    assert short.status_code == 400 and "There is a problem" in short.text
    assert 'value="Pat Newcomer"' in short.text  # nothing typed is lost
    assert "Traceback" not in short.text
    with office.engine.connect() as conn:
        assert conn.execute(select(advisers).where(advisers.c.name == "Pat Newcomer")).all() == []
    bad_date = client.post(
        "/console/directory/new",
        data={"csrf": csrf, "name": "Knit and natter", "last_checked": "next Tuesday"},
    )
    assert bad_date.status_code == 400 and "Knit and natter" in bad_date.text
    assert "date" in bad_date.text.lower()


def test_the_directory_exports_what_was_published(office: Office) -> None:
    user = office.user(ConsoleRole.LEAD)
    client = office.client
    csrf = sign_in(client, user, office.clock())
    saved = client.post(
        "/console/directory/new",
        data={
            "csrf": csrf,
            "name": "Knit and natter",
            "category": "social_activity",
            "organisation": "Age UK Riverside",
            "last_checked": "2026-11-02",
        },
    )
    assert saved.status_code == 200 and "published" in saved.text
    as_json = client.get("/console/directory/export.json")
    assert as_json.headers["content-type"].startswith("application/json")
    assert "Knit and natter" in as_json.text and "Age UK Riverside" in as_json.text
    as_csv = client.get("/console/directory/export.csv")
    assert as_csv.text.lstrip("\ufeff").startswith("id,name,")
    assert "Knit and natter" in as_csv.text
    assert office.audit_count("exported the directory") == 2
