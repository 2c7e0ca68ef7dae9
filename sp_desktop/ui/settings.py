"""The app's non-personal settings, each declared once with its type, default and description.

Kept as JSON beside the store in the data folder. Personal data never goes here: this file is
not encrypted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T", int, str, bool)

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    key: str
    kind: type[T]
    default: T
    description: str
    minimum: int | None = None
    maximum: int | None = None


IDLE_MINUTES: Setting[int] = Setting(
    "idle_minutes",
    int,
    10,
    "Minutes without use before SP Desktop locks itself and hides everyone's details.",
    minimum=1,
    maximum=60,
)
WINDOW_GEOMETRY: Setting[str] = Setting(
    "window_geometry", str, "", "Where the main window was and how big (Qt's saved form)."
)
CASELOAD_SORT_COLUMN: Setting[int] = Setting(
    "caseload_sort_column", int, 0, "Which caseload column the list is sorted by.", 0, 4
)
CASELOAD_SORT_DESCENDING: Setting[bool] = Setting(
    "caseload_sort_descending", bool, False, "Whether the caseload is sorted in reverse."
)

ALL: tuple[Setting[Any], ...] = (
    IDLE_MINUTES,
    WINDOW_GEOMETRY,
    CASELOAD_SORT_COLUMN,
    CASELOAD_SORT_DESCENDING,
)


class Settings:
    """Typed access to the settings file; a missing or unreadable file means the defaults."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._values: dict[str, Any] = {}
        if path is not None and path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._values = loaded
            except (OSError, ValueError):
                log.warning("settings file unreadable; using defaults")

    @classmethod
    def in_folder(cls, folder: Path) -> Settings:
        return cls(folder / SETTINGS_FILE)

    def get(self, setting: Setting[T]) -> T:
        value: Any = self._values.get(setting.key, setting.default)
        if type(value) is not setting.kind or not self._in_range(setting, value):
            return setting.default
        typed: T = value
        return typed

    def set(self, setting: Setting[T], value: T) -> None:
        if type(value) is not setting.kind or not self._in_range(setting, value):
            raise ValueError(f"{setting.key}: {value!r} is not allowed")
        self._values[setting.key] = value
        self._save()

    @staticmethod
    def _in_range(setting: Setting[Any], value: object) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return True
        low = setting.minimum if setting.minimum is not None else value
        high = setting.maximum if setting.maximum is not None else value
        return bool(low <= value <= high)

    def _save(self) -> None:
        if self.path is None:
            return
        known = {s.key for s in ALL}
        body = json.dumps({k: v for k, v in self._values.items() if k in known}, indent=2)
        temporary = self.path.with_suffix(".tmp")
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(body, encoding="utf-8")
            os.replace(temporary, self.path)
