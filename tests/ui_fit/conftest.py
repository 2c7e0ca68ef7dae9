"""Fit and keyboard tests: the app window per test (offscreen), Qt warnings fail tests."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402 - the platform must be set first

import pytest  # noqa: E402

from tests.ui.conftest import (  # noqa: E402, F401 - the shared UI fixtures
    OFFSCREEN_NOISE,
    data_dir,
    make_store,
    window,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
