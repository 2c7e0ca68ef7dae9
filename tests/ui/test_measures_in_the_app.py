"""Measures as an adviser meets them: the scheme chooses them in Settings, the visit asks them
with one form each, signing saves them, and the person's page says then and now in words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QLabel

from sp_desktop.domain.choices import AssessmentContext
from sp_desktop.domain.measures import AnswerKind
from sp_desktop.services.settings import (
    MEASURES_AT_BASELINE,
    MEASURES_AT_REVIEW,
    Settings,
)

from sp_desktop.ui.dialogs.settings import SettingsDialog
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.rating import RatingButtons
from sp_desktop.ui.screens.wellbeing import CountAnswer

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, go_to_section, settle, unlock
from .test_visit_details import person_in_a_visit


def test_settings_choose_the_measures_and_say_which_need_registering(
    qtbot: QtBot, data_dir: Path
) -> None:
    settings = Settings.in_folder(data_dir)
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    boxes = dialog.measure_boxes
    assert boxes[(MEASURES_AT_BASELINE.key, "ons4")].isChecked()
    assert not boxes[(MEASURES_AT_REVIEW.key, "who5")].isChecked()
    names = [found.text() for found in dialog.findChildren(QLabel)]
    assert "SWEMWBS (your scheme must register to use it)" in names
    boxes[(MEASURES_AT_REVIEW.key, "who5")].setChecked(True)
    boxes[(MEASURES_AT_REVIEW.key, "ons4")].setChecked(False)
    dialog.show()
    click(qtbot, dialog.save_button)
    assert settings.get(MEASURES_AT_REVIEW) == "who5"
    assert settings.get(MEASURES_AT_BASELINE) == "ons4"


def test_the_visit_asks_the_chosen_measures_and_signing_saves_them(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path], data_dir: Path
) -> None:
    make_store()
    Settings.in_folder(data_dir).set(MEASURES_AT_BASELINE, "ons4, ons_loneliness, health_use")
    unlock(qtbot, window, PASSPHRASE)
    person_id = person_in_a_visit(qtbot, window)
    visit = window.visit
    go_to_section(qtbot, window, "Wellbeing questions")
    forms = visit.measure_forms
    assert set(forms) == {"ons4", "ons_loneliness", "health_use"}
    assert all(form.isVisible() for form in forms.values())
    # Counts cover the six months before the referral at the first visit.
    assert forms["health_use"].look_back.text() == "In the six months before you were referred:"
    for box in forms["ons4"].boxes.values():
        assert isinstance(box.rating, RatingButtons)
        click(qtbot, box.rating.buttons[6])
    lonely = forms["ons_loneliness"].boxes["lonely"]
    assert isinstance(lonely.rating, RatingButtons)
    assert [b.text() for b in lonely.rating.buttons][:2] == ["Often/always", "Some of the time"]
    click(qtbot, lonely.rating.buttons[1])
    assert lonely.meaning.text() == "Answer: Some of the time."
    for key, box in forms["health_use"].boxes.items():
        assert box.item.kind is AnswerKind.COUNT and isinstance(box.rating, CountAnswer)
        if key == "outpatient":
            box.rating.not_known.setChecked(True)
        else:
            box.rating.spin.setValue(2)
    assert all(form.complete for form in forms.values())
    go_to_section(qtbot, window, "Finish and sign")
    qtbot.waitUntil(lambda: "not saved yet" in visit.finish_view.toPlainText(), timeout=WAIT_MS)
    click(qtbot, visit.sign_button)
    settle(window, qtbot)
    qtbot.waitUntil(lambda: visit.summary is None, timeout=WAIT_MS)

    sittings = window.session.ws.wellbeing.sittings(person_id)
    assert {(s.measure, s.context) for s in sittings} == {
        ("ons4", AssessmentContext.BASELINE),
        ("ons_loneliness", AssessmentContext.BASELINE),
        ("health_use", AssessmentContext.BASELINE),
    }
    counts = next(s for s in sittings if s.measure == "health_use").answers
    assert counts == {"gp": 2, "ae": 2, "admissions": 2, "outpatient": None}

    window.show_person(person_id)
    settle(window, qtbot)
    panel = window.person.then_and_now
    qtbot.waitUntil(lambda: "lonely" in panel.text(), timeout=WAIT_MS)
    assert "You said you felt lonely some of the time." in panel.text()
    assert "How satisfied you are with your life: medium (6 out of 10)." in panel.text()
