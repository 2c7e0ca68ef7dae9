"""Developer bootstrap using only the standard library: `python3 -m sp_desktop.devtools try|test`.

Creates `.venv` beside pyproject.toml on first use and (re)installs the project whenever
pyproject.toml changes, so both commands work on a fresh machine with only Python 3.11+. On
Linux, `try` first checks the system libraries Qt's window system plugin (xcb) needs and, when
some are missing, prints the one `apt-get install` command that adds them instead of letting Qt
abort with a message naming the wrong package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
DEMO_DIR = ROOT / ".demo"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

#: What Qt's xcb plugin (PySide6/Qt/plugins/platforms/libqxcb.so) loads, by library file, and
#: the Debian/Ubuntu package that ships it. Taken from `ldd libqxcb.so` of PySide6 6.8-6.11 and
#: Qt's "Qt for X11 requirements" page. Packages renamed in the 64-bit time move (Debian 13,
#: Ubuntu 24.04: libglib2.0-0t64, libpng16-16t64) are named the old way: apt installs the new
#: package for the old name.
QT_XCB_PACKAGES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libpng16.so.16": "libpng16-16",
    "libexpat.so.1": "libexpat1",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libbrotlidec.so.1": "libbrotli1",
}

#: Checked before the install: the files today's PySide6 plugin loads (the two older Qt
#: needed, xinerama and xinput, only matter if `ldd` names them).
EARLY_CHECK: tuple[str, ...] = tuple(
    name for name in QT_XCB_PACKAGES if name not in ("libxcb-xinerama.so.0", "libxcb-xinput.so.0")
)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


# --- the system libraries Qt needs on Linux ------------------------------------------------------


def missing_libraries(ldd_output: str) -> list[str]:
    """Library files `ldd` could not find, once each, in the order it reported them."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def missing_from_cache(ldconfig_output: str, needed: Iterable[str] = EARLY_CHECK) -> list[str]:
    """Which of `needed` the dynamic linker's cache (`ldconfig -p`) does not list."""
    known = {line.split(" (", 1)[0].strip() for line in ldconfig_output.splitlines()}
    return [name for name in needed if name not in known]


def install_command(missing: Iterable[str], *, as_root: bool) -> tuple[str, list[str]]:
    """The one apt-get command for the packages holding `missing`, and any file no known
    package holds (to look up with `apt-file search`)."""
    packages: list[str] = []
    unknown: list[str] = []
    for name in missing:
        package = QT_XCB_PACKAGES.get(name)
        if package is None:
            unknown.append(name)
        elif package not in packages:
            packages.append(package)
    if not packages:
        return "", unknown
    sudo = "" if as_root else "sudo "
    return f"{sudo}apt-get install -y {' '.join(packages)}", unknown


def explain_missing(missing: list[str], *, as_root: bool) -> str:
    """What to tell the person at the keyboard: which libraries, and the command to run."""
    command, unknown = install_command(missing, as_root=as_root)
    lines = [
        "SP Desktop's window needs some system libraries this computer does not have yet:",
        "    " + ", ".join(missing),
    ]
    if command:
        lines += [
            "On Debian or Ubuntu, install them with this one command, then run this again:",
            "",
            f"    {command}",
            "",
        ]
    if unknown:
        lines.append(
            "To find the package for "
            + ", ".join(unknown)
            + ": apt-file search <name> (Debian, Ubuntu) or dnf provides '*/<name>' (Fedora)."
        )
    return "\n".join(lines)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def xcb_plugin(python: Path = PYTHON, run: Runner = subprocess.run) -> Path | None:
    """Where the installed PySide6 keeps its xcb plugin, or None when it cannot be found."""
    found = run(
        [
            str(python),
            "-c",
            "import pathlib, PySide6; "
            "print(pathlib.Path(PySide6.__file__).parent / 'Qt/plugins/platforms/libqxcb.so')",
        ],
        capture_output=True,
        text=True,
    )
    path = Path(found.stdout.strip()) if found.returncode == 0 else None
    return path if path is not None and path.is_file() else None


def qt_library_problem(
    plugin: Path | None, *, run: Runner = subprocess.run, as_root: bool | None = None
) -> str | None:
    """Words and the install command when Qt's xcb plugin cannot load, else None.

    Asks `ldd`, which follows every library the plugin loads; without `ldd` (not glibc) it
    says nothing and lets Qt try.
    """
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return None
    answer = run([ldd, str(plugin)], capture_output=True, text=True)
    missing = missing_libraries(answer.stdout + answer.stderr)
    if not missing:
        return None
    return explain_missing(missing, as_root=_as_root() if as_root is None else as_root)


def early_library_problem(
    *, run: Runner = subprocess.run, as_root: bool | None = None
) -> str | None:
    """The same check before the long install, from the linker's cache and the known list."""
    ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin")
    if ldconfig is None:
        return None
    answer = run([ldconfig, "-p"], capture_output=True, text=True)
    if answer.returncode != 0:
        return None
    missing = missing_from_cache(answer.stdout)
    if not missing:
        return None
    return explain_missing(missing, as_root=_as_root() if as_root is None else as_root)


def _needs_xcb() -> bool:
    """Linux with a window system Qt would reach through xcb (not offscreen, not Wayland only)."""
    if not sys.platform.startswith("linux"):
        return False
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return platform in ("", "xcb") and not (
        os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")
    )


# --- the environment --------------------------------------------------------------------------


def _venv_problem() -> str | None:
    """Debian and Ubuntu ship Python without `ensurepip` until python3-venv is installed."""
    if importlib.util.find_spec("ensurepip") is not None:
        return None
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    sudo = "" if _as_root() else "sudo "
    return (
        "This Python cannot make a virtual environment yet. On Debian or Ubuntu install the "
        f"venv module with:\n\n    {sudo}apt-get install -y python{version}-venv\n\n"
        "then run this again."
    )


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under whatever python3 is first
        sys.exit("SP Desktop needs Python 3.11 or newer.")
    if not PYTHON.exists():
        problem = _venv_problem()
        if problem:
            sys.exit(problem)
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".sp-desktop-installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(
        "Installing SP Desktop and its development tools into .venv. The first time this "
        "downloads Qt and the other libraries and takes a few minutes; pip shows its progress.",
        flush=True,
    )
    # Not quiet: a long silent wait reads as a hang.
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def _run(*args: str) -> int:
    print("$", " ".join(args), flush=True)
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT).returncode


def try_demo() -> int:
    """Opens the app on a training store of synthetic people (made on first use)."""
    if _needs_xcb() and (problem := early_library_problem()):
        # Said before the install, so nobody waits minutes to be told.
        print(problem, file=sys.stderr)
        return 1
    _ensure_environment()
    if _needs_xcb() and (problem := qt_library_problem(xcb_plugin())):
        print(problem, file=sys.stderr)
        return 1
    if not (DEMO_DIR / "sp-desktop.keys").exists():
        code = _run("sp-desktop", "demo", "--data-dir", str(DEMO_DIR))
        if code:
            return code
    print('Passphrase for the training store: "demo store only - not for real people"')
    return _run("sp-desktop", "--data-dir", str(DEMO_DIR))


def test() -> int:
    """Lint, type-check, layer contracts, then the whole test suite."""
    _ensure_environment()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for step in (
        ("ruff", "check", "."),
        ("mypy",),
        ("lint-imports",),
        ("pytest", "-q", *sys.argv[2:]),
    ):
        code = _run(*step)
        if code:
            return code
    return 0


def main() -> int:
    commands = {"try": try_demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print("usage: python3 -m sp_desktop.devtools try|test [pytest arguments]")
        return 2
    return commands[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
