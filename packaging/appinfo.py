"""Names and version shared by the spec, the build script, the installers and their tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"

APP_NAME = "SP Desktop"  # also the platformdirs data folder name (sp_desktop.cli.default_data_dir)
EXE_NAME = "sp-desktop"  # the onedir folder and the main executable
CONSOLE_EXE_NAME = "sp-desktop-console"  # Windows only: a console twin for --self-test and commands
PUBLISHER = "SP Desktop project"
DESCRIPTION = "Social prescribing for link workers"
# Reverse-DNS id for macOS; change it to the deploying organisation's domain before signing.
BUNDLE_ID = "org.spdesktop.SPDesktop"
# Inno Setup AppId: fixed forever, so upgrades replace the install instead of adding a second one.
WINDOWS_APP_ID = "{8C1D7E52-3B9A-4F0E-9C64-2E7A5D1B6F30}"
COPYRIGHT = "Copyright © SP Desktop project"
MACOS_MINIMUM = "11.0"  # PySide6 6.8+ wheels need macOS 11 or newer


def version() -> str:
    """The project version, read from pyproject.toml (the one place it is set)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def version_tuple(text: str | None = None) -> tuple[int, int, int, int]:
    """Four integers for a Windows version resource: '1.2.3rc1' -> (1, 2, 3, 0)."""
    numbers = [int(n) for n in re.findall(r"\d+", (text or version()).split("+")[0])[:3]]
    padded = (numbers + [0, 0, 0, 0])[:4]
    return padded[0], padded[1], padded[2], padded[3]


# Linux: CUPS and the TLS and Kerberos stack that only Qt's CUPS print plugin links. They come
# from the desktop, like the CUPS server they talk to (about 9 MB saved); without libcups2 the app
# still prints to PDF. The spec leaves them out and build.py checks nothing else needs them.
LINUX_SYSTEM_ONLY_LIBRARIES = (
    "libcups.", "libgnutls.", "libunistring.", "libp11-kit.", "libkrb5.", "libkrb5support.",
    "libgssapi_krb5.", "libk5crypto.", "libcom_err.", "libkeyutils.", "libnettle.", "libhogweed.",
    "libgmp.", "libidn2.", "libtasn1.", "libavahi-client.", "libavahi-common.",
)  # fmt: skip
LINUX_SYSTEM_ONLY_USER = "libcupsprintersupport.so"
