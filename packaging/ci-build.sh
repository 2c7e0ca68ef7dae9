#!/usr/bin/env bash
# CI step: freeze SP Desktop for Linux and run the frozen app's self-test (about 40 s here).
# Needs only python3 (3.11+); it makes .venv and installs the project and PyInstaller if missing.
# Call it from .ci/run with its own limit, e.g.:  timeout 600 packaging/ci-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
started=$(date +%s)
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! .venv/bin/python -c "import sp_desktop.cli, PySide6.QtWidgets, sqlcipher3" 2>/dev/null; then
    .venv/bin/python -m pip install --disable-pip-version-check -q -e .
fi
# --clean: CI builds from nothing, so a stale PyInstaller cache can never hide a packaging bug.
.venv/bin/python packaging/build.py --clean
echo "ci-build: build and self-test passed in $(( $(date +%s) - started ))s"
