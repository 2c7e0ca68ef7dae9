"""Run as a child process by test_draft_resume: the real app, unlocked and typed into through
QTest, mid-visit; it prints TYPED, then SAVED once autosave has written the draft, and carries
on running until the test kills it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from sp_desktop import app as sp_app  # noqa: E402

NOTES = "She used to sing in the church choir and misses it"
CONCERN = "Nobody to sing with"
BACK = 6  # the adviser moved the cursor back before the app died


def wait(condition: object, msecs: int = 20_000) -> None:
    waited = 0
    while not condition():  # type: ignore[operator]
        QTest.qWait(20)
        waited += 20
        if waited > msecs:
            print("TIMEOUT", flush=True)
            sys.exit(3)


def drive(window: sp_app.MainWindow, passphrase: str) -> None:
    wait(lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible())
    dialog = window.unlock_dialog
    assert dialog is not None
    QTest.keyClicks(dialog.passphrase, passphrase)
    QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    wait(lambda: window.caseload.model.rowCount() > 0)
    window.show_person(window.caseload.model.person_id(0))
    wait(lambda: window.person.overview is not None and window.person.visit_button.isEnabled())
    QTest.mouseClick(window.person.visit_button, Qt.MouseButton.LeftButton)
    wait(lambda: window.visit.summary is not None)
    window.visit.sections.setCurrentRow(1)
    page = window.visit.domain_pages[0]
    QTest.keyClicks(page.concern_words, CONCERN)
    QTest.mouseClick(page.severity.buttons[6], Qt.MouseButton.LeftButton)
    page.notes.setFocus()
    QTest.keyClicks(page.notes, NOTES, Qt.KeyboardModifier.NoModifier, 5)
    for _ in range(BACK):
        QTest.keyClick(page.notes, Qt.Key.Key_Left)
    print("TYPED", flush=True)
    # The autosave timer (AUTOSAVE_MS) fires by itself; the parent kills us once the draft as
    # it stands now has reached the store, whatever this machine's speed.
    visit = window.visit
    wait(
        lambda: visit.draft_content() == visit._last_draft
        and visit.saved_state.text().startswith("Saved at")
        and not window.session.tasks.busy
    )
    print("SAVED", flush=True)


def main() -> int:
    data_dir, passphrase = Path(sys.argv[1]), sys.argv[2]
    app = sp_app.application()
    window = sp_app.build(data_dir)
    window.start()
    QTimer.singleShot(0, lambda: drive(window, passphrase))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
