"""What the app asks before its unlock window appears, without loading the store's libraries.

SQLAlchemy, SQLCipher, Argon2 and the services take about a second to import on an ordinary
laptop; the unlock window needs none of them. `prepare` loads them on a worker thread while
the adviser types the passphrase, so pressing Enter finds them ready.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sp_desktop.store.files import store_exists as _store_exists

# Used right after unlocking: opening the store, the caseload, a person's page. Printing
# (reportlab, pdfium) and the directory are loaded when first used instead.
UNLOCK_MODULES = (
    "sp_desktop.services.workspace",
    "sp_desktop.store.database",
    "sp_desktop.store.changes",
    "sp_desktop.services.caseload",
    "sp_desktop.services.people",
    "sp_desktop.services.timeline",
    "sp_desktop.services.visit_summary",
    "sp_desktop.services.sync_status",
)


def store_exists(folder: Path) -> bool:
    """Whether `folder` holds a store (its key file), without opening or importing it."""
    return _store_exists(folder)


def prepare(modules: tuple[str, ...] = UNLOCK_MODULES) -> None:
    """Imports what unlocking needs (on a worker thread; imports are thread-safe)."""
    for name in modules:
        importlib.import_module(name)
