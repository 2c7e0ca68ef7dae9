"""Print preview: a document built in the background, shown page by page, printed or saved as PDF.

The PDF lives only in this dialog's memory. It reaches the disk only through "Save as PDF…", at
the path the adviser picks, or goes to the printer; closing the dialog (or the lock) drops it.
Building, rendering, printing and saving all run on the tasks' one writer thread: reportlab's
font registry and PDFium are process-wide and not safe to use from two threads at once, and the
audit event for a print or a save is a store write that belongs there anyway.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QKeySequence,
    QPageSize,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.services.settings import LINK_WORKER_PHONE

from sp_desktop.ui.dialogs.settings import open_settings
from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fit import fit_to_screen, text_size
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, plain, set_role
from sp_desktop.ui.tasks import Progress, Task

if TYPE_CHECKING:  # reportlab and the document builders load at the first printout
    from sp_desktop.services.documents import BuiltDocument
    from sp_desktop.services.workspace import Workspace

POINTS_PER_INCH = 72.0
MAX_PRINT_DPI = 300  # sharp on paper; a 1200 dpi A4 page would be half a gigabyte of pixels
PRINT_JOB_NAME = "SP Desktop printout"  # print queues keep job names: never a person's name
ZOOMS: tuple[tuple[str, float], ...] = (
    ("Fit to width", 0.0),
    ("Whole page", -1.0),
    ("50%", 0.5),
    ("75%", 0.75),
    ("100%", 1.0),
    ("125%", 1.25),
    ("150%", 1.5),
    ("200%", 2.0),
)


# --- plain functions run off the UI thread ----------------------------------------------------


def _documents() -> ModuleType:
    """The document builders (reportlab, fonts: ~10 MiB), loaded at the first printout."""
    from sp_desktop.services import documents

    return documents


class PreviewUnavailable(SpDesktopError):
    """The page renderer is missing from this installation."""


def _pdfium() -> Any:
    """PDFium (pypdfium2), imported on first use: without it the app still starts and says why."""
    try:
        import pypdfium2  # type: ignore[import-untyped]  # ships no py.typed marker
    except ImportError as error:
        raise PreviewUnavailable(
            "Print preview needs the pypdfium2 package, which is missing from this "
            "installation. Please ask for SP Desktop to be reinstalled."
        ) from error
    return pypdfium2


@dataclass(frozen=True, slots=True)
class Prepared:
    """A built document with its page sizes in points, ready to show."""

    document: BuiltDocument
    page_sizes: tuple[tuple[float, float], ...]


def page_sizes(pdf: bytes) -> tuple[tuple[float, float], ...]:
    """Width and height of every page, in points, read from the PDF in memory."""
    doc = _pdfium().PdfDocument(pdf)
    try:
        return tuple((float(w), float(h)) for w, h in (page.get_size() for page in doc))
    finally:
        doc.close()


def render_page(pdf: bytes, index: int, scale: float) -> QImage:
    """One page as an image, `scale` pixels per point. QImage, not QPixmap: made off-thread."""
    doc = _pdfium().PdfDocument(pdf)
    try:
        bitmap = doc[index].render(scale=scale, rev_byteorder=True)  # RGB, no alpha
        return _image(bitmap).copy()  # a deep copy: the pixels above go with this frame
    finally:
        doc.close()


def _image(bitmap: Any) -> QImage:
    """A QImage over PDFium's pixels (valid only while the bitmap lives: copy it to keep it)."""
    return QImage(
        bitmap.buffer,
        bitmap.width,
        bitmap.height,
        bitmap.stride,
        QImage.Format.Format_RGB888,
    )


def print_pages(printer: QPrinter, pdf: bytes, progress: Progress) -> int:
    """Rasterises each page at the printer's resolution (at most 300 dpi) and draws it full-page.

    Qt allows painting on a QPrinter outside the UI thread. Returns the number of pages sent.
    """
    doc = _pdfium().PdfDocument(pdf)
    painter = QPainter()
    try:
        count = len(doc)
        first, last = printer.fromPage(), printer.toPage()
        if first <= 0 or last <= 0:
            first, last = 1, count
        wanted = list(range(max(first, 1) - 1, min(last, count)))
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        if not painter.begin(printer):
            raise OSError("The printer could not be started.")
        paper = printer.paperRect(QPrinter.Unit.DevicePixel)
        for number, index in enumerate(wanted):
            progress.check()
            if number:
                printer.newPage()
            page = doc[index]
            width, height = page.get_size()
            bitmap = page.render(scale=dpi / POINTS_PER_INCH, rev_byteorder=True)
            image = _image(bitmap).copy()
            fit = min(paper.width() / width, paper.height() / height)
            target = QRectF(0, 0, width * fit, height * fit)
            painter.drawImage(target, image)
            progress.report(number + 1, len(wanted))
        return len(wanted)
    finally:
        if painter.isActive():
            painter.end()
        doc.close()


def write_pdf(path: Path, pdf: bytes) -> None:
    """Writes the PDF at exactly `path`; a half-written file is removed rather than left behind."""
    try:
        with path.open("wb") as out:
            out.write(pdf)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise


# --- what to build ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintSize:
    """One choice in the print size box; `large_print` None means each person's own choice."""

    words: str
    large_print: bool | None


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """What the preview builds, and which print sizes it offers (none for a letter).

    `build` runs on the writer thread with the workspace and the chosen size.
    """

    build: Callable[[Workspace, bool | None], BuiltDocument]
    sizes: tuple[PrintSize, ...] = ()
    waiting_words: str = "Preparing the printout…"


_STANDARD = PrintSize("Standard print", False)
_LARGE = PrintSize("Large print (bigger text)", True)


def plan_request(person_id: str) -> PreviewRequest:
    """A person's journey printout; the size starts at their access needs."""
    return PreviewRequest(
        lambda ws, large: _documents().plan_pdf(ws, person_id, large_print=large),
        (_STANDARD, _LARGE),
    )


def letter_request(person_id: str, referral_id: str | None = None) -> PreviewRequest:
    """The letter back to the referrer (letters have one size)."""
    return PreviewRequest(
        lambda ws, _large: _documents().letter_pdf(ws, person_id, referral_id=referral_id),
        waiting_words="Preparing the letter…",
    )


def visit_pack_request(day: date, person_ids: tuple[str, ...] | None = None) -> PreviewRequest:
    """Everyone's printouts for a day, each in their own size unless one is chosen for all."""
    return PreviewRequest(
        lambda ws, large: _documents().visit_pack_pdf(
            ws, day, person_ids=person_ids, large_print=large
        ),
        (
            PrintSize("Each person's own size", None),
            PrintSize("Everyone in standard print", False),
            PrintSize("Everyone in large print", True),
        ),
        waiting_words="Preparing the visit pack…",
    )


# --- the dialog ---------------------------------------------------------------------------------


class PrintPreviewDialog(QDialog):
    """Shows the document's pages with zoom and page turning; prints it or saves it as PDF.

    Attributes:
        document: the built document being shown, or None while building (or after closing).
        page_label: "Page 2 of 5", for the adviser and for screen readers.
        status: what just happened ("Saved to …", "Sent to the printer") or what went wrong.
        settings_button: shown when the printout needs the adviser's work phone number; opens
            Settings, and saving there builds the printout again.

    Signals: built(page_count), saved(path), printed(pages).
    """

    built = Signal(int)
    saved = Signal(str)
    printed = Signal(int)

    def __init__(
        self, session: Session, request: PreviewRequest, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.request = request
        self.document: BuiltDocument | None = None
        self._sizes: tuple[tuple[float, float], ...] = ()
        self._page = 0
        self._choice: bool | None = None
        self._build_generation = 0
        self._render_generation = 0
        self._tasks: set[Task] = set()
        self._busy_printing = False
        self.setWindowTitle("Print preview")
        fit_to_screen(self, text_size(self, 110, 60))

        self.title = heading("Print preview", 2)
        self.size_box = QComboBox()
        self.size_box.setAccessibleName("Print size")
        for size in request.sizes:
            self.size_box.addItem(size.words, size.large_print)
        self.size_box.setVisible(bool(request.sizes))
        self.zoom_box = QComboBox()
        self.zoom_box.setAccessibleName("Zoom")
        for words, zoom in ZOOMS:
            self.zoom_box.addItem(words, zoom)
        self.previous_button = QPushButton("Previous page")
        self.next_button = QPushButton("Next page")
        self.page_box = QSpinBox()
        self.page_box.setAccessibleName("Page number")
        self.page_box.setMinimum(1)
        self.page_label = plain(QLabel(""))
        self.page_label.setAccessibleName("Page")

        self.page_view = plain(QLabel(request.waiting_words))
        self.page_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_view.setAccessibleName("Page preview")
        self.page_area = QScrollArea()
        self.page_area.setWidget(self.page_view)
        self.page_area.setWidgetResizable(True)
        self.page_area.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.status = label("", "quiet")
        self.status.setAccessibleName("Print status")
        self.save_button = QPushButton("Save as PDF…")
        self.print_button = QPushButton("Print…")
        set_role(self.print_button, "primary")
        self.close_button = QPushButton("Close")
        self.settings_button = QPushButton("Add your work phone number…")
        self.settings_button.setToolTip("Opens Settings; the printout is made again once saved")
        self.settings_button.hide()

        tools = QHBoxLayout()
        # Each box named by its label (its buddy): screen readers say "Zoom", not "Fit to width".
        if request.sizes:
            size_label = plain(QLabel("Print size"))
            size_label.setBuddy(self.size_box)
            tools.addWidget(size_label)
            tools.addWidget(self.size_box)
        zoom_label = plain(QLabel("Zoom"))
        zoom_label.setBuddy(self.zoom_box)
        tools.addWidget(zoom_label)
        tools.addWidget(self.zoom_box)
        tools.addStretch(1)
        tools.addWidget(self.previous_button)
        tools.addWidget(self.page_box)
        tools.addWidget(self.page_label)
        tools.addWidget(self.next_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.settings_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(tools)
        layout.addWidget(self.page_area, 1)
        layout.addLayout(buttons)

        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(150)
        self._resize_timer.timeout.connect(self._render)

        self.size_box.currentIndexChanged.connect(self._size_chosen)
        self.zoom_box.currentIndexChanged.connect(lambda _i: self._render())
        self.previous_button.clicked.connect(lambda: self.show_page(self._page - 1))
        self.next_button.clicked.connect(lambda: self.show_page(self._page + 1))
        self.page_box.valueChanged.connect(lambda value: self.show_page(value - 1))
        self.save_button.clicked.connect(self.save_as_pdf)
        self.print_button.clicked.connect(self.print_document)
        self.close_button.clicked.connect(self.reject)
        self.settings_button.clicked.connect(self.open_settings)
        session.settings_changed.connect(self._settings_changed)
        for keys, slot in (
            (QKeySequence.StandardKey.MoveToNextPage, lambda: self.show_page(self._page + 1)),
            (QKeySequence.StandardKey.MoveToPreviousPage, lambda: self.show_page(self._page - 1)),
            (QKeySequence.StandardKey.ZoomIn, lambda: self._zoom_step(1)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self._zoom_step(-1)),
            (QKeySequence.StandardKey.Print, self.print_document),
            (QKeySequence.StandardKey.Save, self.save_as_pdf),
        ):
            QShortcut(QKeySequence(keys), self, slot)
        self._set_ready(False)
        self.rebuild()

    # --- building ---------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Builds the document again (first open, or another print size was chosen)."""
        self._build_generation += 1
        generation = self._build_generation
        self.document = None
        self._set_ready(False)
        self.page_view.setPixmap(QPixmap())
        self.page_view.setText(self.request.waiting_words)
        self._say("")
        self.settings_button.hide()
        ws = self.session.ws
        build, choice = self.request.build, self._choice

        def prepare(_progress: Progress) -> Prepared:
            built = build(ws, choice)
            return Prepared(built, page_sizes(built.pdf))

        self._start(
            prepare,
            lambda prepared: self._built(generation, prepared),
            lambda error: self._build_failed(generation, error),
            "build document",
        )

    def _built(self, generation: int, prepared: Prepared) -> None:
        if generation != self._build_generation:
            return
        self.document = prepared.document
        self._sizes = prepared.page_sizes
        self.title.setText(prepared.document.title)
        self.setWindowTitle(f"Print preview: {prepared.document.title}")
        self._select_size(prepared.document.large_print)
        count = len(self._sizes)
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(max(count, 1))
        self.page_box.blockSignals(False)
        self._set_ready(True)
        self.show_page(min(self._page, count - 1))
        self.built.emit(count)

    def _build_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._build_generation:
            return
        self.page_view.setText("")
        if isinstance(error, _documents().WorkPhoneMissing):
            self._say(str(error), "error")
            self.page_view.setText(str(error))
            self.settings_button.show()
            self.settings_button.setFocus()
        elif is_known(error):
            self._say(str(error), "error")
            self.page_view.setText(str(error))
        else:
            self._say("The printout could not be made.", "error")
            show_error(self, error)
        self.size_box.setEnabled(bool(self.request.sizes))

    def open_settings(self) -> None:
        """Settings over this preview, at the work phone field."""
        open_settings(self.session, self, focus=LINK_WORKER_PHONE)

    def _settings_changed(self) -> None:
        """Contact details are printed, so the printout is made again with the new ones."""
        if self.isVisible() and self.session.is_unlocked:
            self.rebuild()

    def _select_size(self, large_print: bool | None) -> None:
        """Shows the size that was built, without building again."""
        offers_own = any(size.large_print is None for size in self.request.sizes)
        wanted = self._choice if self._choice is not None or offers_own else large_print
        for index in range(self.size_box.count()):
            if self.size_box.itemData(index) == wanted:
                self.size_box.blockSignals(True)
                self.size_box.setCurrentIndex(index)
                self.size_box.blockSignals(False)
                return

    def _size_chosen(self, index: int) -> None:
        choice = self.size_box.itemData(index)
        self._choice = choice if isinstance(choice, bool) else None
        self.rebuild()

    # --- showing pages ------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self._sizes) if self.document is not None else 0

    @property
    def current_page(self) -> int:
        """The page shown, counting from 1 as the adviser does."""
        return self._page + 1

    def show_page(self, index: int) -> None:
        count = self.page_count
        if count == 0:
            return
        turned = max(0, min(index, count - 1)) != self._page
        self._page = max(0, min(index, count - 1))
        if turned:  # a new page is read from its top, not from where the last one was left
            self.page_area.verticalScrollBar().setValue(0)
            self.page_area.horizontalScrollBar().setValue(0)
        self.page_box.blockSignals(True)
        self.page_box.setValue(self._page + 1)
        self.page_box.blockSignals(False)
        self.page_label.setText(f"Page {self._page + 1} of {count}")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(self._page < count - 1)
        self._render()

    def _zoom_step(self, step: int) -> None:
        """Ctrl and + or -: the next fixed zoom; from a "fit" zoom, starts at 100%."""
        fixed = [i for i, (_words, zoom) in enumerate(ZOOMS) if zoom > 0]
        current = self.zoom_box.currentIndex()
        if current not in fixed:
            current = ZOOMS.index(("100%", 1.0))
        position = max(0, min(fixed.index(current) + step, len(fixed) - 1))
        self.zoom_box.setCurrentIndex(fixed[position])

    def _scale(self) -> float:
        """Pixels per point for the chosen zoom, in device pixels (sharp on high-DPI screens)."""
        width, height = self._sizes[self._page]
        ratio = self.devicePixelRatioF()
        zoom = float(self.zoom_box.currentData())
        viewport: QSize = self.page_area.viewport().size()
        margin = 24
        if zoom == 0.0:
            return max(0.1, (viewport.width() - margin) / width) * ratio
        if zoom < 0:
            fit = min((viewport.width() - margin) / width, (viewport.height() - margin) / height)
            return max(0.1, fit) * ratio
        return zoom * self.logicalDpiX() / POINTS_PER_INCH * ratio

    def _render(self) -> None:
        document = self.document
        if document is None or not self._sizes:
            return
        self._render_generation += 1
        generation = self._render_generation
        pdf, index, scale, ratio = document.pdf, self._page, self._scale(), self.devicePixelRatioF()

        def draw(image: QImage) -> None:
            if generation != self._render_generation or self.document is None:
                return
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            self.page_view.setPixmap(pixmap)

        self._start(lambda _p: render_page(pdf, index, scale), draw, self._render_failed, "render")

    def _render_failed(self, error: BaseException) -> None:
        self._say("This page could not be shown.", "error")
        show_error(self, error)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802  # Qt's name
        super().resizeEvent(event)
        if float(self.zoom_box.currentData() or 0) <= 0:
            self._resize_timer.start()

    # --- printing and saving --------------------------------------------------------------------

    def ask_printer(self) -> QPrinter | None:
        """The system print dialog; None if the adviser cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(PRINT_JOB_NAME)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setFullPage(True)  # the PDF carries its own margins
        printer.setFromTo(1, max(self.page_count, 1))
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, max(self.page_count, 1))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer

    def print_document(self) -> None:
        document = self.document
        if document is None or self._busy_printing:
            return
        printer = self.ask_printer()
        if printer is None:
            return
        ws = self.session.ws
        self._busy_printing = True
        self.print_button.setEnabled(False)
        self._say("Sending to the printer…")

        def send(progress: Progress) -> int:
            pages = print_pages(printer, document.pdf, progress)
            _documents().record_printed(ws, document)
            return pages

        def done(pages: int) -> None:
            self._busy_printing = False
            self.print_button.setEnabled(self.document is not None)
            noun = "page" if pages == 1 else "pages"
            self._say(f"Sent {pages} {noun} to the printer.", "notice")
            self.printed.emit(pages)

        def failed(error: BaseException) -> None:
            self._busy_printing = False
            self.print_button.setEnabled(self.document is not None)
            self._say("Nothing was printed." if not is_known(error) else str(error), "error")
            if not is_known(error):
                show_error(self, error)

        self._start(send, done, failed, "print")

    def save_as_pdf(self) -> None:
        document = self.document
        if document is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        if folder:  # Qt names it, but a new Linux account may lack it: the box then opened in
            with contextlib.suppress(OSError):  # the working folder, not the adviser's Documents
                Path(folder).mkdir(parents=True, exist_ok=True)
        suggested = str(Path(folder) / document.file_name) if folder else document.file_name
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save as PDF", suggested, "PDF documents (*.pdf)"
        )
        if not chosen:
            return
        path = Path(chosen if chosen.lower().endswith(".pdf") else chosen + ".pdf")
        ws = self.session.ws
        self._say("Saving…")

        def save(_progress: Progress) -> str:
            write_pdf(path, document.pdf)
            if document.structured is not None:
                # A letter's PRSB message back, beside it under the same name, for GP systems.
                write_pdf(path.with_suffix(".json"), document.structured)
            _documents().record_exported(ws, document)
            return str(path)

        def done(saved: str) -> None:
            beside = (
                " (with the message for GP systems beside it, ending .json)"
                if document.structured is not None
                else ""
            )
            self._say(f"Saved to {saved}{beside}", "notice")
            self.saved.emit(saved)

        def failed(error: BaseException) -> None:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else ""
            self._say(f"It could not be saved there{': ' + reason if reason else ''}.", "error")
            if not isinstance(error, OSError):
                show_error(self, error)

        self._start(save, done, failed, "save PDF")

    # --- plumbing -------------------------------------------------------------------------------

    def _start(
        self,
        fn: Callable[[Progress], object],
        on_done: Callable[..., None],
        on_error: Callable[[BaseException], None],
        name: str,
    ) -> None:
        """Runs `fn` on the writer thread; this dialog handles both outcomes itself."""
        task: Task | None = None

        def finish(callback: Callable[..., None], value: object) -> None:
            if task is not None:
                self._tasks.discard(task)
            callback(value)

        task = self.session.tasks.run_long(
            fn,
            lambda result: finish(on_done, result),
            lambda error: finish(on_error, error),
            write=True,
            name=name,
        )
        self._tasks.add(task)

    def _set_ready(self, ready: bool) -> None:
        for widget in (self.save_button, self.zoom_box, self.page_box):
            widget.setEnabled(ready)
        self.print_button.setEnabled(ready and not self._busy_printing)
        self.size_box.setEnabled(ready and bool(self.request.sizes))
        if not ready:
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            self.page_label.setText("")

    def _say(self, words: str, role: str = "quiet") -> None:
        self.status.setText(words)
        set_role(self.status, role)

    def done(self, result: int) -> None:
        """Closing drops the PDF and every result still on its way (a print still finishes)."""
        for task in self._tasks:
            task.forget()
        self._tasks.clear()
        self._build_generation = 0
        self.document = None
        self._sizes = ()
        self.page_view.setPixmap(QPixmap())
        super().done(result)
