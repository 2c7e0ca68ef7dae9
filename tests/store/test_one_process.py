"""One process per store: a second one is told calmly, and cannot take the crash marker away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import OPEN_MARKER_NAME, Store
from sp_desktop.store.errors import StoreInUse
from tests.conftest import PASSPHRASE

HOLDER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from sp_desktop.services.workspace import Workspace
    ws = Workspace.open(Path(sys.argv[1]), sys.argv[2])
    print("open", flush=True)
    for line in sys.stdin:  # each line: save one person, then say so
        if line.strip() == "close":
            ws.close()
            print("closed", flush=True)
            break
        ws.people.create(given_name=line.strip(), family_name="Holder",
                         date_of_birth=date(1950, 1, 1))
        print("saved", flush=True)
    """
)


def _holder(store_dir: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store_dir), PASSPHRASE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "open"
    return child


def _say(child: subprocess.Popen[str], line: str) -> str:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(line + "\n")
    child.stdin.flush()
    return child.stdout.readline().strip()


def test_a_second_process_is_refused_with_a_clear_message(
    workspace: Workspace, store_dir: Path
) -> None:
    workspace.close()
    child = _holder(store_dir)
    try:
        with pytest.raises(StoreInUse, match="SP Desktop is already open with this store"):
            Workspace.open(store_dir, PASSPHRASE)
        done = subprocess.run(
            [sys.executable, "-m", "sp_desktop.cli", "check", "--data-dir", str(store_dir)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "SP_DESKTOP_PASSPHRASE": PASSPHRASE},
        )
        assert done.returncode == 2
        assert "SP Desktop is already open with this store" in done.stderr
        assert "Traceback" not in done.stderr
        assert _say(child, "Ann") == "saved"  # the first carries on undisturbed
        assert _say(child, "close") == "closed"
    finally:
        child.kill()
        child.wait()
    ws = Workspace.open(store_dir, PASSPHRASE)  # free once the first has closed
    try:
        assert [row.name for row in ws.caseload.rows()] == ["Ann Holder"]
    finally:
        ws.close()


def test_the_crash_marker_stays_while_another_process_holds_the_store(
    workspace: Workspace, store_dir: Path
) -> None:
    """The issue's sequence: the first process writing, a second one trying and giving up,
    the first killed. The marker must still say 'crashed', so the next unlock checks."""
    workspace.close()
    child = _holder(store_dir)
    try:
        assert (store_dir / OPEN_MARKER_NAME).exists()
        with pytest.raises(StoreInUse):
            Store.open(store_dir, PASSPHRASE)
        assert (store_dir / OPEN_MARKER_NAME).exists()  # not removed by the refused one
        assert _say(child, "Ben") == "saved"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert (store_dir / OPEN_MARKER_NAME).exists()
    ws = Workspace.open(store_dir, PASSPHRASE)  # crashed: the whole check runs, and passes
    try:
        assert [row.name for row in ws.caseload.rows()] == ["Ben Holder"]
    finally:
        ws.close()
    assert not (store_dir / OPEN_MARKER_NAME).exists()


def test_one_process_may_open_its_own_store_twice_and_the_marker_waits_for_both(
    workspace: Workspace, store_dir: Path
) -> None:
    second = Store.open(store_dir, PASSPHRASE)
    workspace.close()
    assert (store_dir / OPEN_MARKER_NAME).exists()  # the second is still open
    second.close()
    assert not (store_dir / OPEN_MARKER_NAME).exists()
