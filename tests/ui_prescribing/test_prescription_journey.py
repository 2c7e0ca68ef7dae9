"""Driving a prescription as an adviser would: choose activities, follow up, close the case."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from sp_desktop.domain.choices import ClosingOutcome, PrescriptionStatus, ProviderReferral
from sp_desktop.domain.wellbeing import AssessmentContext
from sp_desktop.services.caseload import Stage

from sp_desktop.ui.dialogs.closing_review import ClosingReviewDialog
from sp_desktop.ui.screens.directory import DirectoryScreen
from sp_desktop.ui.screens.prescription import (
    FollowUpDialog,
    PrescribeDialog,
    PrescriptionScreen,
)

from .conftest import WAIT_MS, Journey, settle


def click(qtbot: QtBot, button: object) -> None:
    assert button.isEnabled(), f"{button.text()!r} is not enabled"  # type: ignore[attr-defined]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def texts(model: object, column: int) -> list[str]:
    return [
        model.data(model.index(row, column))  # type: ignore[attr-defined]
        for row in range(model.rowCount())  # type: ignore[attr-defined]
    ]


def test_from_choosing_activities_to_the_closing_review(qtbot: QtBot, journey: Journey) -> None:
    session = journey.session
    screen = PrescriptionScreen(session)
    qtbot.addWidget(screen)
    screen.show()
    screen.show_person(journey.person_id, "Margaret Okafor")
    settle(qtbot, session)
    assert screen.title.text() == "Activities for Margaret Okafor"
    assert screen.activities.rowCount() == 0

    # --- choose two activities by typing and pressing Space ---------------------------------
    dialog = screen.open_prescribe()
    assert isinstance(dialog, PrescribeDialog)
    settle(qtbot, session)
    assert dialog.search.model.rowCount() == 3
    qtbot.keyClicks(dialog.search.words, "lunch")
    qtbot.waitUntil(lambda: dialog.search.model.rowCount() == 1, timeout=WAIT_MS)
    qtbot.keyClick(dialog.search.words, Qt.Key.Key_Return)  # to the first result
    assert dialog.focusWidget() is dialog.search.table
    assert "Tuesdays" in dialog.search.details.text()
    qtbot.keyClick(dialog.search.table, Qt.Key.Key_Space)
    dialog.search.words.clear()
    qtbot.keyClicks(dialog.search.words, "garden volunteer")
    qtbot.keyClick(dialog.search.words, Qt.Key.Key_Return)  # before the results are in
    qtbot.waitUntil(
        lambda: (
            dialog.search.current_service() is not None
            and dialog.search.current_service().id == "garden"
        ),  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
    qtbot.keyClick(dialog.search.table, Qt.Key.Key_Space)
    assert [dialog.chosen.item(i).text() for i in range(dialog.chosen.count())] == [
        "Lunch Club, Fernside",
        "Garden Volunteers, Fernside",
    ]
    dialog.chosen.item(0).setCheckState(Qt.CheckState.Checked)  # go with her the first time
    assert dialog.save_button.text() == "Prescribe 2 activities"
    assert dialog.weeks.value() == 12
    click(qtbot, dialog.save_button)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: screen.activities.rowCount() == 2, timeout=WAIT_MS)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert texts(screen.activities, 0) == ["Lunch Club, Fernside", "Garden Volunteers, Fernside"]
    assert texts(screen.activities, 3) == ["To send", "To send"]
    whats = texts(screen.follow_ups, 1)
    assert whats.count("Review: Lunch Club, Fernside") == 2
    assert "End-of-prescription review: Garden Volunteers, Fernside" in whats
    by_service = {p.service_id: p for p in journey.ws.prescribing.of_person(journey.person_id)}
    assert by_service["lunch"].accompany_first and not by_service["garden"].accompany_first

    # --- the provider puts her on a waiting list -------------------------------------------
    screen.activity_table.selectRow(1)
    assert screen.hours_box.isVisible()  # volunteering: hours can be logged
    screen.referral.setCurrentIndex(screen.referral.findData(ProviderReferral.WAITING_LIST.value))
    assert screen.waiting_weeks.isEnabled() and not screen.declined_reason.isEnabled()
    screen.waiting_weeks.setValue(3)
    click(qtbot, screen.referral_button)
    settle(qtbot, session)
    qtbot.waitUntil(
        lambda: texts(screen.activities, 3)[1] == "On waiting list (3 weeks)", timeout=WAIT_MS
    )

    # --- she went, and gave two and a half hours ---------------------------------------------
    screen.activity_table.selectRow(1)
    click(qtbot, screen.attended_button)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: "Attended" in screen.sessions.item(0).text(), timeout=WAIT_MS)
    screen.hours.setValue(2.5)
    click(qtbot, screen.hours_button)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: screen.hours_total.text() == "2.5 hours given so far", timeout=WAIT_MS)

    # --- stopping without a reason is refused beside the field -------------------------------
    screen.activity_table.selectRow(0)
    assert not screen.hours_box.isVisible()
    qtbot.keyClicks(screen.stop_reason, "Her knees")  # detail alone is not enough
    click(qtbot, screen.stopped_button)
    settle(qtbot, session)
    field = screen.session_errors.fields["stopped_because"]
    qtbot.waitUntil(lambda: field.error.isVisible(), timeout=WAIT_MS)
    assert field.error.text() == "Please choose why they stopped."
    assert screen.stop_reason.text() == "Her knees"  # nothing typed is dropped
    assert screen.stop_choice.accessibleName() == "Why did they stop?"
    assert screen.sessions.item(0).text() == "No sessions recorded yet."
    # A reason chosen and "Went" pressed: said in words, nothing recorded.
    screen.stop_choice.setCurrentIndex(screen.stop_choice.findData("health"))
    click(qtbot, screen.attended_button)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: field.error.isVisible(), timeout=WAIT_MS)
    assert field.error.text().startswith("A reason for stopping is only given when")
    assert journey.ws.prescribing.attendance_of(by_service["lunch"].id) == []

    # --- the first review is done, with notes -----------------------------------------------
    open_rows = [r for r in range(screen.follow_ups.rowCount())
                 if screen.follow_ups.follow_up(r).is_open]  # fmt: skip
    screen.follow_up_table.selectRow(open_rows[0])
    follow_up_id = screen.follow_ups.follow_up(open_rows[0]).id
    done = screen._mark_done()
    assert isinstance(done, FollowUpDialog)
    qtbot.keyClicks(done.notes, "Loves the lunches, has made a friend")
    click(qtbot, done.ok)
    settle(qtbot, session)
    qtbot.waitUntil(
        lambda: any(
            f.id == follow_up_id and not f.is_open
            for f in (screen.follow_ups.follow_up(r) for r in range(screen.follow_ups.rowCount()))
        ),
        timeout=WAIT_MS,
    )

    # --- the closing review ----------------------------------------------------------------
    asked: list[str] = []
    screen.close_case.connect(asked.append)
    click(qtbot, screen.close_button)
    assert asked == [journey.person_id]
    review = ClosingReviewDialog(session, journey.person_id, "Margaret Okafor", screen)
    qtbot.addWidget(review)
    review.open()
    review.load()
    settle(qtbot, session)
    qtbot.waitUntil(lambda: review.save_button.isEnabled(), timeout=WAIT_MS)
    assert set(review.carries_on) == {p.id for p in by_service.values()}

    click(qtbot, review.save_button)  # wellbeing not answered yet: refused, nothing saved
    assert review.top_error.isVisible() or review.errors.fields["exit_scores"].error.isVisible()
    assert journey.ws.closing.closing_review_of(journey.person_id) is None

    for box, answer in zip(review.wellbeing.boxes.values(), (7, 8, 7, 3), strict=True):
        click(qtbot, box.rating.buttons[answer])
    click(qtbot, review.step_ratings[journey.step_id].buttons[9])
    click(qtbot, review.concern_ratings[journey.concern_id].buttons[2])
    review.outcome.setCurrentIndex(review.outcome.findData(ClosingOutcome.COMPLETED.value))
    qtbot.keyClicks(review.reason, "Settled at the lunch club")
    review.carries_on[by_service["lunch"].id].setChecked(True)
    click(qtbot, review.save_button)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: review.result() == QDialog.DialogCode.Accepted, timeout=WAIT_MS)

    ws = journey.ws
    closing = ws.closing.closing_review_of(journey.person_id)
    assert closing is not None
    assert (closing.outcome, closing.reason, closing.carries_on) == (
        ClosingOutcome.COMPLETED,
        "Settled at the lunch club",
        True,
    )
    assert ws.wellbeing.history(journey.person_id)[-1].context is AssessmentContext.EXIT
    assert ws.visits.steps_of(journey.person_id)[0].progress == 9
    assert ws.visits.concerns_of(journey.person_id)[0].severity == 2
    ended = {p.service_id: p for p in ws.prescribing.of_person(journey.person_id)}
    assert ended["lunch"].status is PrescriptionStatus.ENDED and ended["lunch"].carries_on
    assert ended["garden"].carries_on is False
    row = ws.caseload.rows(frozenset({journey.person_id}))[0]
    assert (row.stage, row.next_due) == (Stage.CLOSED, None)
    qtbot.waitUntil(lambda: texts(screen.activities, 4)[0].startswith("Ended on"), timeout=WAIT_MS)
    assert texts(screen.activities, 4)[0] == f"Ended on {_nice(date.today())} — carrying on"


def _nice(day: date) -> str:
    from sp_desktop.ui.fields import nice_date

    return nice_date(day)


def test_directory_screen_filters_and_reports_a_broken_import(
    qtbot: QtBot, journey: Journey, tmp_path: object
) -> None:
    from pathlib import Path

    session = journey.session
    screen = DirectoryScreen(session)
    qtbot.addWidget(screen)
    screen.show()
    screen.start()
    settle(qtbot, session)
    search = screen.search
    assert search.model.rowCount() == 3
    assert [search.area.itemText(i) for i in range(search.area.count())] == [
        "Any area",
        "Fernside",
        "Greystone",
    ]
    search.free_only.setChecked(True)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: search.model.rowCount() == 2, timeout=WAIT_MS)
    search.area.setCurrentIndex(search.area.findData("Greystone"))
    qtbot.waitUntil(lambda: search.count.text() == "1 activity found", timeout=WAIT_MS)

    broken = Path(str(tmp_path)) / "broken.csv"
    broken.write_bytes("id,name,status,category\nx,Café club,active,Bingo\n".encode("latin-1"))
    dialog = screen.open_import(broken)
    settle(qtbot, session)
    qtbot.waitUntil(lambda: dialog.problems.isVisible(), timeout=WAIT_MS)
    assert "Nothing was imported" in dialog.summary.text()
    assert dialog.problems.count() == 2  # the kind of problem, then the file's line 2
    assert "line 2" in dialog.problems.item(1).text() and "UTF-8" in dialog.problems.item(1).text()
    assert not dialog.import_button.isEnabled()
    dialog.reject()
    QApplication.processEvents()


def test_the_models_behave_as_qt_expects(
    qtbot: QtBot, journey: Journey, qtmodeltester: object
) -> None:
    from sp_desktop.services.directory import directory_of

    from sp_desktop.ui.screens.directory import ServicesModel
    from sp_desktop.ui.screens.prescription import ActivitiesModel, FollowUpsModel

    ws = journey.ws
    ws.prescribing.prescribe_many(journey.person_id, ["lunch", "garden"], date.today())
    services = ServicesModel(choosing=True)
    services.set_services(directory_of(ws).search())
    activities = ActivitiesModel()
    activities.set_details(ws.prescribing.details(journey.person_id))
    follow_ups = FollowUpsModel()
    follow_ups.set_follow_ups(ws.prescribing.follow_ups_of(journey.person_id), {})
    for model in (services, activities, follow_ups):
        qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert services.setData(
        services.index(0, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    assert [s.id for s in services.chosen] == [services.service(0).id]
