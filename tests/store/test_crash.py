"""A laptop that dies mid-write: every committed row survives and the store opens cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sp_desktop.services.workspace import Workspace
from tests.conftest import PASSPHRASE

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from sp_desktop.services.workspace import Workspace
    from sp_desktop.domain.wellbeing import Ons4Scores
    ws = Workspace.open(Path(sys.argv[1]), sys.argv[2])
    n = 0
    while True:
        n += 1
        pid = ws.people.create(given_name=f"Person{n}", family_name="Crashtest",
                               date_of_birth=date(1940, 1, 1)).id
        ws.consent.record(pid, "given", method="in_person", recording=True)
        ws.wellbeing.record(pid, Ons4Scores(n % 11, 5, 5, None), on=date(2026, 11, 1))
        print(pid, flush=True)  # printed only after both commits
    """
)


def test_sigkill_mid_write_loses_no_committed_row(workspace: Workspace, store_dir: Path) -> None:
    workspace.close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_dir), PASSPHRASE],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    committed = [child.stdout.readline().strip() for _ in range(40)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    committed += [line.strip() for line in child.stdout if line.strip()]
    assert child.returncode == -signal.SIGKILL

    ws = Workspace.open(store_dir, PASSPHRASE)  # crash marker present: full integrity check
    try:
        assert ws.store.integrity_report().ok
        on_caseload = {row.person_id for row in ws.caseload.rows()}
        assert set(committed) <= on_caseload
        for person_id in committed:
            assert len(ws.wellbeing.history(person_id)) == 1
    finally:
        ws.close()
