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


def give_consent(ws: Workspace, person_id: str, *, share_gp: bool = True) -> None:
    """Consent first: the person agreed, in person, to notes being kept and to sharing with
    their GP and the services they are referred to (what every journey test starts from)."""
    ws.consent.record(
        person_id,
        "given",
        method="in_person",
        recording=True,
        share_gp=share_gp,
        share_services=True,
    )
