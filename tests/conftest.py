"""Shared fixtures: fast key derivation for tests and a fresh workspace per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params

# Real Argon2id, just cheaper: tests create hundreds of stores.
FAST_KDF = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PASSPHRASE = "a long and happy passphrase"


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def workspace(store_dir: Path) -> Iterator[Workspace]:
    ws, _recovery = Workspace.create(
        store_dir, PASSPHRASE, adviser="Ada Adviser", team="North", params=FAST_KDF
    )
    yield ws
    if ws.store.is_open:
        ws.close()
