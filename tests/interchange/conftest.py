"""A demo store for the export tests, plus the hand-made people of `export_fixture`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from export_fixture import Known, make_people

from sp_desktop.services.demo import create_demo_store
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Known]]:
    """One demo store for the whole run (opening one costs a key derivation and a migration)."""
    folder: Path = tmp_path_factory.mktemp("exports") / "store"
    ws = create_demo_store(folder, "correct horse battery staple", 25, seed=5, params=FAST)
    known = make_people(ws)
    yield ws, known
    ws.close()


@pytest.fixture
def ws(store: tuple[Workspace, Known]) -> Workspace:
    return store[0]


@pytest.fixture
def known(store: tuple[Workspace, Known]) -> Known:
    return store[1]
