"""Measured: one flipped byte in each page of a small store in turn, and `check` names it.

Prints the figures (pages flipped, damage found, named by table, tracebacks) with `pytest -s`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import database_path
from tests.conftest import PASSPHRASE
from tests.store.test_damage import PAGE, fill


def _named(problems: list[str], tables: list[str]) -> str:
    """How the report names where the damage is."""
    if tables:
        return "a table"
    text = " ".join(problems)
    if "unused space" in text:
        return "unused space"
    if "list of tables" in text:
        return "the list of tables"
    if "first page" in text:
        return "the first page"
    return "not named"


def test_one_flipped_byte_in_every_page_is_found_and_named(
    workspace: Workspace, store_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fill(workspace, 4)
    workspace.close()
    path = database_path(store_dir)
    original = path.read_bytes()
    pages = len(original) // PAGE
    assert pages >= 40  # every table and index has its own pages

    found = 0
    tracebacks = 0
    named: Counter[str] = Counter()
    tables_named: Counter[str] = Counter()
    for page in range(1, pages + 1):
        data = bytearray(original)
        data[(page - 1) * PAGE + (page * 7919) % PAGE] ^= 0x01  # a different place each page
        path.write_bytes(bytes(data))
        try:
            report = Workspace.check(store_dir, PASSPHRASE)
        except Exception:  # noqa: BLE001 - counted: the figure must be 0
            tracebacks += 1
            continue
        if not report.ok and report.problems:
            found += 1
        named[_named(report.problems, report.damaged_tables)] += 1
        tables_named.update(report.damaged_tables)
    path.write_bytes(original)

    logged = capfd.readouterr().err
    with capfd.disabled():
        print(
            f"\npages flipped: {pages}, damage found: {found}, tracebacks: {tracebacks}; "
            f"named: {dict(named)}; tables: {dict(tables_named)}"
        )
    assert tracebacks == 0
    assert found == pages
    assert named["not named"] == 0
    assert "ERROR CORE" not in logged  # SQLCipher's own log stays silent
    assert Workspace.check(store_dir, PASSPHRASE).ok  # and the original is healthy
