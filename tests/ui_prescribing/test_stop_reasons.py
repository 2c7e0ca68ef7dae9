"""Stopping an activity asks why, as a choice (counted in reports), with optional words."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.choices import PrescriptionStatus

from sp_desktop.ui.screens.prescription import PrescriptionScreen

from .conftest import STARTED, WAIT_MS, Journey, settle


def test_stopping_needs_why_and_keeps_the_detail(qtbot: QtBot, journey: Journey) -> None:
    session, ws = journey.session, journey.ws
    ws.prescribing.prescribe(journey.person_id, "lunch", STARTED)
    lunch = ws.prescribing.of_person(journey.person_id)[0].id
    screen = PrescriptionScreen(session)
    qtbot.addWidget(screen)
    screen.show()
    screen.show_person(journey.person_id, "Margaret Okafor")
    settle(qtbot, session)
    qtbot.waitUntil(lambda: screen.activities.rowCount() == 1, timeout=WAIT_MS)
    screen.activity_table.selectRow(0)

    qtbot.mouseClick(screen.stopped_button, Qt.MouseButton.LeftButton)
    settle(qtbot, session)
    field = screen.session_errors.fields["stopped_because"]
    qtbot.waitUntil(lambda: field.error.isVisible(), timeout=WAIT_MS)
    assert field.error.text() == "Please choose why they stopped."
    assert ws.prescribing.attendance_of(lunch) == []

    words = [screen.stop_choice.itemText(i) for i in range(screen.stop_choice.count())]
    assert "Getting there was too hard" in words
    screen.stop_choice.setCurrentIndex(screen.stop_choice.findData("transport"))
    qtbot.keyClicks(screen.stop_reason, "The 42 bus no longer runs")
    qtbot.mouseClick(screen.stopped_button, Qt.MouseButton.LeftButton)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: "Stopped" in screen.sessions.item(0).text(), timeout=WAIT_MS)
    assert screen.sessions.item(0).text().endswith(
        "Getting there was too hard — The 42 bus no longer runs")
    [fact] = ws.prescribing.attendance_of(lunch)
    assert (fact.stopped_because, fact.reason) == ("transport", "The 42 bus no longer runs")
    assert ws.prescribing.of_person(journey.person_id)[0].status is PrescriptionStatus.ENDED
