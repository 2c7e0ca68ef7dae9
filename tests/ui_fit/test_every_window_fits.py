"""Every window and dialog fits the screens advisers have: 1366×768 and 1280×720 at 100 %, and
1920×1080 at 125 % and 150 % — nothing off-screen, no button out of reach, no words cut.

Each screen runs in its own process (Qt takes its scale factor once, at start): see `sweep.py`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
SCREENS = (("1366x768", 1.0), ("1280x720", 1.0), ("1920x1080", 1.25), ("1920x1080", 1.5))
# Windows the sweep cannot open as an adviser would, and why.
NOT_SWEPT = {
    "FormDialog": "the base of the form dialogs, each swept on its own",
}


def sweep(size: str, scale: float) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui_fit.sweep", size, str(scale)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def results() -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: two screens at a time
        return list(pool.map(lambda config: sweep(*config), SCREENS))


def window_classes() -> set[str]:
    """Every dialog, wizard and main window defined under sp_desktop/ui."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QDialog, QMainWindow

    import sp_desktop.ui as ui

    found: set[str] = set()
    for module_info in pkgutil.walk_packages(ui.__path__, "sp_desktop.ui."):
        if module_info.name.endswith(("screenshots", "__main__")):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, (QDialog, QMainWindow))
            ):
                found.add(name)
    return found


def test_every_window_fits_every_screen(results: list[dict[str, Any]]) -> None:
    lines = []
    total = 0
    for result in results:
        total += len(result["checked"])
        lines.append(
            f"{result['screen']} at {result['scale']:.0%} (available "
            f"{result['available'][0]}x{result['available'][1]}): "
            f"{len(result['checked'])} window states, {len(result['problems'])} problems"
        )
    print("\n".join(lines) + f"\ntotal: {total} window states checked")
    problems = [f"{r['screen']}@{r['scale']}: {p}" for r in results for p in r["problems"]]
    assert not problems, "\n".join(problems)


def test_the_sweep_opens_every_window(results: list[dict[str, Any]]) -> None:
    opened = set.intersection(*(set(r["classes"]) for r in results))
    missing = window_classes() - opened - set(NOT_SWEPT)
    assert not missing, f"windows the sweep never opened: {sorted(missing)}"
