"""One person: their details, referral and a timeline of their journey, with what to do next."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choice_lists import condition_words
from sp_desktop.domain.choices import ConsentDecision, VisitPlace
from sp_desktop.domain.people import Person
from sp_desktop.services.timeline import (
    PersonLink,
    PersonOverview,
    TimelineEntry,
    TimelineKind,
    person_overview,
    referral_words,
)
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.carer import CarerDialog
from sp_desktop.ui.dialogs.consent import ConsentDialog
from sp_desktop.ui.dialogs.correction import CorrectionDialog
from sp_desktop.ui.dialogs.erasure_request import ErasureRequestDialog
from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.dialogs.referral import ReferralDialog
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.fit import scrolling
from sp_desktop.ui.flow import FlowLayout
from sp_desktop.ui.models.timeline import TimelineModel
from sp_desktop.ui.screens.wellbeing import ThenAndNowPanel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, plain, set_role

# The save box's file types: what each export is for, in the adviser's words. Keyed by
# `ExportKind`'s values (a StrEnum, so `EXPORT_TYPES[ExportKind.FHIR]` works): the
# interchange package, the printout and the prescription window load when first used, not
# with the person screen (they cost memory an adviser who only reads a record never uses).
EXPORT_TYPES: dict[str, str] = {
    "fhir_record": "Record for other NHS and care systems, FHIR (*.json)",
    "analyst_csv": "Tables for analysts, nobody named (*.zip)",
}


def access_words(person: Person) -> str:
    needs = []
    if person.access.large_print:
        needs.append("large print")
    if person.access.interpreter_language:
        needs.append(f"interpreter ({person.access.interpreter_language})")
    for what, text in (("Hearing", person.access.hearing), ("Sight", person.access.sight)):
        if text:
            needs.append(text if what.lower() in text.lower() else f"{what}: {text}")
    return "; ".join(needs) or "None recorded"


def conditions_words(person: Person) -> str:
    """Their long-term conditions in words, in the order the scheme lists them."""
    return ", ".join(condition_words(person.conditions)) or "None recorded"


def start_words(place: VisitPlace) -> str:
    """What the start button says: "Start a home visit", "Start a phone visit"."""
    return f"Start a {place.label.lower()} visit"


def names(links: tuple[PersonLink, ...]) -> str:
    """'Jim Brown', 'Jim Brown and Ann Lee', 'A, B and C'."""
    words = [link.name for link in links]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class PersonScreen(QWidget):
    """Signals: back(), start_visit(person_id, place value), open_visit(visit_id).

    Attributes (among the widgets): `place_box`, where a new visit happens (home by default);
    `cares_for` and `cared_for_by`, the carer links both ways; `correct_button`, a correction
    of the signed visit chosen in the timeline.
    """

    back = Signal()
    start_visit = Signal(str, str)
    open_visit = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id: str | None = None
        self.overview: PersonOverview | None = None
        self.timeline = TimelineModel()

        self.back_button = QPushButton("← Caseload")
        self.back_button.setToolTip("Back to the caseload (Alt+Left)")
        self.back_button.setAccessibleName("Back to the caseload")
        self.name = heading("", 1)
        self.summary = label("", "quiet")
        self.edit_button = QPushButton("Edit details…")
        self.referral_button = QPushButton("New referral…")
        self.activities_button = QPushButton("Activities and follow-ups…")
        self.print_button = QPushButton("Print plan…")
        self.letter_button = QPushButton("Letter to referrer…")
        self.export_button = QPushButton("Export record…")
        self.export_button.setToolTip(
            "Save their record as a file: for other NHS and care systems (FHIR), "
            "or as tables for analysts with nobody named"
        )
        self.export_note = label("", "notice")
        self.export_note.hide()
        self.visit_button = QPushButton(start_words(VisitPlace.HOME))
        set_role(self.visit_button, "primary")
        self.place_box = QComboBox()
        self.place_box.setAccessibleName("Where the visit happens")
        self.place_box.setToolTip("Where the visit happens: at home, by phone, …")
        for place in VisitPlace:
            self.place_box.addItem(place.label, place.value)
        self.place_label = plain(QLabel("&Where"))
        self.place_label.setBuddy(self.place_box)
        self.why_no_visit = label("", "notice")
        self.why_no_visit.hide()

        self.details = QFormLayout()
        self.details_labels: dict[str, QLabel] = {}
        for key, title in (
            ("address", "Address"),
            ("phone", "Phone"),
            ("email", "Email"),
            ("contact", "Best way to contact"),
            ("gender", "Gender"),
            ("ethnicity", "Ethnicity"),
            ("access", "What helps"),
            ("conditions", "Long-term conditions"),
        ):
            value = label("")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.details_labels[key] = value
            self.details.addRow(f"{title}:", value)
        details_box = QGroupBox("Details")
        details_box.setLayout(self.details)
        self.referral = label("")
        referral_box = QGroupBox("Referral")
        referral_layout = QVBoxLayout(referral_box)
        referral_layout.addWidget(self.referral)
        # Consent first: what they agreed to is on their page, with a way to record a new answer.
        self.consent = label("")
        self.consent.setAccessibleName("Consent")
        self.consent_button = QPushButton("Record consent…")
        self.consent_button.setToolTip("Record what they agreed to, or that they withdrew")
        referral_layout.addWidget(self.consent)
        referral_layout.addWidget(self.consent_button)
        # Deleting someone for good is an erasure a manager confirms at the office.
        self.erase_button = QPushButton("Ask the office to erase…")
        self.erase_button.setToolTip("Their records are removed everywhere once a manager agrees")
        referral_layout.addWidget(self.erase_button)

        self.cares_for = label("")
        self.cared_for_by = label("")
        self.carer_button = QPushButton("Choose who they care for…")
        self.clear_carer_button = QPushButton("Clear")
        self.clear_carer_button.setAccessibleName("Clear who they care for")
        self.clear_carer_button.setToolTip("They no longer care for this person")
        carer_buttons = QHBoxLayout()
        carer_buttons.addWidget(self.carer_button)
        carer_buttons.addWidget(self.clear_carer_button)
        carer_buttons.addStretch(1)
        caring_box = QGroupBox("Caring")
        caring_layout = QVBoxLayout(caring_box)
        caring_layout.addWidget(self.cares_for)
        caring_layout.addWidget(self.cared_for_by)
        caring_layout.addLayout(carer_buttons)

        self.table = QTableView()
        self.table.setModel(self.timeline)
        self.table.setAccessibleName("Their journey so far")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        width = self.fontMetrics().averageCharWidth()
        header.resizeSection(0, width * 16)
        header.resizeSection(1, width * 34)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        timeline_box = QGroupBox("Their journey so far")
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.addWidget(
            label("Newest first. Choose a visit and press Enter to open it.", "quiet")
        )
        timeline_layout.addWidget(self.table)
        self.correct_button = QPushButton("Add a correction…")
        self.correct_button.setToolTip(
            "Adds a correction under the signed visit chosen above; the visit stays as signed")
        self.correct_button.setEnabled(False)
        self.correction_dialog: CorrectionDialog | None = None
        timeline_buttons = QHBoxLayout()
        timeline_buttons.addStretch(1)
        timeline_buttons.addWidget(self.correct_button)
        timeline_layout.addLayout(timeline_buttons)

        actions = FlowLayout(align_right=True)  # wraps on a narrow or scaled screen
        for widget in (self.edit_button, self.referral_button, self.activities_button,
                       self.print_button, self.letter_button, self.export_button,
                       self.place_label, self.place_box,
                       self.visit_button):
            actions.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(actions, 1)
        left_body = QWidget()
        left = QVBoxLayout(left_body)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(details_box)
        left.addWidget(referral_box)
        left.addWidget(caring_box)
        # One "then and now" for every measure answered (the same words the printouts use).
        wellbeing_box = QGroupBox("Then and now")
        wellbeing_layout = QVBoxLayout(wellbeing_box)
        self.then_and_now = ThenAndNowPanel()
        wellbeing_layout.addWidget(self.then_and_now)
        left.addWidget(wellbeing_box)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(scrolling(left_body), 2)  # scrolls on a short screen
        body.addWidget(timeline_box, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.name)
        layout.addWidget(self.summary)
        layout.addWidget(self.why_no_visit)
        layout.addWidget(self.export_note)
        layout.addLayout(body, 1)

        self.back_button.clicked.connect(self.back)
        self.edit_button.clicked.connect(self._edit)
        self.referral_button.clicked.connect(self._new_referral)
        self.activities_button.clicked.connect(self._activities)
        self.print_button.clicked.connect(self._print_plan)
        self.letter_button.clicked.connect(self._letter)
        self.export_button.clicked.connect(self._export)
        self.visit_button.clicked.connect(self._visit)
        self.consent_button.clicked.connect(lambda: self._ask_consent())
        self.erase_button.clicked.connect(self._ask_erasure)
        self.place_box.currentIndexChanged.connect(self._place_chosen)
        self.carer_button.clicked.connect(self._choose_cared_for)
        self.clear_carer_button.clicked.connect(self._clear_cared_for)
        self.table.doubleClicked.connect(self._open_entry)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._entry_chosen())
        self.timeline.modelReset.connect(self._entry_chosen)
        self.correct_button.clicked.connect(self._correct)
        self.table.installEventFilter(self)
        self._enable(False)

    # --- showing -------------------------------------------------------------------------------

    def show_person(self, person_id: str) -> None:
        """Opening a record is an audited view. The record is read first (on the read pool,
        beside any save), and the "viewed" event written once it is on screen: a write in
        front would wait for the writer and then make every reader read its pages afresh."""
        self.clear()
        self.person_id = person_id

        def shown(overview: PersonOverview) -> None:
            self._show(overview)
            if self.session.is_unlocked:
                self.session.write(lambda ws: ws.people.record_view(person_id))

        self.session.read(lambda ws: person_overview(ws, person_id, audited=False), shown)

    def refresh(self, changes: Changes) -> None:
        person_id = self.person_id
        if person_id is None or person_id not in changes.people or not self.session.is_unlocked:
            return

        def fetch(ws: Workspace) -> PersonOverview:
            return person_overview(ws, person_id, audited=False)

        self.session.read(fetch, self._show)

    def clear(self) -> None:
        self.person_id = None
        self.overview = None
        self._say_export("")
        self.timeline.clear()
        self.then_and_now.show_measures(())
        self.name.setText("")
        self.summary.setText("")
        self.referral.setText("")
        self.cares_for.setText("")
        self.cared_for_by.setText("")
        for value in self.details_labels.values():
            value.setText("")
        self.why_no_visit.hide()
        self.place_box.setCurrentIndex(self.place_box.findData(VisitPlace.HOME.value))
        self._enable(False)

    def _show(self, overview: PersonOverview) -> None:
        if overview.person.id != self.person_id:
            return  # another person was opened meanwhile
        self.overview = overview
        person = overview.person
        self.name.setText(person.display_name)
        self.name.setAccessibleName(person.display_name)
        facts = [f"Age {person.age_on(date.today())}", f"born {nice_date(person.date_of_birth)}"]
        if person.nhs_number:
            facts.append(f"NHS number {person.nhs_number}")
        if person.gp_practice:
            facts.append(person.gp_practice)
        self.summary.setText(" · ".join(facts))
        address = ", ".join(p for p in (person.address.replace("\n", ", "), person.postcode) if p)
        values = {
            "address": address or "Not recorded",
            "phone": person.phone or "Not recorded",
            "email": person.email or "Not recorded",
            "contact": person.preferred_contact.label,
            "gender": person.gender.label if person.gender else "Not recorded",
            "ethnicity": person.ethnicity.label if person.ethnicity else "Not recorded",
            "access": access_words(person),
            "conditions": conditions_words(person),
        }
        for key, text in values.items():
            self.details_labels[key].setText(text)
        if overview.referral is None:
            self.referral.setText("No referral recorded yet.")
        else:
            referral = overview.referral
            self.referral.setText(
                f"Received {nice_date(referral.received_on)} — {referral.status.label}.\n"
                f"{referral_words(referral)}"
            )
        self.consent.setText(overview.consent)
        self.timeline.set_entries(overview.timeline)
        self.then_and_now.show_measures(overview.then_and_now)
        self._show_caring(overview)
        self._enable(True)
        if overview.unfinished_visit_id:
            # The unfinished visit already has its place: nothing to choose.
            self.place_label.hide()
            self.place_box.hide()
            self.visit_button.setText("Carry on with the unfinished visit")
            self.visit_button.setEnabled(True)
            self.why_no_visit.hide()
        else:
            self.place_label.show()
            self.place_box.show()
            self.place_box.setEnabled(overview.can_start_visit)
            self.visit_button.setText(start_words(self.place))
            self.visit_button.setEnabled(overview.can_start_visit)
            self.why_no_visit.setText(overview.why_no_visit)
            self.why_no_visit.setVisible(not overview.can_start_visit)

    def _show_caring(self, overview: PersonOverview) -> None:
        """Both directions of the carer link, in words (never only a tick or a colour)."""
        if overview.cares_for is not None:
            self.cares_for.setText(f"Cares for {overview.cares_for.name}")
            self.carer_button.setText("Change who they care for…")
        else:
            self.cares_for.setText("Not recorded as caring for anyone on the caseload")
            self.carer_button.setText("Choose who they care for…")
        if overview.cared_for_by:
            self.cared_for_by.setText(f"Cared for by {names(overview.cared_for_by)}")
        else:
            self.cared_for_by.setText("No carer on the caseload recorded")

    @property
    def place(self) -> VisitPlace:
        """Where the next visit happens, as chosen (home unless changed)."""
        return VisitPlace(self.place_box.currentData() or VisitPlace.HOME.value)

    def _place_chosen(self, _index: int) -> None:
        if self.overview is not None and not self.overview.unfinished_visit_id:
            self.visit_button.setText(start_words(self.place))

    def _enable(self, enabled: bool) -> None:
        for button in (
            self.edit_button,
            self.referral_button,
            self.activities_button,
            self.print_button,
            self.letter_button,
            self.export_button,
            self.visit_button,
            self.place_box,
            self.carer_button,
            self.consent_button,
            self.erase_button,
        ):
            button.setEnabled(enabled)
        cares = enabled and self.overview is not None and self.overview.cares_for is not None
        self.clear_carer_button.setEnabled(cares)

    # --- actions -------------------------------------------------------------------------------

    def _edit(self) -> None:
        if self.overview is None:
            return
        PersonDetailsDialog(self.session, self.overview.person, self).open()

    def _new_referral(self) -> None:
        if self.overview is None:
            return
        person = self.overview.person
        ReferralDialog(self.session, person.id, person.display_name, self).open()

    def _activities(self) -> None:
        """Prescribing, follow-ups and the closing review, in their own window."""
        if self.overview is None:
            return
        from sp_desktop.ui.screens.prescription import PrescriptionWindow

        person = self.overview.person
        PrescriptionWindow(self.session, person.id, person.display_name, self).open()

    def _print_plan(self) -> None:
        """Their journey printout: preview, print or save as PDF (print size per print)."""
        if self.overview is not None:
            from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog, plan_request

            PrintPreviewDialog(self.session, plan_request(self.overview.person.id), self).open()

    def _letter(self) -> None:
        """The letter back to the referrer and GP, with the SNOMED CT codes for the record."""
        if self.overview is not None:
            from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog, letter_request

            PrintPreviewDialog(self.session, letter_request(self.overview.person.id), self).open()

    def _export(self) -> None:
        """Their record to a file the adviser chooses, built and written off the UI thread."""
        if self.overview is None:
            return
        from sp_desktop.interchange.records import ExportKind, export_file_name

        person = self.overview.person
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = export_file_name(ExportKind.FHIR, person.display_name, date.today())
        chosen, chosen_type = QFileDialog.getSaveFileName(
            self,
            "Export record",
            str(Path(folder) / suggested) if folder else suggested,
            ";;".join(EXPORT_TYPES.values()),
        )
        if not chosen:
            return
        by_type = {words: ExportKind(kind) for kind, words in EXPORT_TYPES.items()}
        kind = by_type.get(
            chosen_type, ExportKind.CSV if chosen.lower().endswith(".zip") else ExportKind.FHIR
        )
        suffix = ".zip" if kind is ExportKind.CSV else ".json"
        path = Path(chosen if chosen.lower().endswith(suffix) else chosen + suffix)
        person_id = person.id
        self.export_button.setEnabled(False)
        self._say_export("Exporting…")

        def export(ws: Workspace) -> object:
            # Imported here, on the writer thread: FHIR's models are for when someone exports.
            from sp_desktop.services.records import save_export

            return save_export(ws, person_id, kind, path)

        def done(_export: object) -> None:
            self.export_button.setEnabled(self.overview is not None)
            self._say_export(f"Saved to {path}")

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(self.overview is not None)
            if isinstance(error, OSError):
                reason = f": {error.strerror}" if error.strerror else ""
                self._say_export(f"It could not be saved there{reason}.")
            else:
                self._say_export("")
                show_error(self, error)

        self.session.write(export, done, failed)

    def _say_export(self, words: str) -> None:
        self.export_note.setText(words)
        self.export_note.setVisible(bool(words))

    def _choose_cared_for(self) -> None:
        """Find the person they care for on the caseload by name; both pages then show it."""
        if self.overview is None:
            return
        person = self.overview.person
        CarerDialog(self.session, person.id, person.display_name, self).open()

    def _clear_cared_for(self) -> None:
        """They no longer care for that person (the session's change signal redraws the page)."""
        if self.overview is None or self.overview.cares_for is None:
            return
        person_id = self.overview.person.id
        self.clear_carer_button.setEnabled(False)
        self.session.write(lambda ws: ws.people.set_carer_of(person_id, None))

    def _ask_consent(self, then_visit: bool = False) -> None:
        """The consent form; with `then_visit`, the visit starts once they agreed."""
        if self.overview is None:
            return
        person = self.overview.person
        why = self.overview.consent_needed if then_visit else ""
        dialog = ConsentDialog(self.session, person.id, person.display_name, self, why=why)
        if then_visit:
            dialog.saved.connect(lambda _changes: self._visit_after_consent(dialog))
        dialog.open()

    def _ask_erasure(self) -> None:
        if self.overview is None:
            return
        person = self.overview.person
        ErasureRequestDialog(self.session, person.id, person.display_name, self).open()

    def _visit_after_consent(self, dialog: ConsentDialog) -> None:
        if (self.overview is not None and dialog.decision is ConsentDecision.GIVEN
                and dialog.recording.isChecked()):
            self.start_visit.emit(self.overview.person.id, self.place.value)

    def _visit(self) -> None:
        if self.overview is None:
            return
        if self.overview.consent_needed:  # consent first: asked before the visit starts
            self._ask_consent(then_visit=True)
            return
        if self.overview.unfinished_visit_id:
            self.open_visit.emit(self.overview.unfinished_visit_id)
        else:
            self.start_visit.emit(self.overview.person.id, self.place.value)

    def _signed_visit(self) -> TimelineEntry | None:
        """The timeline entry chosen, when it is a signed visit (one that takes corrections)."""
        index = self.table.currentIndex()
        if not index.isValid() or self.overview is None:
            return None
        entry = self.timeline.entry(index.row())
        signed = entry.kind is TimelineKind.VISIT and not entry.unfinished
        return entry if signed else None

    def _entry_chosen(self) -> None:
        self.correct_button.setEnabled(self._signed_visit() is not None)

    def _correct(self) -> None:
        """A correction under the chosen signed visit; the timeline redraws once it is added."""
        entry = self._signed_visit()
        if entry is None or self.overview is None:
            return
        about = f"{entry.title}, {nice_date(entry.on)}, with {self.overview.person.display_name}."
        self.correction_dialog = CorrectionDialog(self.session, entry.subject_id, about, self)
        self.correction_dialog.open()

    def _open_entry(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        entry = self.timeline.entry(index.row())
        if entry.kind is TimelineKind.VISIT:
            self.open_visit.emit(entry.subject_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._open_entry(self.table.currentIndex())
            return True
        return super().eventFilter(watched, event)
