"""Regenerates docs/screenshots from a synthetic demo store: `python -m sp_desktop.ui.screenshots
OUTDIR`. Run it under Xvfb (`xvfb-run -s "-screen 0 1400x900x24" …`) or offscreen.

`--laptop WIDTHxHEIGHT --scale 1.5` shows the app as it opens on that screen (offscreen, the
screen's size less a taskbar, at that scaling) and saves the main screens and the big dialogs
into OUTDIR/laptop-WIDTHxHEIGHT-SCALE: what an adviser on a small or scaled laptop sees."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from sp_desktop.services.caseload import Stage
from sp_desktop.services.demo import create_demo_store
from sp_desktop.services.workspace import Argon2Params

from sp_desktop.ui.main_window import MainWindow

PASSPHRASE = "demo kettle violet harbour"
SIZE = (1280, 820)
POINT_SIZE = 11  # a common laptop setting; the app itself follows the system's size
QUICK = Argon2Params(memory_kib=8192, iterations=1, lanes=1)  # demo stores only


def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        QTest.qWait(20)
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")


def settle(window: MainWindow) -> None:
    wait(lambda: not window.session.tasks.busy)
    QTest.qWait(150)


def type_text(widget: QWidget, text: str) -> None:
    """QTest only knows ASCII keys; anything else goes as a key event carrying its text."""
    widget.setFocus()
    for ch in text:
        if ch.isascii():
            QTest.keyClicks(widget, ch)
        else:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click,
                widget,
                Qt.Key.Key_unknown,
                ch,
                Qt.KeyboardModifier.NoModifier,
            )


class Camera:
    """Saves grabs of widgets as PNG files and remembers what it made."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.made: list[Path] = []

    def shoot(self, widget: QWidget, name: str) -> None:
        QApplication.processEvents()
        QTest.qWait(120)
        path = self.folder / f"{name}.png"
        widget.grab().save(str(path), "PNG")
        self.made.append(path)


def build(data_dir: Path) -> MainWindow:
    from sp_desktop.app import build as build_app

    window = build_app(data_dir, argon2_params=QUICK)
    window.resize(*SIZE)
    return window


def first_run_shots(camera: Camera, folder: Path) -> None:
    window = build(folder)
    window.start()
    wizard = window.first_run
    assert wizard is not None
    wait(wizard.isVisible)
    type_text(wizard.about.name, "Jo Adams")
    type_text(wizard.about.team, "North Locality")
    camera.shoot(wizard, "01-first-run-welcome")
    wizard.button(QWizard.WizardButton.NextButton).click()
    type_text(wizard.passphrase.choice.first, "kettle violet harbour")
    camera.shoot(wizard, "02-first-run-passphrase")
    wizard.passphrase.choice.first.clear()
    type_text(wizard.passphrase.choice.first, PASSPHRASE)
    type_text(wizard.passphrase.choice.second, PASSPHRASE)
    wizard.button(QWizard.WizardButton.CommitButton).click()
    wait(lambda: wizard.currentPage() is wizard.recovery)
    camera.shoot(wizard, "03-first-run-recovery-key")
    wizard.recovery.kept.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    wait(lambda: window.session.is_unlocked)
    settle(window)
    window.close()


def main_shots(camera: Camera, folder: Path) -> None:
    ws = create_demo_store(folder, PASSPHRASE, 150, params=QUICK)
    ws.close()
    window = build(folder)
    window.start()
    dialog = window.unlock_dialog
    assert dialog is not None
    wait(dialog.isVisible)
    type_text(dialog.passphrase, "not my passphrase")
    dialog.unlock_button.click()
    wait(dialog.field.error.isVisible)
    camera.shoot(dialog, "04-unlock-wrong-passphrase")
    dialog.passphrase.clear()
    type_text(dialog.passphrase, PASSPHRASE)
    dialog.unlock_button.click()
    wait(lambda: window.caseload.model.rowCount() > 0)
    settle(window)
    camera.shoot(window, "05-caseload")
    type_text(window.caseload.search, "sio")
    camera.shoot(window, "06-caseload-search")
    window.caseload.search.clear()
    window.caseload.filter_buttons[next(iter(window.caseload.filter_buttons))].click()

    model = window.caseload.model
    rows = [model.caseload_row(r) for r in range(model.rowCount())]
    rich = next(r for r in rows if r.stage is Stage.PRESCRIBED and r.last_contact)
    partner = next(r for r in rows if r.person_id != rich.person_id)
    # A carer link, so the person page shows how it reads (the demo data has none).
    window.session.write(
        lambda ws: ws.people.set_carer_of(rich.person_id, partner.person_id)
    )
    settle(window)
    window.show_person(rich.person_id)
    wait(lambda: window.person.overview is not None)
    settle(window)
    camera.shoot(window, "07-person")

    window.person.edit_button.click()
    from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog

    wait(lambda: any(d.isVisible() for d in window.findChildren(PersonDetailsDialog)))
    edit = next(d for d in window.findChildren(PersonDetailsDialog) if d.isVisible())
    edit.nhs_number.clear()
    type_text(edit.nhs_number, "999 123 4560")
    camera.shoot(edit, "08-edit-details-nhs-number-check")
    edit.reject()

    active = next(r for r in rows if r.stage is Stage.ACTIVE and r.person_id != rich.person_id)
    window.show_person(active.person_id)
    wait(lambda: window.person.overview is not None)
    settle(window)
    window.person.referral_button.click()
    from sp_desktop.ui.dialogs.referral import ReferralDialog

    wait(lambda: any(d.isVisible() for d in window.findChildren(ReferralDialog)))
    referral = next(d for d in window.findChildren(ReferralDialog) if d.isVisible())
    type_text(referral.referrer_name, "Dr A. Okafor")
    type_text(referral.referrer_organisation, "Castle Hill Surgery")
    type_text(referral.reason, "Recently bereaved; not going out since the winter.")
    referral.consent_declined.setChecked(True)
    camera.shoot(referral, "09-referral-declined")
    referral.reject()

    if window.person.overview and window.person.overview.unfinished_visit_id:
        window.open_visit(window.person.overview.unfinished_visit_id)
    else:
        window.start_visit(active.person_id)
    wait(lambda: window.visit.summary is not None)
    settle(window)
    visit = window.visit
    camera.shoot(window, "10-visit-opening")
    visit.go_to_section(1)
    page = visit.domain_pages[0]
    type_text(
        page.notes,
        "Sees her daughter on Sundays. Weekdays feel long since Ray died; she used to sing "
        "in the chapel choir and misses it.",
    )
    type_text(page.concern_words, "Nobody to talk to in the week")
    page.severity.buttons[7].click()
    page.add_button.click()
    settle(window)
    type_text(page.concern_words, "Can't manage the bus on her own")
    page.severity.buttons[5].click()
    wait(lambda: visit.saved_state.text().startswith("Saved"))  # the autosave has run
    camera.shoot(window, "11-visit-conversation")

    visit.go_to_section(visit.what_matters_index)
    type_text(visit.what_matters, "Getting out of the house and singing again.")
    visit.go_to_section(visit.steps_index)
    for words in ("Try the Tuesday singing group at the library", "Ring Mary on Sunday"):
        type_text(visit.steps.words, words)
        visit.steps.add_button.click()
        settle(window)
    camera.shoot(window, "12-visit-steps")

    visit.go_to_section(visit.wellbeing_index)
    settle(window)
    form = visit.wellbeing
    for box, score in zip(form.boxes.values(), (6, 7, 5, None), strict=True):
        if score is None and box.rating.decline_button is not None:
            box.rating.decline_button.click()
        else:
            box.rating.buttons[score or 0].click()
    camera.shoot(window, "13-visit-wellbeing")
    form.save_button.click()
    settle(window)

    visit.go_to_section(visit.finish_index)
    wait(lambda: "Nobody to talk to" in visit.finish_view.toPlainText())
    settle(window)
    camera.shoot(window, "14-visit-finish")

    window.show_directory()
    wait(lambda: window.directory.search.model.rowCount() > 0)
    settle(window)
    camera.shoot(window, "16-directory")

    window.open_settings()
    from sp_desktop.ui.dialogs.settings import SettingsDialog

    wait(lambda: any(d.isVisible() for d in window.findChildren(SettingsDialog)))
    settings = next(d for d in window.findChildren(SettingsDialog) if d.isVisible())
    camera.shoot(settings, "17-settings")
    settings.reject()

    window.lock()
    settle(window)
    camera.shoot(window, "15-locked")
    window.close()


def laptop_screen(width: int, height: int, scale: float, folder: Path) -> None:
    """The offscreen platform set to a laptop's screen (Qt's offscreen plugin reads a JSON
    file of screens; a 40-pixel taskbar, scaled, is left out as on Windows). Call before Qt
    starts."""
    import json
    import os

    screen = {"name": "laptop", "x": 0, "y": 0, "width": width,
              "height": height - round(40 * scale), "logicalDpi": 96, "logicalBaseDpi": 96}
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"


def laptop_shots(camera: Camera, folder: Path) -> None:
    """The app at the size it opens on this screen: main screens and the big dialogs whole."""
    from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
    from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
    from sp_desktop.ui.screens.prescription import PrescribeDialog, PrescriptionWindow

    ws = create_demo_store(folder, PASSPHRASE, 60, params=QUICK)
    ws.close()
    from sp_desktop.app import build as build_app

    window = build_app(folder, argon2_params=QUICK)  # sized by the app itself, as it opens
    window.start()
    dialog = window.unlock_dialog
    assert dialog is not None
    wait(dialog.isVisible)
    type_text(dialog.passphrase, PASSPHRASE)
    dialog.unlock_button.click()
    wait(lambda: window.caseload.model.rowCount() > 0)
    settle(window)
    camera.shoot(window, "01-caseload")
    window.add_person()
    add = next(d for d in window.findChildren(PersonDetailsDialog) if d.isVisible())
    type_text(add.date_of_birth, "31/02/1950")
    add.save_button.click()
    camera.shoot(add, "02-add-a-person-every-problem")
    add.done(0)
    model = window.caseload.model
    rows = [model.caseload_row(r) for r in range(model.rowCount())]
    rich = next(r for r in rows if r.stage is Stage.PRESCRIBED and r.last_contact)
    window.show_person(rich.person_id)
    wait(lambda: window.person.overview is not None)
    settle(window)
    camera.shoot(window, "03-person")
    window.person.print_button.click()
    wait(lambda: any(d.isVisible() and d.document is not None
                     for d in window.person.findChildren(PrintPreviewDialog)))
    preview = next(d for d in window.person.findChildren(PrintPreviewDialog) if d.isVisible())
    wait(lambda: not preview.page_view.pixmap().isNull())
    settle(window)
    camera.shoot(preview, "04-print-preview")
    preview.done(0)
    window.person.activities_button.click()
    wait(lambda: any(w.isVisible() for w in window.person.findChildren(PrescriptionWindow)))
    activities = next(w for w in window.person.findChildren(PrescriptionWindow) if w.isVisible())
    settle(window)
    camera.shoot(activities, "05-activities-and-follow-ups")
    activities.prescription.prescribe_button.click()
    wait(lambda: any(d.isVisible() for d in activities.findChildren(PrescribeDialog)))
    prescribe = next(d for d in activities.findChildren(PrescribeDialog) if d.isVisible())
    settle(window)
    camera.shoot(prescribe, "06-prescribe")
    prescribe.done(0)
    activities.done(0)
    active = next(r for r in rows if r.stage is Stage.ACTIVE and r.person_id != rich.person_id)
    window.show_person(active.person_id)
    wait(lambda: window.person.overview is not None)
    settle(window)
    if window.person.overview and window.person.overview.unfinished_visit_id:
        window.open_visit(window.person.overview.unfinished_visit_id)
    else:
        window.start_visit(active.person_id)
    wait(lambda: window.visit.summary is not None)
    settle(window)
    visit = window.visit
    visit.go_to_section(1)
    type_text(visit.domain_pages[0].notes, "Sees her daughter on Sundays; weekdays feel long.")
    camera.shoot(window, "07-visit-conversation")
    visit.go_to_section(visit.wellbeing_index)
    settle(window)
    camera.shoot(window, "08-visit-wellbeing")
    visit.go_to_section(visit.finish_index)
    settle(window)
    camera.shoot(window, "09-visit-finish")
    window.lock()
    settle(window)
    window.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    laptop: tuple[int, int] | None = None
    scale = 1.0
    if "--laptop" in args:
        at = args.index("--laptop")
        width, height = (int(n) for n in args[at + 1].split("x"))
        laptop = (width, height)
        del args[at : at + 2]
    if "--scale" in args:
        at = args.index("--scale")
        scale = float(args[at + 1])
        del args[at : at + 2]
    out = Path(args[0] if args else "docs/screenshots")
    if laptop is not None:
        return laptop_main(out, laptop, scale)
    from sp_desktop.app import application

    app = application()
    font = QFont(app.font())
    font.setPointSize(POINT_SIZE)
    app.setFont(font)
    camera = Camera(out)
    with tempfile.TemporaryDirectory(prefix="sp-screens-") as temp:
        first_run_shots(camera, Path(temp) / "new")
        main_shots(camera, Path(temp) / "demo")
    for path in camera.made:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


def laptop_main(out: Path, laptop: tuple[int, int], scale: float) -> int:
    from sp_desktop.app import application

    with tempfile.TemporaryDirectory(prefix="sp-screens-") as temp:
        laptop_screen(*laptop, scale, Path(temp))
        app = application()
        font = QFont(app.font())
        font.setPointSize(POINT_SIZE)
        app.setFont(font)
        camera = Camera(out / f"laptop-{laptop[0]}x{laptop[1]}-{round(scale * 100)}")
        laptop_shots(camera, Path(temp) / "demo")
    for path in camera.made:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
