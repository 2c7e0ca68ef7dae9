"""`sp-server console-user`: the first console user and the secret shown only then; a lost
phone, a leaver, a new password."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from console_office import ConsoleUser, Office, csrf_of, make_user, sign_in
from sqlalchemy import select

from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.db import office_audit


def _cli(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sp_desktop.server.cli", *args, "--database-url", database],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_console_user_add_prints_a_totp_secret_that_signs_in(tmp_path: Path) -> None:
    database = f"sqlite+pysqlite:///{tmp_path / 'office.db'}"
    assert _cli(database, "team", "add", "North").returncode == 0
    secret_file = tmp_path / "pw"
    secret_file.write_text("a long console password here\n", encoding="utf-8")
    refused = _cli(
        database,
        "console-user",
        "add",
        "Mo Manager",
        "--role",
        "manager",
        "--password-file",
        str(secret_file),
    )
    assert refused.returncode == 1 and "needs at least one team" in refused.stderr
    made = _cli(
        database,
        "console-user",
        "add",
        "Mo Manager",
        "--role",
        "manager",
        "--team",
        "North",
        "--password-file",
        str(secret_file),
    )
    assert made.returncode == 0, made.stderr
    secret = re.search(r"secret: ([A-Z2-7]+)", made.stdout)
    assert secret and "otpauth://totp/" in made.stdout
    again = _cli(
        database,
        "console-user",
        "add",
        "Mo Manager",
        "--role",
        "lead",
        "--password-file",
        str(secret_file),
    )
    assert again.returncode == 1 and "already" in again.stderr and "Traceback" not in again.stderr

    # The printed secret is what the authenticator app holds: it signs in.
    office = Office.open(database, tmp_path)
    try:
        office.clock.now = time.time()
        sign_in(
            office.client,
            ConsoleUser("Mo Manager", "a long console password here", secret.group(1)),
            office.clock(),
        )
        assert "North" in office.client.get("/console/teams").text
    finally:
        office.close()


def _refused_sign_in(office: Office, user: ConsoleUser) -> str:
    """What the login says to these credentials when it does not let them in."""
    client = office.client
    page = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "name": user.name, "password": user.password},
    )
    if "authenticator" not in answer.text:
        return answer.text
    code = user.code(office.clock())
    answer = client.post("/console/login/code", data={"csrf": csrf_of(answer.text), "code": code})
    assert "Sign out" not in answer.text
    return answer.text


def test_a_lost_phone_a_leaver_and_a_new_password_are_handled_on_the_command_line(
    tmp_path: Path,
) -> None:
    """A manager who lost their phone gets a new authenticator secret: the old phone's codes
    stop working and the session open on it ends. A leaver is switched off (signed out, signing
    in refused) and on again. A new password ends sessions too. Each change is in the audit
    log with who made it; `list` shows the users."""
    database = f"sqlite+pysqlite:///{tmp_path / 'office.db'}"
    office = Office.open(database, tmp_path)
    try:
        office.clock.now = time.time()
        user = make_user(office.engine, ConsoleRole.MANAGER, [office.team()], name="Mo Manager")
        sign_in(office.client, user, office.clock())
        assert "Sign out" in office.client.get("/console/teams").text

        fresh = _cli(database, "console-user", "new-authenticator", "Mo Manager", "--by", "Ida IT")
        assert fresh.returncode == 0, fresh.stderr
        secret = re.search(r"secret: ([A-Z2-7]+)", fresh.stdout)
        assert secret and secret.group(1) != user.secret
        assert "Sign out" not in office.client.get("/console/teams").text  # signed out
        office.clock.now += 60  # a new time step: a code is good once
        assert "Sign out" not in _refused_sign_in(office, user)  # the old phone's code
        new_phone = ConsoleUser(user.name, user.password, secret.group(1))
        office.clock.now += 60
        sign_in(office.client, new_phone, office.clock())

        off = _cli(database, "console-user", "disable", "Mo Manager", "--by", "Ida IT")
        assert off.returncode == 0 and "switched off" in off.stdout
        assert "Sign out" not in office.client.get("/console/teams").text
        office.clock.now += 60
        _refused_sign_in(office, new_phone)
        listed = _cli(database, "console-user", "list")
        assert "Mo Manager\tManager\tswitched off" in listed.stdout
        assert _cli(database, "console-user", "enable", "Mo Manager").returncode == 0
        office.clock.now += 60
        sign_in(office.client, new_phone, office.clock())

        password_file = tmp_path / "pw"
        password_file.write_text("another long console password\n", encoding="utf-8")
        changed = _cli(database, "console-user", "password", "Mo Manager",
                       "--password-file", str(password_file), "--by", "Ida IT")
        assert changed.returncode == 0, changed.stderr
        assert "Sign out" not in office.client.get("/console/teams").text
        office.clock.now += 60
        sign_in(office.client, ConsoleUser(user.name, "another long console password",
                                           new_phone.secret), office.clock())

        unknown = _cli(database, "console-user", "disable", "Nobody")
        assert unknown.returncode == 1 and "no console user" in unknown.stderr
        assert "Traceback" not in unknown.stderr
        with office.engine.connect() as conn:
            audited = conn.execute(
                select(office_audit.c.actor, office_audit.c.action, office_audit.c.target)
                .where(office_audit.c.role == "command line")
            ).all()
        assert ("Ida IT", "gave a console user a new authenticator", "Mo Manager") in audited
        assert ("Ida IT", "switched a console user off", "Mo Manager") in audited
        assert ("Ida IT", "set a console user's password", "Mo Manager") in audited
        assert any(a == "switched a console user on" for _, a, _ in audited)
    finally:
        office.close()
