"""What an unlock loads: the store and the caseload, not the libraries of printing, exporting,
talking to the office or choosing a passphrase (~40 MiB an adviser pays for only when used)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sp_desktop.services.demo import populate
from sp_desktop.services.workspace import Workspace
from tests.conftest import FAST_KDF, PASSPHRASE

NOT_BEFORE_USE = (
    "httpx",
    "rich",
    "zxcvbn",
    "reportlab",
    "pypdfium2",
    "PIL",
    "alembic",
    "fhir",
    "scipy",
    "numpy",
    "openpyxl",
    "jinja2",
)
# The laptop's own screens and exports that load when first used: printing, exporting a
# record, prescribing and the directory (the person screen offers them but used to import them
# with itself, ~4 MiB). The workspace's directory service loads its file readers at unlock.
PARTS_NOT_BEFORE_USE = (
    "PySide6.QtPrintSupport",
    "sp_desktop.interchange.records",
    "sp_desktop.interchange.fhir",
    "sp_desktop.ui.dialogs.print_preview",
    "sp_desktop.ui.screens.prescription",
    "sp_desktop.ui.screens.directory",
)

UNLOCK = """
import sys
from pathlib import Path
from sp_desktop.app import build, application
application()
window = build(Path(sys.argv[1]), route_errors=False)
from sp_desktop.ui.main_window import _prepare_modules
_prepare_modules()
from sp_desktop.services.workspace import Workspace
ws = Workspace.open(Path(sys.argv[1]), sys.argv[2], check_pages_later=True)
assert ws.caseload.rows()
ws.lease_warning()
ws.check_and_back_up()
from sp_desktop.services.sync_status import read_overview
read_overview(ws.store)
ws.close()
print(" ".join(sorted(sys.modules)))
"""


def test_unlocking_to_the_caseload_loads_no_printing_sync_or_passphrase_libraries(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "store"
    ws, _ = Workspace.create(folder, PASSPHRASE, adviser="Ada Adviser", params=FAST_KDF)
    populate(ws, 3, seed=2)
    ws.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", UNLOCK, str(folder), PASSPHRASE],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set(done.stdout.split())
    loaded = {name.split(".")[0] for name in modules}
    assert "sqlalchemy" in loaded  # the script did unlock
    assert "sp_desktop.ui.screens.person" in modules  # and loaded the screens after unlock
    assert loaded.isdisjoint(NOT_BEFORE_USE), sorted(loaded & set(NOT_BEFORE_USE))
    early = sorted(name for name in modules if name.startswith(PARTS_NOT_BEFORE_USE))
    assert not early, early
