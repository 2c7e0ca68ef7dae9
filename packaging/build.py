"""One command to freeze SP Desktop and smoke-test the result: `python packaging/build.py`."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import appinfo  # noqa: E402

ROOT = appinfo.ROOT
PACKAGING = appinfo.PACKAGING
SPEC = PACKAGING / "sp-desktop.spec"
WORK = ROOT / "build" / "pyinstaller"
DIST = ROOT / "dist"
PYINSTALLER_REQUIREMENT = "pyinstaller>=6.10"
PYINSTALLER_MINIMUM = (6, 10)
SELF_TEST_TIMEOUT = 180  # seconds; it takes about two here


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def ensure_pyinstaller() -> None:
    """Installs PyInstaller into this interpreter's environment when it is missing or too old."""
    try:
        import PyInstaller

        found = tuple(int(n) for n in re.findall(r"\d+", PyInstaller.__version__)[:2])
        if found >= PYINSTALLER_MINIMUM:
            return
        log(f"PyInstaller {PyInstaller.__version__} is too old")
    except ImportError:
        log("PyInstaller is not installed")
    if sys.prefix == sys.base_prefix:
        sys.exit("Refusing to pip-install into the system Python: run this from a virtualenv.")
    log(f"installing {PYINSTALLER_REQUIREMENT} into {sys.prefix}")
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, PYINSTALLER_REQUIREMENT], check=True)


def app_dir() -> Path:
    """The folder whose executables were built: inside the .app on macOS."""
    if sys.platform == "darwin":
        return DIST / f"{appinfo.APP_NAME}.app" / "Contents" / "MacOS"
    return DIST / appinfo.EXE_NAME


def self_test_executable() -> Path:
    suffix = ".exe" if os.name == "nt" else ""
    name = appinfo.CONSOLE_EXE_NAME if os.name == "nt" else appinfo.EXE_NAME
    return app_dir() / f"{name}{suffix}"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def freeze(clean: bool) -> float:
    if clean:
        shutil.rmtree(WORK, ignore_errors=True)
    for old in (DIST / appinfo.EXE_NAME, DIST / f"{appinfo.APP_NAME}.app"):
        shutil.rmtree(old, ignore_errors=True)
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--workpath", str(WORK), "--distpath", str(DIST), str(SPEC),
    ]  # fmt: skip
    if clean:
        command.insert(3, "--clean")
    log("$ " + " ".join(command))
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - started


# (excluded module, importer) pairs the warnings file lists as top-level imports that never run:
# hidden imports that hooks declare for a whole package, not statements in its code.
HARMLESS_EXCLUDED_IMPORTS = {
    ("_frozen_importlib", "zipimport"),  # built in to the interpreter; never a file
    ("MySQLdb", "sqlalchemy"),  # the sqlalchemy hook's list of every driver it knows
    ("pysqlite2", "sqlalchemy"),
    ("click", "httpx._main"),  # httpx's CLI, imported by httpx only inside try/except
    ("pygments", "mako.ext.pygmentplugin"),  # mako imports this plugin only inside try/except
    # Qt's libraries link libQt6DBus, so PyInstaller's Qt hooks add the Python binding too; the
    # bindings never import it (the self-test draws widgets without it).
    ("PySide6.QtDBus", "PySide6.QtCore"),
    ("PySide6.QtDBus", "PySide6.QtGui"),
    ("PySide6.QtDBus", "PySide6.QtWidgets"),
    ("PySide6.QtDBus", "PySide6.QtPrintSupport"),
}


def check_excluded_imports() -> list[str]:
    """Modules the spec excludes that something bundled imports unconditionally at load time.

    PyInstaller's warnings file lists each excluded module with who imports it and how; a
    "top-level" import from a bundled module would fail the moment that module loads, perhaps on
    a screen the self-test never opens, so the build stops here instead.
    """
    warnings = WORK / SPEC.stem / f"warn-{SPEC.stem}.txt"
    problems = []
    pattern = re.compile(r"^excluded module named (\S+) - imported by (.*)$")
    for line in warnings.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line)
        if not match:
            continue
        for importer in match.group(2).split("), "):
            name, _, how = importer.partition(" (")
            unguarded = "top-level" in how and "conditional" not in how and "optional" not in how
            if unguarded and (match.group(1), name.strip()) not in HARMLESS_EXCLUDED_IMPORTS:
                problems.append(f"{match.group(1)} is excluded but imported by {name.strip()}")
    return problems


def check_linux_libraries() -> list[str]:
    """ldd every bundled ELF: a Qt or bundled library that does not resolve is a packaging bug.

    System libraries missing on this machine (libxcb-cursor0 on a server) are only reported:
    they are the target desktop's to provide, as for any X11 program.
    """
    internal = app_dir() / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}")
    bundled = {p.name for p in internal.rglob("*.so*")}
    missing_bundled: set[str] = set()
    missing_system: set[str] = set()
    wrongly_left_out: set[str] = set()
    for path in internal.rglob("*.so*"):
        if not path.is_file() or path.is_symlink():
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            lib = line.split("=>")[0].strip()
            if lib.startswith(appinfo.LINUX_SYSTEM_ONLY_LIBRARIES) and not path.name.startswith(
                appinfo.LINUX_SYSTEM_ONLY_USER
            ):
                wrongly_left_out.add(f"{lib} (needed by {path.name}, not only by CUPS printing)")
            if "not found" in line:
                lib = line.split("=>")[0].strip()
                target = missing_bundled if lib.startswith("libQt6") or lib in bundled else None
                (target if target is not None else missing_system).add(f"{lib} (for {path.name})")
    if missing_system:
        log("system libraries this machine lacks (the target desktop provides them):")
        for item in sorted(missing_system):
            log(f"  {item}")
    return [f"unresolved bundled library: {item}" for item in sorted(missing_bundled)] + [
        f"left out as system-only, but needed: {item}" for item in sorted(wrongly_left_out)
    ]


def add_linux_desktop_files() -> None:
    """A .desktop entry and icon beside the executable, for IT to install per user or system."""
    target = app_dir()
    shutil.copy2(PACKAGING / "linux" / "sp-desktop.desktop", target / "sp-desktop.desktop")
    shutil.copy2(PACKAGING / "icons" / "sp-desktop.png", target / "sp-desktop.png")


def run_self_test() -> bool:
    executable = self_test_executable()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    log(f"$ QT_QPA_PLATFORM=offscreen {executable} --self-test")
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [str(executable), "--self-test"], env=env, timeout=SELF_TEST_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        log(f"self-test did not finish within {SELF_TEST_TIMEOUT}s")
        return False
    log(f"self-test exit code {result.returncode} in {time.perf_counter() - started:.1f}s")
    return result.returncode == 0


def make_archive() -> Path:
    """dist/sp-desktop-<version>-linux-<machine>.tar.gz, the folder advisers' IT unpacks."""
    import platform

    archive = DIST / f"{appinfo.EXE_NAME}-{appinfo.version()}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(app_dir(), arcname=appinfo.EXE_NAME)
    return archive


def build_windows_installer() -> Path:
    """Compiles packaging/windows/sp-desktop.iss with Inno Setup 6 (ISCC.exe)."""
    candidates = [
        shutil.which("iscc"),
        r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe",
        os.path.expandvars(r"%LOCALAPPDATA%\Programs\Inno Setup 6\ISCC.exe"),
    ]
    iscc = next((c for c in candidates if c and Path(c).exists()), None)
    if iscc is None:
        sys.exit("Inno Setup 6 not found: install it (winget install JRSoftware.InnoSetup).")
    command = [
        iscc,
        f"/DAppVersion={appinfo.version()}",
        str(PACKAGING / "windows" / "sp-desktop.iss"),
    ]
    log("$ " + " ".join(command))
    subprocess.run(command, check=True, cwd=ROOT)
    return DIST / f"{appinfo.EXE_NAME}-{appinfo.version()}-setup.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's cache first")
    parser.add_argument("--no-test", action="store_true", help="skip the self-test")
    parser.add_argument("--archive", action="store_true", help="Linux: also make a .tar.gz")
    parser.add_argument("--installer", action="store_true", help="Windows: also run Inno Setup")
    args = parser.parse_args(argv)

    ensure_pyinstaller()
    seconds = freeze(args.clean)
    log(f"frozen in {seconds:.0f}s into {app_dir()}")

    problems = check_excluded_imports()
    if sys.platform.startswith("linux"):
        problems += check_linux_libraries()
        add_linux_desktop_files()
    for problem in problems:
        log(f"PROBLEM: {problem}")

    bundle = DIST / f"{appinfo.APP_NAME}.app" if sys.platform == "darwin" else app_dir()
    log(f"bundle size: {folder_size(bundle) / 2**20:.0f} MiB ({bundle})")
    if not args.no_test and not run_self_test():
        log("FAILED: the built app did not pass its self-test")
        return 1
    if problems:
        return 1
    if args.archive and sys.platform.startswith("linux"):
        archive = make_archive()
        log(f"archive: {archive} ({archive.stat().st_size / 2**20:.0f} MiB)")
    if args.installer and os.name == "nt":
        log(f"installer: {build_windows_installer()}")
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
