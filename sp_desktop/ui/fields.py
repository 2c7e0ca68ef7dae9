"""Form helpers: errors shown beside their fields, and dates as people write them (or pick them)."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeyEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFormLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError

from sp_desktop.ui.style import INK, label, plain

_DATE = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(
    text: str, field: str, *, required: bool = True, example: date | None = None
) -> date | None:
    """Accepts 12/3/1941, 12-03-1941, 12 3 1941 or 1941-03-12; says how to write it if not.

    The example in the message is `example` (a birth date's is 12/03/1941), else today: a step's
    "by when" or a session date is never in 1941.
    """
    like = typed_date(example or date.today())
    if not text.strip():
        if required:
            raise ValidationError(field, f"Please enter a date, like {like}.")
        return None
    found = _DATE.match(text)
    try:
        if found:
            day, month, year = (int(g) for g in found.groups())
            return date(year, month, day)
        iso = _ISO.match(text)
        if iso:
            return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, "That date does not exist: please check it.") from None
    raise ValidationError(field, f"Please write the date as day/month/year, like {like}.")


def typed_date(day: date | None) -> str:
    """A date as it is typed back into a field: 12/03/1941."""
    return "" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year}"


def nice_date(day: date | None, empty: str = "") -> str:
    """A date as people say it: 'Tue 3 Mar 2026' (no locale surprises, same on every laptop)."""
    if day is None:
        return empty
    return f"{day:%a} {day.day} {day:%b %Y}"


class FieldWithError(QWidget):
    """An input with its own error line directly under it, hidden until there is a problem.

    The message is also set as the input's accessible description, so a screen reader says it.
    """

    def __init__(self, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.error: QLabel = label("", "error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self.error)
        self.setFocusProxy(field)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.field.setProperty("invalid", True)
        self.field.setAccessibleDescription(message)
        self._repolish()

    def clear_error(self) -> None:
        if self.error.isHidden() and not self.field.property("invalid"):
            return  # nothing to clear: restyling the field costs a stylesheet pass each time
        self.error.clear()
        self.error.hide()
        self.field.setProperty("invalid", False)
        self.field.setAccessibleDescription("")
        self._repolish()

    def _repolish(self) -> None:
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)


def form_row(form: QFormLayout, text: str, widget: QWidget) -> QLabel:
    """A form row whose label names the input itself (its buddy), even when the input is
    wrapped with its error line: screen readers announce a combo box by this label on Linux,
    and Alt with the label's underlined letter goes to the input."""
    field = widget.field if isinstance(widget, FieldWithError) else widget
    caption = plain(QLabel(text))
    caption.setBuddy(field)
    form.addRow(caption, widget)
    return caption


class FormErrors:
    """Field name (as the domain names it in ValidationError.field) -> where to show it."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldWithError] = {}
        self.fallback: QLabel | None = None

    def add(self, name: str, field: QWidget) -> FieldWithError:
        wrapped = FieldWithError(field)
        self.fields[name] = wrapped
        return wrapped

    def clear(self) -> None:
        for wrapped in self.fields.values():
            wrapped.clear_error()
        if self.fallback is not None:
            self.fallback.hide()

    def show(self, error: ValidationError) -> None:
        """Beside the field it names (focused, so the adviser is taken to it), else at the top."""
        wrapped = self.fields.get(error.field)
        if wrapped is not None:
            wrapped.show_error(error.message)
            wrapped.field.setFocus()
        elif self.fallback is not None:
            self.fallback.setText(error.message)
            self.fallback.show()

    def show_all(self, errors: list[ValidationError], *, focus: bool = True) -> None:
        """Every problem at once, each beside its field; fields now fine are cleared. Focus goes
        to the first problem in reading order (the order the fields were added), so the adviser
        starts at the top; problems with no field of their own are said at the top."""
        by_field: dict[str, str] = {}
        loose: list[str] = []
        for error in errors:
            if error.field in self.fields:
                by_field.setdefault(error.field, error.message)
            elif error.message not in loose:
                loose.append(error.message)
        for name, wrapped in self.fields.items():
            if name in by_field:
                if wrapped.error.text() != by_field[name] or wrapped.error.isHidden():
                    wrapped.show_error(by_field[name])
            elif not wrapped.error.isHidden():
                wrapped.clear_error()
        if self.fallback is not None:
            self.fallback.setText("\n".join(loose))
            self.fallback.setVisible(bool(loose))
        if not focus:
            return
        first = next((self.fields[name] for name in self.fields if name in by_field), None)
        if first is not None:
            first.field.setFocus(Qt.FocusReason.OtherFocusReason)
        elif loose and self.fallback is not None:
            self.fallback.setFocus(Qt.FocusReason.OtherFocusReason)

    def shown(self) -> dict[str, str]:
        """Field name -> the message shown beside it now (what tests and screen readers see)."""
        return {n: w.error.text() for n, w in self.fields.items() if not w.error.isHidden()}


def _calendar_icon(size: int = 16) -> QIcon:
    """A small calendar page, drawn here (no icon files to ship or theme to depend on)."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    ink = QColor(INK)
    painter.setPen(QPen(ink, 2))
    painter.drawRoundedRect(3, 6, size * 2 - 6, size * 2 - 9, 3, 3)
    painter.fillRect(3, 6, size * 2 - 6, 6, ink)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(ink)
    for row in range(2):
        for column in range(3):
            painter.drawRect(8 + column * 7, 16 + row * 6, 4, 3)
    painter.end()
    return QIcon(pixmap)


class DateField(QLineEdit):
    """A date typed as day/month/year, or picked from a calendar: the calendar button at the
    field's end, or Alt+Down (F4 too) from the keyboard. What is typed stays as typed; picking
    writes the day back in the same day/month/year form. Signal: picked(date)."""

    picked = Signal(object)

    def __init__(
        self, day: date | None = None, *, name: str, optional: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(typed_date(day), parent)
        self.setAccessibleName(name)
        self.setPlaceholderText("day/month/year" + (" (optional)" if optional else ""))
        self.setAccessibleDescription(
            "Type the date, or press Alt+Down to pick it from a calendar."
        )
        self.calendar_action = QAction(_calendar_icon(), "Pick from a calendar", self)
        self.calendar_action.setToolTip("Pick from a calendar (Alt+Down)")
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)
        self.calendar_action.triggered.connect(self.open_calendar)
        # The calendar button takes Tab like every control (Enter or Space opens it).
        for button in self.findChildren(QToolButton):
            if button.defaultAction() is self.calendar_action:
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                button.setAccessibleName(f"Pick {name.lower()} from a calendar")
        self.calendar: QCalendarWidget | None = None

    def day(self) -> date | None:
        """The typed day, or None when it is empty or not yet a whole date."""
        try:
            return parse_date(self.text(), "date", required=False)
        except ValidationError:
            return None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802  # Qt's name
        alt_down = (
            event.key() == Qt.Key.Key_Down
            and event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.open_calendar()
            event.accept()
            return
        super().keyPressEvent(event)

    def open_calendar(self) -> QCalendarWidget:
        """A month calendar under the field: arrows move, Enter picks, Escape closes."""
        calendar = self.calendar
        if calendar is None:
            calendar = QCalendarWidget(self)
            calendar.setWindowFlags(Qt.WindowType.Popup)
            calendar.setAccessibleName(f"Calendar: {self.accessibleName()}")
            calendar.setGridVisible(True)
            calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            calendar.setVerticalHeaderFormat(
                QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader
            )
            calendar.activated.connect(self._picked)
            calendar.clicked.connect(self._picked)
            self.calendar = calendar
        shown = self.day() or date.today()
        calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        calendar.adjustSize()
        place = self.mapToGlobal(QPoint(0, self.height()))
        screen = self.screen().availableGeometry()
        x = min(max(place.x(), screen.left()), screen.right() + 1 - calendar.width())
        y = place.y()
        if y + calendar.height() > screen.bottom() + 1:
            y = self.mapToGlobal(QPoint(0, 0)).y() - calendar.height()  # above the field
        calendar.move(x, max(y, screen.top()))
        calendar.show()
        calendar.setFocus(Qt.FocusReason.PopupFocusReason)
        return calendar

    def _picked(self, day: QDate) -> None:
        chosen = date(day.year(), day.month(), day.day())
        self.setText(typed_date(chosen))
        self.textEdited.emit(self.text())
        if self.calendar is not None:
            self.calendar.hide()
        self.setFocus(Qt.FocusReason.PopupFocusReason)
        self.picked.emit(chosen)

