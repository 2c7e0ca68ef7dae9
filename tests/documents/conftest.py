"""A demo store for the whole run, plus two hand-made people whose printed details are known."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_fixture import FAST, Zoe, make_people

from sp_desktop.services.demo import create_demo_store
from sp_desktop.services.workspace import Workspace


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Zoe]]:
    """One demo store for the whole run (opening one costs a key derivation and a migration)."""
    folder: Path = tmp_path_factory.mktemp("documents") / "store"
    ws = create_demo_store(folder, "correct horse battery staple", 30, seed=11, params=FAST)
    zoe = make_people(ws)
    yield ws, zoe
    ws.close()


@pytest.fixture
def ws(store: tuple[Workspace, Zoe]) -> Workspace:
    return store[0]


@pytest.fixture
def zoe(store: tuple[Workspace, Zoe]) -> Zoe:
    return store[1]
