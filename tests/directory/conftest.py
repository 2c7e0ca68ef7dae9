"""A fresh workspace with a directory service, and small ways to make directory entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.ids import new_id
from sp_desktop.services.directory import DirectoryService
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
DATA = Path(__file__).parent / "data"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace, _ = Workspace.create(
        tmp_path / "store", "quiet heron lantern 42", adviser="A", params=FAST
    )
    yield workspace
    workspace.close()


@pytest.fixture
def directory(ws: Workspace) -> DirectoryService:
    return DirectoryService(ws)


def entry(name: str, category: Category = Category.SOCIAL_ACTIVITY, **fields: Any) -> Service:
    return Service(id=fields.pop("id", None) or new_id(), name=name, category=category, **fields)
