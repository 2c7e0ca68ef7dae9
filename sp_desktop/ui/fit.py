"""Windows sized from the screen they open on: every window fits the adviser's laptop.

Advisers' laptops are small (1366×768 is the commonest) and often scaled to 125 % or 150 %, so a
window sized in fixed pixels can put its buttons below the screen edge. Each window says how big it
would like to be (in characters and lines of its own font, so it grows with the adviser's font
size); `fit_to_screen` trims that to the screen's available area (without the taskbar), leaves
room for the window manager's title bar, and keeps the window on the screen when it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QResizeEvent, QScreen
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

# What a window manager adds around a window: the title bar above it and a thin border.
# Qt's own geometry excludes both until the window is on screen, so they are allowed for here.
TITLE_BAR = 32
EDGE = 8


def screen_of(widget: QWidget) -> QScreen:
    """The screen a window opens on: its parent's, else its own, else the primary one."""
    parent = widget.parentWidget()
    if parent is not None and parent.window().isVisible():
        return parent.window().screen()
    screen = widget.screen()
    return screen if screen is not None else QGuiApplication.primaryScreen()


def room(widget: QWidget) -> QRect:
    """The part of the screen a window's inside may use: the available area (no taskbar), less
    the title bar and border the window manager draws."""
    area = screen_of(widget).availableGeometry()
    return area.adjusted(EDGE, TITLE_BAR, -EDGE, -EDGE)


def text_size(widget: QWidget, chars: float, lines: float) -> QSize:
    """A size in the widget's own font: grows with the adviser's font size and scaling."""
    metrics = widget.fontMetrics()
    return QSize(round(metrics.averageCharWidth() * chars), round(metrics.lineSpacing() * lines))


def fitted(widget: QWidget, wanted: QSize) -> QSize:
    """`wanted`, trimmed to the room on the screen (never below what the layout needs)."""
    space = room(widget).size()
    size = wanted.boundedTo(space)
    return size.expandedTo(widget.minimumSizeHint().boundedTo(space))


class _KeepOnScreen(QObject):
    """Re-fits a window each time it is shown: the screen may have changed (a projector, a
    docking station) and Qt's own placing knows nothing of the title bar."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            keep_on_screen(watched)
        return False


def keep_on_screen(window: QWidget) -> None:
    """Trims a window to the room on its screen and moves it fully onto that room."""
    if window.isMaximized() or window.isFullScreen():
        return
    space = room(window)
    if window.width() > space.width() or window.height() > space.height():
        window.resize(window.size().boundedTo(space.size()))
    geometry = window.geometry()
    x = max(min(geometry.x(), space.right() + 1 - geometry.width()), space.left())
    y = max(min(geometry.y(), space.bottom() + 1 - geometry.height()), space.top())
    if (x, y) != (geometry.x(), geometry.y()):
        window.move(QPoint(x, y) - _frame_offset(window))


def _frame_offset(window: QWidget) -> QPoint:
    """move() places the frame, geometry() is the inside: the difference between them."""
    return window.geometry().topLeft() - window.frameGeometry().topLeft()


def fit_to_screen(window: QWidget, wanted: QSize | None = None) -> None:
    """Sizes a window to `wanted` (see `text_size`) or its own size hint, trimmed to the screen,
    and keeps it on screen whenever it is shown. Call once, after the window's layout is built."""
    keep = wanted if wanted is not None else window.sizeHint()
    window.resize(fitted(window, keep))
    window.installEventFilter(_KeepOnScreen(window))


def centre_on_screen(window: QWidget) -> None:
    """A main window with no remembered place: centred in the room on its screen."""
    space = room(window)
    frame = window.frameGeometry()
    frame.moveCenter(space.center())
    window.move(frame.topLeft())


class _Scroll(QScrollArea):
    """A scroll area whose content is never squeezed below what it needs.

    Qt sizes a resizable scroll area's content by its height-for-width, and a form of wrapped
    labels (QFormLayout, group boxes) answers too little, cutting its lines to slivers; the
    content's own minimum is the floor here.
    """

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802  # Qt's name
        body = self.widget()
        if body is not None:
            width = self.viewport().width()
            need = body.minimumSizeHint().height()
            if body.hasHeightForWidth():
                need = max(need, body.heightForWidth(width))
            body.setMinimumHeight(0)
            need = max(need, _wrapped_need(body, width))
            body.setMinimumHeight(need)
        super().resizeEvent(event)


def _wrapped_need(body: QWidget, width: int) -> int:
    """The content's height when laid out at `width`, its wrapped labels given their lines."""
    layout = body.layout()
    if layout is None:
        return body.heightForWidth(width) if body.hasHeightForWidth() else 0
    layout.activate()
    return max(layout.totalMinimumSize().height(), layout.totalSizeHint().height())


def scrolling(body: QWidget) -> QScrollArea:
    """Long content in a scroll area that follows the window's width (no sideways scrolling);
    the buttons that act on it stay outside, always in view."""
    area = _Scroll()
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area
