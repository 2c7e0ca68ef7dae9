"""The calm look: a legible font at the system's size, warm colours, large targets, clear focus.

Sizes are in `em` so everything grows with the font size the adviser chose in their system.
Nothing is said by colour alone: every state also has words. Text is plain: names, notes and
directory entries are shown exactly as written, never read as HTML (see `plain`, `plain_tip`).
"""

from __future__ import annotations

import html
from importlib.resources import as_file, files

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

FONT_FAMILY = "Atkinson Hyperlegible"
FONT_FILES = ("AtkinsonHyperlegible-Regular.ttf", "AtkinsonHyperlegible-Bold.ttf")

PAPER = "#fbf8f3"
SURFACE = "#ffffff"
INK = "#1f2328"
QUIET_INK = "#4a4f55"
ACCENT = "#2d6a4f"
ACCENT_DARK = "#1e4d38"
ACCENT_SOFT = "#e3efe8"
FOCUS = "#1a56b0"
# A focused green button turns yellow with a black edge (the GOV.UK focus style): a blue ring on
# dark green was barely visible.
FOCUS_FILL = "#ffdd00"
LINE = "#cfc8bd"
WARNING_INK = "#8a2c0d"
WARNING_SOFT = "#fbe9e1"

STYLESHEET = f"""
QWidget {{ color: {INK}; }}
QMainWindow, QDialog, QWizard, QStackedWidget > QWidget {{ background: {PAPER}; }}
QLabel[role="quiet"] {{ color: {QUIET_INK}; }}
QLabel[role="error"] {{
    color: {WARNING_INK}; background: {WARNING_SOFT}; border-left: 4px solid {WARNING_INK};
    padding: 0.2em 0.5em;
}}
QLabel[role="notice"] {{
    background: {ACCENT_SOFT}; border-left: 4px solid {ACCENT}; padding: 0.4em 0.6em;
}}
QLabel[role="key"] {{
    background: {SURFACE}; border: 2px dashed {ACCENT}; padding: 0.6em;
}}
QPushButton {{
    background: {SURFACE}; border: 2px solid {LINE}; border-radius: 0.4em;
    padding: 0.35em 1.0em; min-height: 1.6em;
}}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:focus {{ border: 3px solid {FOCUS}; }}
QPushButton[role="primary"] {{
    background: {ACCENT}; color: white; border-color: {ACCENT_DARK};
}}
QPushButton[role="primary"]:focus {{
    background: {FOCUS_FILL}; color: {INK}; border: 3px solid {INK};
}}
QPushButton[role="primary"]:disabled {{ background: {LINE}; color: {QUIET_INK}; }}
QPushButton[role="rating"] {{ min-width: 1.8em; min-height: 1.8em; padding: 0.2em 0.3em; }}
QPushButton[role="rating"]:checked, QPushButton[role="filter"]:checked {{
    background: {ACCENT}; color: white; border-color: {ACCENT_DARK};
}}
QPushButton[role="link"] {{
    border: none; background: transparent; color: {FOCUS}; text-decoration: underline;
    padding: 0.1em 0.2em; min-height: 1.2em;
}}
QPushButton[role="link"]:focus {{ border: 2px solid {FOCUS}; }}
QPushButton:disabled {{ color: {QUIET_INK}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox {{
    background: {SURFACE}; border: 2px solid {LINE}; border-radius: 0.3em; padding: 0.25em;
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QSpinBox:focus {{
    border: 3px solid {FOCUS};
}}
QComboBox:focus {{ border: 3px solid {FOCUS}; border-radius: 0.2em; padding: 0.1em 0.3em; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 3px solid {WARNING_INK}; }}
QTableView, QListView, QTreeView, QTextBrowser {{
    background: {SURFACE}; border: 2px solid {LINE}; alternate-background-color: #f4f0e8;
    selection-background-color: {ACCENT_SOFT}; selection-color: {INK};
}}
QTableView:focus, QListView:focus, QTreeView:focus, QTextBrowser:focus {{
    border: 3px solid {FOCUS};
}}
QHeaderView::section {{
    background: #efe9df; border: none; border-bottom: 2px solid {LINE};
    padding: 0.3em 0.5em; font-weight: bold;
}}
QCheckBox, QRadioButton {{ spacing: 0.5em; padding: 0.2em; }}
QCheckBox:focus, QRadioButton:focus {{ border: 2px solid {FOCUS}; border-radius: 0.2em; }}
QStatusBar {{ background: #efe9df; border-top: 1px solid {LINE}; }}
QStatusBar QLabel {{ padding: 0.1em 0.6em; }}
QToolBar {{ background: #efe9df; border-bottom: 1px solid {LINE}; spacing: 0.4em; padding: 0.2em; }}
QToolButton {{ padding: 0.35em 0.8em; border: 2px solid transparent; border-radius: 0.3em; }}
QToolButton:focus {{ border: 3px solid {FOCUS}; }}
QToolButton:hover {{ border-color: {ACCENT}; }}
QGroupBox {{
    background: {SURFACE}; border: 1px solid {LINE}; border-radius: 0.4em;
    margin-top: 1.4em; padding: 0.8em 0.6em 0.6em 0.6em;
}}
QGroupBox::title {{ subcontrol-origin: margin; left: 0.6em; padding: 0 0.3em; font-weight: bold; }}
QProgressBar {{ border: 2px solid {LINE}; border-radius: 0.3em; text-align: center;
    background: {SURFACE}; min-height: 1.2em; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QListWidget#sections {{ background: #f3eee6; border: none; border-right: 1px solid {LINE}; }}
QListWidget#sections::item:selected {{ background: {ACCENT_SOFT}; color: {INK}; }}
"""


def load_fonts() -> str | None:
    """Registers Atkinson Hyperlegible (designed for low-vision readers); returns its family."""
    family: str | None = None
    fonts = files("sp_desktop.resources").joinpath("fonts")
    for name in FONT_FILES:
        with as_file(fonts.joinpath(name)) as path:
            font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0 and family is None:
            families = QFontDatabase.applicationFontFamilies(font_id)
            family = families[0] if families else None
    return family


def apply(app: QApplication) -> None:
    """The app-wide look. Keeps the system's font size: only the face changes."""
    app.setStyle("Fusion")
    family = load_fonts()
    font = QFont(app.font())
    if family:
        font.setFamily(family)
    app.setFont(font)
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(PAPER))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.Text, QColor(INK))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT_SOFT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(INK))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)


def set_role(widget: QWidget, role: str) -> None:
    """Tags a widget for the stylesheet (primary button, error message, heading …).

    Weight is set on the font here, never in the stylesheet: a font rule in a stylesheet
    would replace the font the adviser's system size gave the widget.
    """
    widget.setProperty("role", role)
    if role in ("primary", "key"):
        font = QFont(widget.font())
        font.setBold(True)
        widget.setFont(font)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def plain(widget: QLabel) -> QLabel:
    """Shows the label's text exactly as written.

    Qt draws a label as rich text whenever its text looks like HTML, so a name or an imported
    directory entry holding `<img src=…>` would be drawn as an image, fetched from wherever it
    points (a network share on Windows). Every label that may show data is plain.
    """
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def plain_tip(text: str) -> str:
    """A tooltip that shows `text` exactly as written.

    Tooltips have no text format of their own: Qt draws one as rich text whenever it looks like
    HTML. So the text is escaped and always given as HTML (spaces and line breaks kept).
    """
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>'


def heading(text: str, level: int = 1) -> QLabel:
    """A heading scaled from the adviser's own font size (never a fixed pixel size)."""
    label = plain(QLabel(text))
    label.setProperty("role", "heading")
    font = QFont(label.font())
    base = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
    font.setPointSizeF(base * {1: 1.6, 2: 1.3, 3: 1.12}.get(level, 1.0))
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    label.setAccessibleName(text)
    return label


def label(text: str, role: str = "", *, wrap: bool = True) -> QLabel:
    """A label whose text is shown exactly as written (see `plain`)."""
    widget = plain(QLabel(text))
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    return widget
