"""`sp-server console-user add`: the first console user, and the secret shown only then."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from console_office import ConsoleUser, Office, sign_in


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
