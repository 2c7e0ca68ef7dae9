"""Form helpers: an error message shown right beside its field, and dates as people write them."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sp_desktop.domain.errors import ValidationError

from sp_desktop.ui.style import label

_DATE = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(text: str, field: str, *, required: bool = True) -> date | None:
    """Accepts 12/3/1941, 12-03-1941, 12 3 1941 or 1941-03-12; says how to write it if not."""
    if not text.strip():
        if required:
            raise ValidationError(field, "Please enter a date, like 12/03/1941.")
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
    raise ValidationError(field, "Please write the date as day/month/year, like 12/03/1941.")


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
        self.error.clear()
        self.error.hide()
        self.field.setProperty("invalid", False)
        self.field.setAccessibleDescription("")
        self._repolish()

    def _repolish(self) -> None:
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)


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
