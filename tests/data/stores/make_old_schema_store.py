"""Makes an encrypted fixture store with the code of an older release (run once; output committed).

Run it with that release's code first on the path, so the store is exactly what that version
wrote (its migrations, its services, its page size):

    git worktree add /tmp/old0002 6e8e9b2   # the commit that added migration 0002
    PYTHONPATH=/tmp/old0002 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0002 0002
    git worktree add /tmp/old0003 4744d22   # the commit that added migration 0003
    PYTHONPATH=/tmp/old0003 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0003 0003
    git worktree add /tmp/old0004 5a04cb3   # the last commit whose head was 0004
    PYTHONPATH=/tmp/old0004 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0004 0004
    git worktree add /tmp/old0005 1fb7540~1   # the last commit whose head was 0005
    PYTHONPATH=/tmp/old0005 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0005 0005
    git worktree add /tmp/old0006 388c647   # the last commit whose head was 0006
    PYTHONPATH=/tmp/old0006 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0006 0006
    git archive c7075a3 | tar -x -C /tmp/old0007   # main when measures merged: head 0007
    PYTHONPATH=/tmp/old0007 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0007 0007
    git archive 51f1a2c | tar -x -C /tmp/old0008   # the last commit whose head was 0008
    PYTHONPATH=/tmp/old0008 .venv/bin/python tests/data/stores/make_old_schema_store.py \\
        tests/data/stores/schema-0008 0008

(`git archive <commit> | tar -x -C /tmp/oldNNNN` serves as well as a worktree.)

The content is that release's synthetic demo caseload (4 invented people, fixed seed), so every
table those services wrote has rows. Every later schema must open and upgrade it (tests/store).
"""

from __future__ import annotations

import shutil
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sp_desktop.services.demo import create_demo_store
from sp_desktop.store import migrations
from sp_desktop.store.keyfile import Argon2Params

PEOPLE = 4
SEED = 17


def passphrase(revision: str) -> str:
    return f"schema {revision} fixture"


def make(folder: Path, revision: str) -> None:
    if revision != migrations.HEAD_REVISION:
        raise SystemExit(f"this code writes schema {migrations.HEAD_REVISION}, not {revision}")
    shutil.rmtree(folder, ignore_errors=True)
    ws = create_demo_store(
        folder, passphrase(revision), PEOPLE, seed=SEED,
        params=Argon2Params(memory_kib=8192, iterations=1, lanes=1),
    )
    if revision == "0008":
        _stopped_in_words(ws)
    ws.close()  # the last connection checkpoints the WAL into the file
    for path in folder.iterdir():
        if path.name not in ("sp-desktop.db", "sp-desktop.keys"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _stopped_in_words(ws: Any) -> None:
    """Schema 0008 asked why someone stopped in words only: one such session, so the upgrade
    is tested on it (it has no stop reason key, and reads as "other")."""
    from sp_desktop.domain.choices import AttendanceStatus
    from sp_desktop.store.schema import prescriptions

    with ws.store.read() as conn:
        row = conn.execute(
            select(prescriptions.c.id, prescriptions.c.start_date)
            .where(prescriptions.c.status == "active").limit(1)
        ).first()
    if row is None:
        raise SystemExit("the demo caseload has no running activity to stop")
    ws.prescribing.record_attendance(
        row.id, max(row.start_date, date.today() - timedelta(days=1)),
        AttendanceStatus.STOPPED, "The bus no longer runs on Tuesdays")


if __name__ == "__main__":
    make(Path(sys.argv[1]), sys.argv[2])
