"""The closing review asks the measures the scheme chose for the end, and saves them as the
exit answers with the rest of the review."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from sp_desktop.domain.choices import AssessmentContext, ClosingOutcome
from sp_desktop.services.settings import MEASURES_AT_EXIT

from sp_desktop.ui.dialogs.closing_review import ClosingReviewDialog
from sp_desktop.ui.rating import RatingButtons

from .conftest import WAIT_MS, Journey, settle


def test_the_closing_review_asks_and_saves_the_exit_measures(
    qtbot: QtBot, journey: Journey
) -> None:
    journey.session.settings.set(MEASURES_AT_EXIT, "ons4, ons_loneliness")
    review = ClosingReviewDialog(journey.session, journey.person_id, "Margaret Okafor")
    qtbot.addWidget(review)
    review.open()
    review.load()
    settle(qtbot, journey.session)
    assert set(review.exit_forms) == {"ons_loneliness"}
    lonely = review.exit_forms["ons_loneliness"].boxes["lonely"].rating
    assert isinstance(lonely, RatingButtons)
    for box, answer in zip(review.wellbeing.boxes.values(), (7, 8, 7, 3), strict=True):
        qtbot.mouseClick(box.rating.buttons[answer], Qt.MouseButton.LeftButton)  # type: ignore[union-attr]
    qtbot.mouseClick(lonely.buttons[3], Qt.MouseButton.LeftButton)  # "Hardly ever"
    review.outcome.setCurrentIndex(review.outcome.findData(ClosingOutcome.COMPLETED.value))
    qtbot.waitUntil(lambda: review.save_button.isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, journey.session)
    qtbot.waitUntil(lambda: review.result() == QDialog.DialogCode.Accepted, timeout=WAIT_MS)

    sittings = journey.ws.wellbeing.sittings(journey.person_id)
    exits = {s.measure: s for s in sittings if s.context is AssessmentContext.EXIT}
    assert set(exits) == {"ons4", "ons_loneliness"}
    assert exits["ons_loneliness"].answers == {"lonely": 4}
