"""Where the UI used to find its settings; they are declared in `sp_desktop.services.settings`.

Kept only until every screen imports the services module directly (it is Qt-free, so the
printed documents and the demo store share the same declarations).
"""

from __future__ import annotations

from sp_desktop.services.settings import (
    ALL,
    CASELOAD_SORT_COLUMN,
    CASELOAD_SORT_DESCENDING,
    IDLE_MINUTES,
    SETTINGS_FILE,
    WINDOW_GEOMETRY,
    Setting,
    Settings,
)

__all__ = [
    "ALL",
    "CASELOAD_SORT_COLUMN",
    "CASELOAD_SORT_DESCENDING",
    "IDLE_MINUTES",
    "SETTINGS_FILE",
    "WINDOW_GEOMETRY",
    "Setting",
    "Settings",
]
