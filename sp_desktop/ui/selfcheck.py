"""The self-test's Qt checks: a widget drawn, a printer made, the real main window built."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

from sp_desktop.selftest import CheckFailed, SelfTest


def native_platform_plugin() -> str:
    return {"Windows": "qwindows", "Darwin": "qcocoa"}.get(platform.system(), "qxcb")


def with_qt(test: SelfTest, checks: Callable[[SelfTest], str]) -> Callable[[], str]:
    """Runs Qt checks offscreen, with Qt's own messages collected as warnings."""

    def check() -> str:
        from PySide6 import QtCore, QtWidgets

        # Offscreen, so the check runs on a build server or over SSH; the native plugin is
        # then looked for (and loaded where it can be) separately.
        if QtWidgets.QApplication.instance() is None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"

        def collect(kind: QtCore.QtMsgType, _context: object, message: str) -> None:
            # This one is the offscreen platform saying it has no window manager, its nature.
            if "propagateSizeHints" not in message:
                test.warnings.append(f"Qt {kind.name}: {message}")

        previous = QtCore.qInstallMessageHandler(collect)
        try:
            return checks(test)
        finally:
            QtCore.qInstallMessageHandler(previous)

    return check


def ui_checks(test: SelfTest) -> str:
    """Builds the real main window on an empty folder: the set-up screen an adviser first sees."""
    import importlib.util

    if importlib.util.find_spec("sp_desktop.app") is None:
        return "sp_desktop.app not present: skipped"
    from PySide6 import QtWidgets

    from sp_desktop.app import application, build
    from sp_desktop.services.workspace import Argon2Params

    app = application()
    window = build(
        test.folder.parent / "ui",
        argon2_params=Argon2Params(memory_kib=8 * 1024, iterations=1, lanes=1),
        route_errors=False,
    )
    try:
        window.start()
        app.processEvents()
        if window.grab().isNull():
            raise CheckFailed("the main window could not be drawn")
        screens = len(window.findChildren(QtWidgets.QWidget))
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return f"main window built and drawn ({screens} widgets)"


def long_session_check(test: SelfTest) -> str:
    """This bundle's Python and PySide6 pair keeps its references to None (a long session
    would otherwise abort: PySide6 6.12.0 on Python 3.11)."""
    import sys

    from PySide6 import QtCore

    from sp_desktop.ui.refleak import PROBE_CALLS, TOLERATED_DRIFT, none_refcount_drift

    drift = none_refcount_drift()
    if sys.version_info < (3, 12) and drift > TOLERATED_DRIFT:
        raise CheckFailed(
            f"PySide6 {QtCore.qVersion()} loses a reference to None per void call "
            f"({drift} over {PROBE_CALLS:,} rounds): a long session would crash"
        )
    return f"None kept its references over {PROBE_CALLS:,} rounds of void Qt calls"


def qt_checks(test: SelfTest) -> str:
    """Draws a widget, makes a printer, and looks for the native platform plugin."""
    from importlib.resources import files

    from PySide6 import QtCore, QtGui, QtPrintSupport, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["sp-desktop"])
    font_data = files("sp_desktop.resources").joinpath("fonts/AtkinsonHyperlegible-Regular.ttf")
    font_id = QtGui.QFontDatabase.addApplicationFontFromData(
        QtCore.QByteArray(font_data.read_bytes())
    )
    if font_id < 0:
        raise CheckFailed("Qt could not load Atkinson Hyperlegible")
    family = QtGui.QFontDatabase.applicationFontFamilies(font_id)[0]

    window = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(window)
    label = QtWidgets.QLabel("What matters to you?")
    label.setFont(QtGui.QFont(family, 14))
    layout.addWidget(label)
    layout.addWidget(QtWidgets.QLineEdit("Zoë Dvořák"))
    layout.addWidget(QtWidgets.QPushButton("Save"))
    window.show()
    app.processEvents()
    if window.grab().isNull():
        raise CheckFailed("a widget could not be drawn")
    window.close()
    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))

    plugins = Path(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath))
    native = native_platform_plugin()
    found = sorted((plugins / "platforms").glob(f"*{native}.*"))
    if not found:
        raise CheckFailed(f"the {native} platform plugin is missing from {plugins}")
    loader = QtCore.QPluginLoader(str(found[0]))
    if not loader.load():
        # A missing system library (libxcb-cursor0 on a bare Linux) is the machine's, not
        # the bundle's; say so without failing, since the offscreen check above passed.
        test.warnings.append(f"{native} plugin did not load here: {loader.errorString()}")
    platform_name = QtGui.QGuiApplication.platformName()
    return f"Qt {QtCore.qVersion()} on {platform_name}; widget drawn; {native} present"
