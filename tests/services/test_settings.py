"""Settings: declared once, typed, defaults when missing or damaged, nothing unknown saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.settings import (
    ALL,
    IDLE_MINUTES,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    WINDOW_GEOMETRY,
    Setting,
    Settings,
    problem,
)


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


def test_two_settings_objects_on_one_folder_never_undo_each_other(tmp_path: Path) -> None:
    """The window's Settings and a printout's must agree: a write keeps what the other saved."""
    window, printout = Settings.in_folder(tmp_path), Settings.in_folder(tmp_path)
    printout.set(LINK_WORKER_PHONE, "0115 496 0000")
    window.set(IDLE_MINUTES, 5)
    assert window.get(LINK_WORKER_PHONE) == "0115 496 0000"
    assert printout.get(IDLE_MINUTES) == 5
    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert saved == {"link_worker_phone": "0115 496 0000", "idle_minutes": 5}


@pytest.mark.parametrize(
    ("setting", "value", "fine"),
    [
        (LINK_WORKER_PHONE, "", True),
        (LINK_WORKER_PHONE, "0115 496 0000", True),
        (LINK_WORKER_PHONE, "(0115) 496-0000", True),
        (LINK_WORKER_PHONE, "+44 115 496 0000", True),
        (LINK_WORKER_PHONE, "0115 496", False),
        (LINK_WORKER_PHONE, "ring the office", False),
        (LINK_WORKER_PHONE, "0115 496 0000 / 0115 496 0001", False),
        (LINK_WORKER_EMAIL, "", True),
        (LINK_WORKER_EMAIL, "link.workers@example.org", True),
        (LINK_WORKER_EMAIL, "link.workers@example", False),
        (LINK_WORKER_EMAIL, "link workers@example.org", False),
        (LINK_WORKER_ORGANISATION, "Demo Link Workers", True),
        (LINK_WORKER_ORGANISATION, "x" * 81, False),
        (LINK_WORKER_ORGANISATION, "Two\nlines", False),
    ],
)
def test_work_contact_rules(setting: Setting[str], value: str, fine: bool) -> None:
    assert (problem(setting, value) == "") is fine


def test_a_broken_rule_is_refused_in_words_and_reads_as_blank(tmp_path: Path) -> None:
    settings = Settings.in_folder(tmp_path)
    with pytest.raises(ValidationError, match="too short") as caught:
        settings.set(LINK_WORKER_PHONE, "496")
    assert caught.value.field == "link_worker_phone"
    (tmp_path / "settings.json").write_text('{"link_worker_phone": "call me"}', encoding="utf-8")
    assert settings.get(LINK_WORKER_PHONE) == ""
