"""A read-only place says "read-only" and a full disk says "disk full", never "damaged".

Both need a real file system that refuses writes, so each test runs a child process in its own
mount namespace (`unshare -m`) on a small tmpfs: remounted read-only, or too small to grow.
Root is needed for that (as in CI); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.store.test_damage import fill

CHILD = textwrap.dedent(
    """
    import subprocess, sys
    from datetime import date
    from pathlib import Path
    from sp_desktop.services.workspace import Workspace
    from sp_desktop.store.errors import StoreError
    folder, passphrase, case = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    saved = 0
    try:
        ws = Workspace.open(folder, passphrase)
        try:
            while case == "full":
                ws.people.create(given_name=f"Filler{saved}", family_name="Filler",
                                 address="x" * 450,
                                 date_of_birth=date(1950, 1, 1))
                saved += 1
        finally:
            ws.close()
        print("opened")
    except StoreError as exc:
        print(f"{type(exc).__name__}: {exc}")
    print(f"count {saved}")
    """
)


def _mounts_allowed() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


needs_mounts = pytest.mark.skipif(
    not _mounts_allowed(), reason="needs root and mount namespaces (unshare -m), as in CI"
)


def _in_namespace(store: Path, size_kib: int, read_only: bool, case: str) -> str:
    mount_point = store.parent / "mnt"
    mount_point.mkdir()
    remount = f"mount -o remount,ro {mount_point} &&" if read_only else ""
    script = (
        f"mount -t tmpfs -o size={size_kib}k tmpfs {mount_point} && "
        f"cp -r {store} {mount_point}/store && {remount} "
        f"{sys.executable} -c \"$CHILD\" {mount_point}/store \"$PASS\" {case}; "
        f"SP_DESKTOP_PASSPHRASE=\"$PASS\" {sys.executable} -m sp_desktop.cli check "
        f"--data-dir {mount_point}/store; echo \"exit $?\""
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "CHILD": CHILD, "PASS": PASSPHRASE},
    )
    return done.stdout + done.stderr


@needs_mounts
def test_a_read_only_store_says_read_only(workspace: Workspace, store_dir: Path) -> None:
    fill(workspace)
    workspace.close()
    told = _in_namespace(store_dir, 16 * 1024, read_only=True, case="open")
    assert "StoreReadOnly:" in told and "(read-only)" in told
    assert "damaged" not in told and "Traceback" not in told
    assert "exit 2" in told  # `check` says the same, as a message


@needs_mounts
def test_a_full_disk_says_disk_full_and_keeps_what_was_saved(
    workspace: Workspace, store_dir: Path
) -> None:
    fill(workspace)
    workspace.close()
    used = sum(p.stat().st_size for p in store_dir.rglob("*") if p.is_file())
    told = _in_namespace(store_dir, used // 1024 + 600, read_only=False, case="full")
    assert "DiskFull:" in told and "(disk full)" in told
    assert "damaged" not in told and "Traceback" not in told
    saved = int(told.split("count ")[1].split()[0])
    assert saved > 0, told  # it did write until the disk was full
    assert "The store is healthy." in told  # and what it saved is whole
