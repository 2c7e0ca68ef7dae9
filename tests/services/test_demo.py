"""The training store: realistic variety, synthetic identities only, and the CLI around it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sp_desktop.domain.nhs_number import NhsNumber
from sp_desktop.services.caseload import Stage
from sp_desktop.services.demo import create_demo_store
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import attendance
from tests.conftest import FAST_KDF


def test_demo_caseload_has_realistic_variety(tmp_path: Path) -> None:
    ws = create_demo_store(tmp_path / "demo", "training kettle violet", 150, params=FAST_KDF)
    try:
        rows = ws.caseload.rows()
        assert len(rows) == 150
        today = date.today()
        ages = [today.year - r.date_of_birth.year for r in rows]
        assert sum(60 <= a <= 96 for a in ages) / len(ages) > 0.9
        assert all(NhsNumber(r.nhs_number).is_synthetic for r in rows if r.nhs_number)
        names = " ".join(r.name for r in rows)
        assert any(ch in names for ch in "ëáŁřśó")
        stages = Counter(r.stage for r in rows)
        assert {Stage.NEW, Stage.ACTIVE, Stage.PRESCRIBED, Stage.CLOSED} <= set(stages)
        someone = next(r for r in rows if r.stage is Stage.PRESCRIBED)
        assert ws.wellbeing.history(someone.person_id)
        assert ws.visits.steps_of(someone.person_id)
        assert ws.visits.concerns_of(someone.person_id)
        assert ws.prescribing.of_person(someone.person_id)
        _conditions_and_stops_are_plausible(ws, rows)
    finally:
        ws.close()


def _conditions_and_stops_are_plausible(ws: Workspace, rows: list[Any]) -> None:
    """Reports have data: older people typically have two to four conditions (only people who
    agreed to notes being kept have any), and some stopped going, each saying why."""
    today = date.today()
    counts = {r.person_id: len(ws.people.get(r.person_id).conditions) for r in rows}
    over_80 = [counts[r.person_id] for r in rows
               if today.year - r.date_of_birth.year >= 81 and counts[r.person_id]]
    assert over_80 and 2 <= statistics.median(over_80) <= 4
    assert max(counts.values()) <= 5
    with ws.store.read() as conn:
        sessions = conn.execute(select(attendance.c.status, attendance.c.stopped_because)).all()
    assert {status for status, _ in sessions} == {"attended", "missed", "stopped"}
    reasons = [because for status, because in sessions if status == "stopped"]
    assert None not in reasons and len(set(reasons)) >= 3
    assert all(because is None for status, because in sessions if status != "stopped")


def _cli(*args: str, passphrase: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SP_DESKTOP_PASSPHRASE"}
    if passphrase is not None:
        env["SP_DESKTOP_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "sp_desktop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_demo_then_check(tmp_path: Path) -> None:
    passphrase = "pp one violet harbour"
    made = _cli("demo", "--data-dir", str(tmp_path / "d"), "--people", "12", passphrase=passphrase)
    assert made.returncode == 0, made.stderr
    assert "passphrase you gave" in made.stdout
    checked = _cli("check", "--data-dir", str(tmp_path / "d"), passphrase=passphrase)
    assert checked.returncode == 0, checked.stderr
    assert "The store is healthy." in checked.stdout and "Schema version" in checked.stdout
    wrong = _cli("check", "--data-dir", str(tmp_path / "d"), passphrase="nope")
    assert wrong.returncode == 2
    assert "did not unlock" in wrong.stderr and "Traceback" not in wrong.stderr


def test_cli_demo_without_passphrase_prints_how_to_unlock(tmp_path: Path) -> None:
    made = _cli("demo", "--data-dir", str(tmp_path / "d"), "--people", "3")
    assert made.returncode == 0, made.stderr
    assert 'Unlock it with the passphrase: "demo store only - not for real people"' in made.stdout


def test_passphrase_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("from a file\n", encoding="utf-8")
    made = _cli(
        "demo", "--data-dir", str(tmp_path / "d"), "--people", "2", "--passphrase-file", str(secret)
    )
    assert made.returncode == 0, made.stderr
    checked = _cli("check", "--data-dir", str(tmp_path / "d"), "--passphrase-file", str(secret))
    assert checked.returncode == 0, checked.stderr


def test_demo_store_has_work_contact_details_so_printouts_work(tmp_path: Path) -> None:
    """Written through the settings writer: the Settings dialog and printouts read the same."""
    from sp_desktop.services import documents
    from sp_desktop.services.settings import LINK_WORKER_PHONE, Settings

    ws = create_demo_store(tmp_path / "demo", "training kettle violet", 5, params=FAST_KDF)
    try:
        contact = documents.read_contact(tmp_path / "demo")
        assert contact == documents.ContactDetails(
            "0115 496 0000", "link.workers@example.org", "Demo Link Workers"
        )
        assert Settings.in_folder(tmp_path / "demo").get(LINK_WORKER_PHONE) == contact.phone
        person_id = ws.caseload.rows()[0].person_id
        assert documents.plan_pdf(ws, person_id).pdf.startswith(b"%PDF-")
    finally:
        ws.close()
