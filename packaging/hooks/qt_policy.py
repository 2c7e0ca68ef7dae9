"""Which Qt plugins and translations the frozen app keeps: one list, shared by the Qt hooks."""

from __future__ import annotations

import os
from collections.abc import Iterable

# Set by the spec before analysis: "1" keeps QtSvg's image format and icon engine plugins.
USE_SVG = os.environ.get("SP_DESKTOP_QT_SVG", "0") == "1"

# Plugin types dropped whole: touch/evdev input (generic), embedded and Wayland back ends, OpenGL
# on X11, and QtNetwork's TLS and network-information back ends (the app talks HTTP through
# httpx, never through QtNetwork).
DROPPED_TYPES = frozenset(
    {
        "generic",
        "egldeviceintegrations",
        "xcbglintegrations",
        "wayland-decoration-client",
        "wayland-graphics-integration-client",
        "wayland-graphics-integration-server",
        "wayland-shell-integration",
        "tls",
        "networkinformation",
        "qmltooling",
        "sqldrivers",
        "designer",
        "vectorimageformats",
    }
)

# Types where only the named plugins stay (file name without "lib" prefix and extension).
KEPT_ONLY = {
    # The native platform for each OS, plus offscreen for the headless self-test.
    "platforms": {"qxcb", "qwindows", "qcocoa", "qoffscreen"},
    # qgtk3 would drag GTK, Pango and Cairo into the bundle; the portal theme is small.
    "platformthemes": {"qxdgdesktopportal"},
    # PNG, BMP and XPM are built into QtGui; these cover icons and photos a scheme may add.
    "imageformats": {"qico", "qjpeg", "qgif"} | ({"qsvg"} if USE_SVG else set()),
    "iconengines": {"qsvgicon"} if USE_SVG else set(),
}


def _plugin_folder(dest: str) -> str | None:
    """'platforms' for a destination like PySide6/Qt/plugins/platforms; None if not a plugin."""
    parts = dest.replace("\\", "/").split("/")
    if "plugins" not in parts[:-1]:
        return None
    return "/".join(parts[parts.index("plugins") + 1 :])


def _stem(source: str) -> str:
    name = os.path.basename(source).split(".")[0]
    return name[3:] if name.startswith("lib") else name


def keep_binary(source: str, dest: str) -> bool:
    folder = _plugin_folder(dest)
    if folder is None:
        return True
    if folder.split("/")[0] in DROPPED_TYPES:
        return False
    # Only a type's own folder is filtered: a subfolder (macOS's platforms/darwin) stays whole.
    if folder in KEPT_ONLY:
        return _stem(source) in KEPT_ONLY[folder]
    return True


def trim(
    binaries: Iterable[tuple[str, str]], datas: Iterable[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Drops unwanted plugins, and every Qt translation: the app is in English only."""
    kept_binaries = [(src, dest) for src, dest in binaries if keep_binary(src, dest)]
    kept_datas = [(src, dest) for src, dest in datas if not src.endswith(".qm")]
    return kept_binaries, kept_datas
