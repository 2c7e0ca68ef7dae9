"""Opens every window and dialog of the app on one simulated screen and checks each fits.

Run as `python -m tests.ui_fit.sweep WIDTHxHEIGHT SCALE` (one process per screen: Qt reads its
scale factor once). The screen is the offscreen platform's, configured by a JSON file (Qt's
offscreen plugin takes `configfile=`; it has no `size=` option), with a taskbar's height taken
off as on a real laptop. Prints one JSON object: the screen, every window state checked, and the
problems found in words.

What "fits" means, for each window state:
- the window, with room for the window manager's title bar, lies inside the available area;
- every visible button lies inside the window and is shown whole, or is brought whole into
  view by scrolling its scroll area (buttons hidden in a toolbar's overflow count as cut off);
- no label shows less than its text needs (cut words or descenders);
- no button is narrower than its words.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date
from pathlib import Path
from typing import Any

TASKBAR = 40  # a Windows taskbar at 100 %, in the screen's own pixels (it scales too)
POINT_SIZE = 11  # a common laptop setting (Linux desktops' default; larger than Windows' 9)
PASSPHRASE = "demo kettle violet harbour"


def configure(width: int, height: int, scale: float, folder: Path) -> None:
    """Sets the environment for Qt before it is imported: the screen and the scale factor."""
    taskbar = round(TASKBAR * scale)
    screen = {
        "name": "laptop", "x": 0, "y": 0, "width": width, "height": height - taskbar,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1.0,
    }  # fmt: skip
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    os.environ.pop("QT_SCREEN_SCALE_FACTORS", None)
    os.environ.pop("QT_AUTO_SCREEN_SCALE_FACTOR", None)


@dataclass
class Findings:
    """Every window state checked, the classes of window opened, and the problems found."""

    checked: list[str] = default(default_factory=list)
    classes: set[str] = default(default_factory=set)
    problems: list[str] = default(default_factory=list)


def _where(widget: Any) -> str:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    words = ""
    if isinstance(widget, (QAbstractButton, QLabel)):
        words = widget.text().replace("\n", " ")[:48]
    name = widget.accessibleName() or widget.objectName()
    return f"{type(widget).__name__} {words or name!r}"


def problems_of(window: Any) -> list[str]:
    """What an adviser could not reach or read in `window` as it is shown now."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import (
        QAbstractButton,
        QApplication,
        QLabel,
        QLineEdit,
        QScrollArea,
        QToolBar,
        QWidget,
    )

    from sp_desktop.ui.fit import TITLE_BAR

    QApplication.processEvents()
    found: list[str] = []
    screen = window.screen().availableGeometry()
    inside = window.geometry()
    framed = QRect(
        inside.left() - 1, inside.top() - TITLE_BAR, inside.width() + 2, inside.height() + TITLE_BAR
    )
    if not screen.contains(framed):
        found.append(
            f"window {inside.width()}x{inside.height()} at ({inside.x()},{inside.y()}) with its "
            f"title bar is not inside the screen's available {screen.width()}x{screen.height()}"
        )
    whole = window.rect()

    def shown(widget: QWidget) -> bool:
        return widget.isVisibleTo(window) and widget.isVisible()

    def cut(widget: QWidget) -> bool:
        return widget.visibleRegion().boundingRect() != widget.rect()

    for bar in window.findChildren(QToolBar):
        if not shown(bar):
            continue
        for action in bar.actions():
            button = bar.widgetForAction(action)
            if action.isVisible() and action.text() and (button is None or not shown(button)):
                found.append(f"toolbar {action.text()!r} is hidden in the toolbar's overflow")
    for button in window.findChildren(QAbstractButton):
        if not shown(button) or button.window() is not window:
            continue
        if type(button).__name__ == "QToolBarExtension":
            continue
        place = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        if cut(button):
            # A list that scrolls inside a scrolling form (the person form's conditions):
            # scrolled as the adviser would, the inner list first, then the form.
            for area in _scroll_areas_of(button):
                area.ensureWidgetVisible(button, 0, 0)
                QApplication.processEvents()
            if cut(button):
                found.append(f"{_where(button)} is cut off (shown {_shown_part(button)})")
                continue
        elif not whole.contains(place):
            found.append(f"{_where(button)} lies outside the window")
        in_field = isinstance(button.parentWidget(), QLineEdit)  # an icon inside a field
        if button.width() + 1 < button.minimumSizeHint().width() and button.text() and not in_field:
            found.append(
                f"{_where(button)} is {button.width()} wide, its words need "
                f"{button.minimumSizeHint().width()}"
            )
    for text in window.findChildren(QLabel):
        if not shown(text) or text.window() is not window or not text.text():
            continue
        if text.pixmap() is not None and not text.pixmap().isNull():
            continue
        if isinstance(text.parentWidget(), QScrollArea):
            continue
        needed = text.sizeHint() if not text.wordWrap() else None
        height = text.heightForWidth(text.width()) if text.wordWrap() else needed.height()
        width = needed.width() if needed is not None else 0
        if height > text.height() + 1 or width > text.width() + 1:
            found.append(
                f"{_where(text)} is {text.width()}x{text.height()}, its words need "
                f"{max(width, text.width())}x{height}"
            )
    found.extend(unnamed_inputs(window))
    return found


def unnamed_inputs(window: Any) -> list[str]:
    """Inputs a screen reader would announce by their value, or by a name other than the
    label beside them."""
    from PySide6.QtWidgets import (
        QAbstractSpinBox,
        QComboBox,
        QFormLayout,
        QLabel,
        QLineEdit,
        QPlainTextEdit,
        QTextEdit,
        QWidget,
    )

    from sp_desktop.ui.fields import FieldWithError
    from sp_desktop.ui.form import spoken

    found: list[str] = []
    inputs = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox)
    for field in window.findChildren(QWidget):
        if not isinstance(field, inputs):
            continue
        if not field.isVisible() or field.window() is not window:
            continue
        if isinstance(field, QLineEdit) and isinstance(
            field.parentWidget(), (QAbstractSpinBox, QComboBox)
        ):
            continue
        names = [n for n in announced(field) if n.strip()]
        value = field.currentText() if isinstance(field, QComboBox) else None
        if not names:
            found.append(f"{type(field).__name__} has no accessible name")
        elif value is not None and all(n == value for n in names):
            found.append(f"combo box is announced by its value {value!r}, not what it asks")
    for form in window.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            caption = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if caption is None or item is None or not isinstance(caption.widget(), QLabel):
                continue
            field = item.widget()
            if isinstance(field, FieldWithError):
                field = field.field
            if not isinstance(field, inputs) or not field.isVisible():
                continue
            said = spoken(caption.widget().text()).lower()
            names = [n.lower() for n in announced(field) if n.strip()]
            if said and not any(said in n or n in said for n in names):
                found.append(f"the field labelled {said!r} is announced as {names!r}")
    return found


def announced(field: Any) -> list[str]:
    """What a screen reader says a field is: its accessible name and the labels that name it
    (on Linux a combo box's name is its value, and its label comes through this relation)."""
    from PySide6.QtGui import QAccessible

    interface = QAccessible.queryAccessibleInterface(field)
    if interface is None:
        return []
    names = [interface.text(QAccessible.Text.Name)]
    for other, _relation in interface.relations(QAccessible.Relation.Label):
        names.append(other.text(QAccessible.Text.Name))
    return names


def _shown_part(widget: Any) -> str:
    part = widget.visibleRegion().boundingRect()
    return f"{part.width()}x{part.height()} of {widget.width()}x{widget.height()}"


def _scroll_areas_of(widget: Any) -> list[Any]:
    """Every scroll area holding the widget, innermost first."""
    from PySide6.QtWidgets import QScrollArea

    found = []
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            found.append(parent)
        parent = parent.parentWidget()
    return found


class Sweep:
    """Drives the app as an adviser would and checks each window as it appears."""

    def __init__(self, folder: Path, findings: Findings) -> None:
        from sp_desktop.app import build
        from sp_desktop.services.demo import create_demo_store
        from sp_desktop.services.workspace import Argon2Params

        self.params = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
        self.findings = findings
        ws = create_demo_store(folder, PASSPHRASE, 40, params=self.params)
        ws.close()
        self.window = build(folder, argon2_params=self.params, route_errors=False)
        self.window.session.tasks.on_error = lambda e: findings.problems.append(
            f"the app failed: {type(e).__name__}: {e}"
        )

    # --- driving ---------------------------------------------------------------------------

    def wait(self, condition: Callable[[], bool], seconds: float = 20) -> None:
        from PySide6.QtTest import QTest

        end = time.monotonic() + seconds
        while not condition():
            QTest.qWait(10)
            if time.monotonic() > end:
                raise TimeoutError("the app did not get there in time")

    def settle(self) -> None:
        from PySide6.QtTest import QTest

        self.wait(lambda: not self.window.session.tasks.busy)
        QTest.qWait(30)

    def opened(self, kind: type[Any], parent: Any = None) -> Any:
        owner = parent or self.window
        self.wait(lambda: any(w.isVisible() for w in owner.findChildren(kind)))
        self.settle()
        return next(w for w in owner.findChildren(kind) if w.isVisible())

    def check(self, name: str, window: Any) -> None:
        self.settle()
        self.findings.checked.append(name)
        self.findings.classes.add(type(window).__name__)
        self.findings.problems.extend(f"{name}: {p}" for p in problems_of(window))

    @contextmanager
    def dialog(self, name: str, open_it: Callable[[], Any], kind: type[Any]) -> Iterator[Any]:
        """Opens a dialog, checks it, lets the caller go further, then closes it."""
        open_it()
        shown = self.opened(kind)
        self.check(name, shown)
        yield shown
        if shown.isVisible():
            shown.done(0)
        self.settle()

    # --- the tour --------------------------------------------------------------------------

    def run(self) -> None:
        from PySide6.QtWidgets import QDialog

        from sp_desktop.ui.dialogs.unlock import UnlockDialog

        window = self.window
        window.start()
        unlock = self.opened(UnlockDialog)
        self.check("main window, locked", window)
        self.check("unlock", unlock)
        self.recovery()
        unlock.passphrase.setText(PASSPHRASE)
        unlock.unlock_button.click()
        self.wait(lambda: window.session.is_unlocked)
        self.wait(lambda: window.caseload.model.rowCount() > 0)
        self.settle()
        for extra in [w for w in window.findChildren(QDialog) if w.isVisible()]:
            self.check(type(extra).__name__, extra)
            extra.done(0)
        self.check("main window, caseload", window)
        self.first_run()
        self.people()
        self.visit()
        self.activities()
        self.directory()
        self.office_and_settings()
        self.messages()
        self.end_of_day()

    def end_of_day(self) -> None:
        """Lock with a visit left unsigned (the one the tour started): what is left is listed."""
        try:
            from sp_desktop.ui.dialogs.end_of_day import EndOfDayDialog
        except ImportError:  # not in every version of the app
            return
        with self.dialog("end of the day", self.window.lock_when_done, EndOfDayDialog):
            pass

    def recovery(self) -> None:
        from sp_desktop.ui.dialogs.recovery import RecoveryDialog

        with self.dialog(
            "recovery key", lambda: RecoveryDialog(self.window.session, self.window).open(),
            RecoveryDialog,
        ):
            pass

    def first_run(self) -> None:
        from PySide6.QtWidgets import QWizard

        from sp_desktop.ui.dialogs.first_run import FirstRunWizard

        def open_it() -> None:
            FirstRunWizard(self.window.session, self.window).open()

        with self.dialog("first run: about you", open_it, FirstRunWizard) as wizard:
            wizard.about.name.setText("Jo Adams")
            wizard.about.team.setText("North Locality")
            wizard.button(QWizard.WizardButton.NextButton).click()
            self.check("first run: passphrase", wizard)

    def person_row(self, wanted: Callable[[Any], bool]) -> Any:
        model = self.window.caseload.model
        rows = [model.caseload_row(r) for r in range(model.rowCount())]
        return next(r for r in rows if wanted(r))

    def people(self) -> None:
        from sp_desktop.services.caseload import Stage

        from sp_desktop.ui.dialogs.carer import CarerDialog
        from sp_desktop.ui.dialogs.consent import ConsentDialog
        from sp_desktop.ui.dialogs.erasure_request import ErasureRequestDialog
        from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
        from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
        from sp_desktop.ui.dialogs.referral import ReferralDialog

        window = self.window
        with self.dialog("add a person", window.add_person, PersonDetailsDialog) as add:
            add.save_button.click()  # every problem shown at once
            self.check("add a person, with its problems shown", add)
        rich = self.person_row(lambda r: r.stage is Stage.PRESCRIBED and r.last_contact)
        self.rich = rich.person_id
        window.show_person(rich.person_id)
        self.wait(lambda: window.person.overview is not None)
        self.check("main window, person", window)
        person = window.person
        with self.dialog("edit details", person.edit_button.click, PersonDetailsDialog):
            pass
        with self.dialog("new referral", person.referral_button.click, ReferralDialog) as ref:
            ref.consent_declined.setChecked(True)
            self.check("new referral, declined", ref)
        with self.dialog("who they care for", person._choose_cared_for, CarerDialog):
            pass
        with self.dialog("consent", person.consent_button.click, ConsentDialog) as consent:
            consent.withdrawn.setChecked(True)
            self.check("consent, withdrawn", consent)
        with self.dialog("ask the office to erase", person.erase_button.click,
                         ErasureRequestDialog):
            pass
        with self.dialog("print preview: plan", person._print_plan, PrintPreviewDialog) as pv:
            self.wait(lambda: pv.document is not None)
            self.check("print preview: plan, built", pv)
        with self.dialog("print preview: letter", person._letter, PrintPreviewDialog) as pv:
            self.wait(lambda: pv.document is not None)
        self.correction()

    def correction(self) -> None:
        """A correction under a signed visit, when the person's journey has one."""
        try:
            from sp_desktop.ui.dialogs.correction import CorrectionDialog
        except ImportError:  # not in every version of the app
            return
        person = self.window.person
        for row in range(person.timeline.rowCount()):
            person.table.selectRow(row)
            if person.correct_button.isEnabled():
                with self.dialog("add a correction", person.correct_button.click,
                                 CorrectionDialog):
                    pass
                return

    def visit(self) -> None:
        from sp_desktop.services.caseload import Stage

        from sp_desktop.ui.dialogs.rate import RateDialog
        from sp_desktop.ui.dialogs.resume import ResumeDialog
        from sp_desktop.ui.dialogs.step import StepDialog

        window = self.window
        active = self.person_row(lambda r: r.stage is Stage.ACTIVE and r.person_id != self.rich)
        window.show_person(active.person_id)
        self.wait(lambda: window.person.overview is not None)
        overview = window.person.overview
        if overview.unfinished_visit_id:
            window.open_visit(overview.unfinished_visit_id)
        else:
            window.start_visit(active.person_id)
        self.wait(lambda: window.visit.summary is not None)
        visit = window.visit
        for row in range(visit.sections.count()):
            visit.go_to_section(row)
            title = visit.sections.item(row).data(256)
            self.check(f"main window, visit: {title}", window)
        visit.go_to_section(visit.steps_index)
        visit.steps.words.setText("Ring Mary on Sunday")
        visit.steps.add_button.click()
        self.settle()
        visit.steps.table.selectRow(0)
        with self.dialog("change a step", visit.steps.edit_button.click, StepDialog):
            pass
        with self.dialog("rate a step", visit.steps.rate_button.click, RateDialog):
            pass
        from sp_desktop.services.visit_summary import ResumableVisit

        drafts = [
            ResumableVisit(f"v{i}", f"p{i}", name, date.today(), "2026-03-02T10:15:00")
            for i, name in enumerate(("Mary Jones", "Ahmed Al-Sayed", "Zofia Łukasiewicz"))
        ]
        with self.dialog(
            "visits left unfinished", lambda: ResumeDialog(drafts, window).open(), ResumeDialog
        ):
            pass
        window.show_caseload()
        self.settle()

    def activities(self) -> None:
        from sp_desktop.ui.dialogs.closing_review import ClosingReviewDialog
        from sp_desktop.ui.screens.prescription import (
            FollowUpDialog,
            PrescribeDialog,
            PrescriptionWindow,
        )

        window = self.window
        window.show_person(self.rich)
        self.wait(lambda: window.person.overview is not None)
        with self.dialog(
            "activities and follow-ups", window.person.activities_button.click, PrescriptionWindow
        ) as activities:
            screen = activities.prescription
            if screen.follow_ups.rowCount():
                screen.follow_up_table.selectRow(0)
            for name, button in (
                ("add a follow-up", screen.add_follow_up_button),
                ("move a follow-up", screen.move_button),
                ("mark a follow-up done", screen.done_button),
            ):
                if button.isEnabled():
                    with self.dialog(name, button.click, FollowUpDialog):
                        pass
            with self.dialog("prescribe", screen.prescribe_button.click, PrescribeDialog):
                pass
            with self.dialog("closing review", screen.close_button.click, ClosingReviewDialog):
                pass

    def directory(self) -> None:
        from sp_desktop.ui.screens.directory import ImportDialog

        window = self.window
        window.show_directory()
        self.wait(lambda: window.directory.search.model.rowCount() > 0)
        window.directory.search.table.selectRow(0)
        self.check("main window, directory", window)
        example = Path(__file__).parents[1] / "data" / "oruk" / "uk-profile-3.0" / "examples"
        files = sorted(example.glob("*.json")) if example.exists() else []
        path = files[0] if files else Path("no-such-file.json")
        with self.dialog(
            "import a directory file", lambda: window.directory.open_import(path), ImportDialog
        ):
            pass
        window.show_caseload()

    def office_and_settings(self) -> None:
        from sp_desktop.ui.dialogs.rekey import RekeyDialog
        from sp_desktop.ui.dialogs.settings import SettingsDialog
        from sp_desktop.ui.dialogs.visit_pack import VisitPackDialog
        from sp_desktop.ui.sync.conflicts import ConflictDialog
        from sp_desktop.ui.sync.refused import RefusedDialog
        from sp_desktop.ui.sync.register import RegisterDialog

        window = self.window
        with (
            self.dialog("settings", window.open_settings, SettingsDialog) as settings,
            self.dialog("new key", settings.open_rekey, RekeyDialog),
        ):
            pass
        with self.dialog("visit pack", window.open_visit_pack, VisitPackDialog):
            pass
        office = window.office_sync
        with self.dialog("register with the office", office.open_register, RegisterDialog):
            pass
        with self.dialog("changes to check", office.open_conflicts, ConflictDialog):
            pass
        with self.dialog("changes the office refused", office.open_refused, RefusedDialog):
            pass

    def messages(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from sp_desktop.domain.errors import SpDesktopError

        from sp_desktop.ui.dialogs.bug_report import BugReportDialog
        from sp_desktop.ui.errors import bug_report_text, show_error

        window = self.window
        try:
            raise RuntimeError("a made-up fault, to see the report")
        except RuntimeError as error:
            report = bug_report_text(error)
        with self.dialog(
            "bug report", lambda: BugReportDialog(report, window).open(), BugReportDialog
        ):
            pass
        calm = SpDesktopError("The disk is full. Free some space, then try again. " * 3)
        with self.dialog("a calm message", lambda: show_error(window, calm), QMessageBox):
            pass


def main(argv: list[str]) -> int:
    size, scale = argv[0], float(argv[1])
    width, height = (int(n) for n in size.split("x"))
    findings = Findings()
    with tempfile.TemporaryDirectory(prefix="sp-fit-") as temp:
        configure(width, height, scale, Path(temp))
        from PySide6.QtGui import QFont

        from sp_desktop.app import application

        app = application()
        sweep: Sweep | None = None
        try:
            font = QFont(app.font())
            font.setPointSize(POINT_SIZE)
            app.setFont(font)
            sweep = Sweep(Path(temp) / "store", findings)
            sweep.run()
        except Exception:  # noqa: BLE001 - reported as a finding, the sweep's own failure
            findings.problems.append("the sweep stopped: " + traceback.format_exc(limit=6))
        screen = app.primaryScreen().availableGeometry()
        result = {
            "screen": size,
            "scale": scale,
            "available": [screen.width(), screen.height()],
            "checked": findings.checked,
            "classes": sorted(findings.classes),
            "problems": findings.problems,
        }
        if sweep is not None:
            window = sweep.window
            if window.session.is_unlocked:
                window.session.lock()
            window.session.tasks.wait(15_000)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
