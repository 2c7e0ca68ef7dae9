"""The console over HTTP, in process (the clock injected): signing in with TOTP, sessions
that end, CSRF, roles and team scope, the audit log, what laptops report, the report table."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape

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
            "X-SP-Oldest-Waiting": datetime.fromtimestamp(
                office.clock() - 3 * 86_400 - 60, UTC
            ).isoformat(timespec="milliseconds"),
            "User-Agent": "sp-desktop/0.2.0 sync/3",
        },
    )
    assert answer.status_code == 200
    row = client.get("/console/devices").text
    assert re.search(r'<td class="num">5</td>\s*<td>3 days</td>\s*<td>0\.2\.0</td>', row), row


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


def test_the_directory_shows_where_each_service_is_prescribed_and_who_stopped(
    office: Office,
) -> None:
    from datetime import date, timedelta

    from sp_desktop.domain.choices import AttendanceStatus
    from sp_desktop.server.sync import publish_directory
    from sp_desktop.store.schema import attendance, prescriptions, services

    team = office.team()
    laptop = office.laptop(team, people=20, seed=5)
    with laptop.ws.store.read() as conn:
        held = [
            dict(r)
            for r in conn.execute(
                select(services.c.id, services.c.name, services.c.category)
            ).mappings()
        ]
        given = [
            (r.id, r.service_id)
            for r in conn.execute(
                select(prescriptions.c.id, prescriptions.c.service_id).where(
                    prescriptions.c.status == "active"
                )
            )
        ]
    assert given
    # The office's directory is the one laptops prescribe from.
    published = publish_directory(
        office.engine,
        [
            {"id": s["id"], "name": s["name"], "category": s["category"], "active": True}
            for s in held
        ],
    )
    assert published.rejected == 0
    first, service_id = given[0]
    day = date.today() - timedelta(days=1)
    laptop.ws.prescribing.record_attendance(
        first, day - timedelta(days=7), AttendanceStatus.ATTENDED
    )
    laptop.ws.prescribing.record_attendance(
        first, day, AttendanceStatus.STOPPED, "The bus no longer runs",
        stopped_because="transport",
    )
    laptop.sync()
    user = office.user(ConsoleRole.MANAGER, team)
    sign_in(office.client, user, office.clock())
    listing = office.client.get("/console/directory").text
    name = next(s["name"] for s in held if s["id"] == service_id)
    with laptop.ws.store.read() as conn:
        prescribed = len(
            conn.execute(
                select(prescriptions.c.id).where(prescriptions.c.service_id == service_id)
            ).all()
        )
        # The demo records sessions too: counted here from the laptop's own rows.
        sessions = conn.execute(
            select(attendance.c.prescription_id, attendance.c.status)
            .join(prescriptions, prescriptions.c.id == attendance.c.prescription_id)
            .where(prescriptions.c.service_id == service_id)
        ).all()
    went = sum(1 for _pid, status in sessions if status == "attended")
    stopped = len({pid for pid, status in sessions if status == "stopped"})
    assert went >= 1 and stopped >= 1
    row = listing[listing.index(f">{escape(name)}</a>") :]
    row = row[: row.index("</tr>")]
    numbers = re.findall(r'<td class="num">(?:<span class="tag warn">)?(\d+)', row)
    assert [int(n) for n in numbers] == [prescribed, went, stopped], row
    page = office.client.get(f"/console/directory/{service_id}").text
    assert f"{team}: prescribed" in page and f"{stopped} people stopped going" in page
    # Their own page says why they stopped, in the scheme's words, never the free text.
    with laptop.ws.store.read() as conn:
        person_id = conn.execute(
            select(prescriptions.c.person_id).where(prescriptions.c.id == first)
        ).scalar_one()
    record = office.client.get(f"/console/people/{person_id}").text
    assert "Stopped: getting there was too hard." in record
    assert "The bus no longer runs" not in record
    assert "From gp;" not in record


def test_guessing_codes_is_slowed_down(office: Office) -> None:
    """Six digits fall to fast guessing: after a few wrong codes each try must wait."""
    user = office.user(ConsoleRole.LEAD)
    client = office.client
    page = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": user.password},
    )
    csrf = csrf_of(answer.text)
    right = user.code(office.clock())
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 7)]
    statuses = [
        client.post("/console/login/code", data={"csrf": csrf, "code": c}).status_code
        for c in wrong
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # Even the right code waits its turn; after the wait it signs in.
    held = client.post("/console/login/code", data={"csrf": csrf, "code": right})
    assert held.status_code == 429 and "wait" in held.text
    office.clock.now += 10
    done = client.post(
        "/console/login/code", data={"csrf": csrf, "code": user.code(office.clock())}
    )
    assert done.status_code == 200 and "Sign out" in done.text


def test_one_unreadable_row_never_stops_a_page(office: Office) -> None:
    """A row an older server let in (fields not a JSON object) is read as empty."""
    from sqlalchemy import insert, update

    from sp_desktop.server.db import SEQ_COUNTER, counters, person_scope, rows, teams

    team = office.team()
    laptop = office.laptop(team, people=3)
    laptop.sync()
    with office.engine.begin() as conn:
        team_id = conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one()
        seq = conn.execute(
            update(counters)
            .where(counters.c.name == SEQ_COUNTER)
            .values(value=counters.c.value + 2)
            .returning(counters.c.value)
        ).scalar_one()
        for n, (table, fields) in enumerate((("people", "not json"), ("visits", "[1, 2]"))):
            conn.execute(
                insert(rows).values(
                    table_name=table,
                    row_id=f"odd{n}",
                    person_id="odd0",
                    team_id=team_id,
                    fields=fields,
                    versions="{}",
                    deleted=False,
                    hlc="000000000000001-0000-dev",
                    origin_device="dev",
                    created_hlc="000000000000001-0000-dev",
                    seq=seq - 1 + n,
                )
            )
        conn.execute(insert(person_scope).values(person_id="odd0", team_id=team_id))
    user = office.user(ConsoleRole.MANAGER, team)
    sign_in(office.client, user, office.clock())
    page = office.client.get(f"/console/teams/{team_id}")
    assert page.status_code == 200 and laptop.adviser in page.text
    assert office.client.get(f"/console/teams/{team_id}/people").status_code == 200
    assert office.client.get("/console/people/odd0").status_code == 200


def test_adviser_and_laptop_buttons_reach_the_laptops(office: Office) -> None:
    """Add, new password, move and revoke from the console, as a laptop then finds them."""
    import pytest
    from console_office import FAST_KEYS

    from sp_desktop.server.db import teams
    from sp_desktop.services.workspace import Workspace
    from sp_desktop.sync.client import DeviceRevoked, NotRegistered, SyncClient, register_device

    ours, theirs, elsewhere = office.team(), office.team(), office.team()
    manager = office.user(ConsoleRole.MANAGER, ours, theirs)
    client = office.client
    csrf = sign_in(client, manager, office.clock())
    team_ids = dict(
        re.findall(
            r'<option value="(\d+)"[^>]*>([^<]+)</option>', client.get("/console/advisers/new").text
        )
    )
    ours_id = next(i for i, name in team_ids.items() if name == ours)
    assert set(team_ids.values()) == {ours, theirs}  # not a team this manager does not run

    added = client.post(
        "/console/advisers/new",
        data={
            "csrf": csrf,
            "name": "Robin Newcomer",
            "team": ours_id,
            "password": "a first password for Robin",
            "password_again": "a first password for Robin",
        },
    )
    assert added.status_code == 200 and "was added" in added.text
    laptop = office.laptop(ours)  # another adviser's laptop, for the revoke below
    ws, _ = Workspace.create(
        office.folder / "robin",
        "a long passphrase here",
        adviser="Robin Newcomer",
        team=ours,
        params=FAST_KEYS,
    )
    try:
        register_device(
            ws.store,
            "https://testserver",
            "Robin Newcomer",
            "a first password for Robin",
            transport=laptop.transport,
        )
        adviser_page = re.search(
            r'href="(/console/advisers/\d+)">Robin Newcomer<', client.get("/console/advisers").text
        )
        assert adviser_page
        path = adviser_page.group(1)

        changed = client.post(
            f"{path}/password",
            data={
                "csrf": csrf,
                "password": "a second password, longer",
                "password_again": "a second password, longer",
            },
        )
        assert "password was changed" in changed.text
        with pytest.raises(NotRegistered), SyncClient(ws.store, transport=laptop.transport) as c:
            c.sync_once()

        elsewhere_id = str(int(ours_id) + 2)
        refused = client.post(f"{path}/move", data={"csrf": csrf, "team": elsewhere_id})
        assert refused.status_code == 400 and "Choose one of your teams" in refused.text
        theirs_id = next(i for i, name in team_ids.items() if name == theirs)
        moved = client.post(f"{path}/move", data={"csrf": csrf, "team": theirs_id})
        assert "was moved" in moved.text
        with office.engine.connect() as conn:
            team_of = conn.execute(
                select(teams.c.name)
                .join(advisers, advisers.c.team_id == teams.c.id)
                .where(advisers.c.name == "Robin Newcomer")
            ).scalar_one()
        assert team_of == theirs and elsewhere not in moved.text
    finally:
        ws.close()

    laptop.sync()
    device = re.search(
        r'href="(/console/devices/[^"]+)">[^<]*</a></th>\s*<td>' + re.escape(laptop.adviser),
        client.get("/console/devices").text,
    )
    assert device
    retired = client.post(f"{device.group(1)}/revoke", data={"csrf": csrf, "kind": "retired"})
    assert "was retired" in retired.text
    with pytest.raises(DeviceRevoked) as wiped:
        laptop.sync()
    assert wiped.value.retired
    for action in (
        "added an adviser",
        "adviser password",
        "adviser move",
        "laptop revoked (retired)",
    ):
        assert office.audit_count(action) == 1, action
