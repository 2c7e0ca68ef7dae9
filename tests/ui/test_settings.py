"""Settings: declared once, typed, defaults when missing or damaged, nothing unknown saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sp_desktop.ui.settings import ALL, IDLE_MINUTES, WINDOW_GEOMETRY, Settings


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = Settings.in_folder(tmp_path)
    assert settings.get(IDLE_MINUTES) == 10
    assert settings.get(WINDOW_GEOMETRY) == ""


def test_values_survive_a_restart(tmp_path: Path) -> None:
    Settings.in_folder(tmp_path).set(IDLE_MINUTES, 5)
    assert Settings.in_folder(tmp_path).get(IDLE_MINUTES) == 5


@pytest.mark.parametrize("bad", [0, 61, "5", True, None])
def test_wrong_values_are_refused(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ValueError):
        Settings.in_folder(tmp_path).set(IDLE_MINUTES, bad)  # type: ignore[arg-type]


def test_a_damaged_or_odd_file_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{not json", encoding="utf-8")
    assert Settings.in_folder(tmp_path).get(IDLE_MINUTES) == 10
    (tmp_path / "settings.json").write_text('{"idle_minutes": "ten"}', encoding="utf-8")
    assert Settings.in_folder(tmp_path).get(IDLE_MINUTES) == 10


def test_only_declared_settings_are_written(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"someone": "Zoë Brown"}', encoding="utf-8")
    settings = Settings.in_folder(tmp_path)
    settings.set(IDLE_MINUTES, 7)
    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert saved == {"idle_minutes": 7}


def test_every_setting_has_a_description() -> None:
    assert all(s.description and isinstance(s.default, s.kind) for s in ALL)
