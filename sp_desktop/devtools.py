"""Developer bootstrap using only the standard library: `python3 -m sp_desktop.devtools try|test`.

Creates `.venv` beside pyproject.toml on first use and (re)installs the project whenever
pyproject.toml changes, so both commands work on a fresh machine with only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
DEMO_DIR = ROOT / ".demo"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under whatever python3 is first
        sys.exit("SP Desktop needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".sp-desktop-installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("Installing SP Desktop and its development tools ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def _run(*args: str) -> int:
    print("$", " ".join(args), flush=True)
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT).returncode


def try_demo() -> int:
    """Opens the app on a training store of synthetic people (made on first use)."""
    _ensure_environment()
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
