"""`devtools try` checks the libraries Qt's xcb plugin needs before launching, and prints the
one apt-get command that adds the missing ones (here with fake `ldd` and `ldconfig` answers)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from sp_desktop import devtools

# What `ldd libqxcb.so` printed on the fresh Debian 12 machine of the issue (abridged): Qt
# blamed libxcb-cursor0, which was installed; icccm and keysyms were the missing ones.
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f69)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f69)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f69)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f69)
"""
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="the fake tools are shell scripts")
LDD_ALL_THERE = "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x1)\n"


def _fake_tool(folder: Path, name: str, answer: str) -> None:
    """A stand-in for a system tool that prints `answer`, first on PATH."""
    folder.mkdir(exist_ok=True)
    (folder / "answer.txt").write_text(answer)
    tool = folder / name
    cat = shutil.which("cat")
    tool.write_text(f'#!/bin/sh\n"{cat}" "{folder / "answer.txt"}"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


def test_ldd_answer_names_each_missing_library_once() -> None:
    assert devtools.missing_libraries(LDD_FRESH_DEBIAN) == [
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
    ]
    assert devtools.missing_libraries(LDD_ALL_THERE) == []


@pytest.mark.parametrize(
    ("missing", "as_root", "command", "unknown"),
    [
        (
            ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"],
            False,
            "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1",
            [],
        ),
        (["libxcb-cursor.so.0"], True, "apt-get install -y libxcb-cursor0", []),
        # Two files from one package: named once.
        (["libglib-2.0.so.0", "libgthread-2.0.so.0"], True, "apt-get install -y libglib2.0-0", []),
        (
            ["libxcb-shm.so.0", "libfoo.so.9"],
            True,
            "apt-get install -y libxcb-shm0",
            ["libfoo.so.9"],
        ),
        (["libfoo.so.9"], True, "", ["libfoo.so.9"]),
    ],
)
def test_one_install_command(
    missing: list[str], as_root: bool, command: str, unknown: list[str]
) -> None:
    assert devtools.install_command(missing, as_root=as_root) == (command, unknown)


@POSIX_ONLY
def test_with_a_fake_ldd_the_missing_ones_and_the_command_are_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tool(tmp_path / "bin", "ldd", LDD_FRESH_DEBIAN)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    said = devtools.qt_library_problem(plugin, as_root=False)
    assert said is not None
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in said
    assert "    sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1\n" in said
    assert "cursor" not in said  # not what Qt's own message blamed


@POSIX_ONLY
def test_nothing_is_said_when_everything_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tool(tmp_path / "bin", "ldd", LDD_ALL_THERE)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    assert devtools.qt_library_problem(plugin) is None
    assert devtools.qt_library_problem(None) is None  # no PySide6 plugin: Qt speaks for itself


@POSIX_ONLY
def test_before_the_install_the_linker_cache_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    present = [
        n for n in devtools.EARLY_CHECK if n not in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    ]
    cache = f"{len(present)} libs found in cache `/etc/ld.so.cache'\n" + "".join(
        f"\t{name} (libc6,x86-64) => /lib/x86_64-linux-gnu/{name}\n" for name in present
    )
    _fake_tool(tmp_path / "bin", "ldconfig", cache)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    said = devtools.early_library_problem(as_root=True)
    assert said is not None and "apt-get install -y libxcb-icccm4 libxcb-keysyms1" in said
    _fake_tool(
        tmp_path / "bin",
        "ldconfig",
        cache + "\tlibxcb-icccm.so.4 (x) => /l\n\tlibxcb-keysyms.so.1 (x) => /l\n",
    )
    assert devtools.early_library_problem(as_root=True) is None


@pytest.mark.parametrize(
    ("platform", "env", "needed"),
    [
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, False),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, True),
        ("win32", {}, False),
        ("darwin", {}, False),
    ],
)
def test_only_linux_on_x11_is_checked(
    platform: str, env: dict[str, str], needed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert devtools._needs_xcb() is needed


def test_every_library_the_check_names_has_a_package() -> None:
    assert set(devtools.EARLY_CHECK) <= set(devtools.QT_XCB_PACKAGES)
    assert all(package.islower() for package in devtools.QT_XCB_PACKAGES.values())
