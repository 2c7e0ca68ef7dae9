"""PySide6.QtCore, as PyInstaller's own hook collects it, less what qt_policy trims."""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies
from qt_policy import trim

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries, datas = trim(binaries, datas)
