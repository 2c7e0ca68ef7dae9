"""Passphrases: one strength rule at every way in, Unicode forms, a BOM in a file, a full disk."""

from __future__ import annotations

import contextlib
import os
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from sp_desktop import cli
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.passphrase import TOO_WEAK, passphrase_problem
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import keyfile as keyfile_module
from sp_desktop.store.database import Store, keyfile_path
from sp_desktop.store.errors import WrongPassphrase
from tests.conftest import FAST_KDF, PASSPHRASE

CAFE = "Café au lait, kettle, violet"
COMPOSED = unicodedata.normalize("NFC", CAFE)
DECOMPOSED = unicodedata.normalize("NFD", CAFE)


def _store(folder: Path, passphrase: str = PASSPHRASE) -> tuple[str, str]:
    """A closed store with one person; returns the person's id and the recovery key."""
    ws, recovery_key = Workspace.create(folder, passphrase, adviser="Ann", params=FAST_KDF)
    person = ws.people.create(given_name="Zoë", family_name="Lee", date_of_birth=date(1950, 1, 1))
    ws.close()
    return person.id, recovery_key


# --- one strength rule everywhere ---------------------------------------------------------------


def test_a_is_refused_by_every_way_of_setting_a_passphrase(tmp_path: Path) -> None:
    assert passphrase_problem("a") == TOO_WEAK
    with pytest.raises(ValidationError, match=TOO_WEAK) as caught:
        Workspace.create(tmp_path / "w", "a", adviser="Ann", params=FAST_KDF)
    assert caught.value.field == "passphrase"
    assert not (tmp_path / "w").exists(), "nothing is made for a refused passphrase"
    with pytest.raises(ValidationError, match=TOO_WEAK):
        Store.create(tmp_path / "s", "a", params=FAST_KDF)

    folder = tmp_path / "store"
    _person, recovery_key = _store(folder)
    keys_before = keyfile_path(folder).read_bytes()
    store = Store.open(folder, PASSPHRASE)
    try:
        with pytest.raises(ValidationError, match=TOO_WEAK):
            store.change_passphrase(PASSPHRASE, "a", params=FAST_KDF)
    finally:
        store.close()
    with pytest.raises(ValidationError, match=TOO_WEAK):
        Store.recover(folder, recovery_key, "a", params=FAST_KDF)
    assert keyfile_path(folder).read_bytes() == keys_before
    Store.open(folder, PASSPHRASE).close()  # nothing changed and nothing left locked


def test_the_adviser_name_does_not_make_a_passphrase(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=TOO_WEAK):
        Store.create(tmp_path / "s", "Annabel Smithson", adviser="Annabel Smithson",
                     params=FAST_KDF)


# --- Unicode forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(("set_as", "typed"), [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_composed_and_decomposed_accents_are_one_passphrase(
    tmp_path: Path, set_as: str, typed: str
) -> None:
    assert set_as != typed
    person_id, _key = _store(tmp_path / "s", set_as)
    ws = Workspace.open(tmp_path / "s", typed)
    assert ws.people.get(person_id).given_name == "Zoë"
    ws.close()


@contextlib.contextmanager
def _made_before_normalising() -> Iterator[None]:
    """Key files written as older versions did: the passphrase wrapped exactly as typed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyfile_module, "normalise", lambda text: text)
        yield


def test_a_store_made_before_normalising_still_opens_as_typed(tmp_path: Path) -> None:
    with _made_before_normalising():
        person_id, _key = _store(tmp_path / "old", DECOMPOSED)
    ws = Workspace.open(tmp_path / "old", DECOMPOSED)
    assert ws.people.get(person_id).family_name == "Lee"
    ws.close()
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "old", "not the passphrase at all")


# --- the command line ---------------------------------------------------------------------------


def _answers(*typed: str) -> Callable[[str], str]:
    queue = list(typed)
    return lambda _prompt="": queue.pop(0)


def test_passphrase_file_with_a_bom_is_read_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "store"
    _store(folder)
    secret = tmp_path / "passphrase.txt"
    secret.write_bytes("\ufeff".encode() + PASSPHRASE.encode() + b"\r\n")  # as Notepad saves
    new = "orchid lantern pebble mosaic"
    monkeypatch.setattr("getpass.getpass", _answers(new, new))
    code = cli.main(["passwd", "--data-dir", str(folder), "--passphrase-file", str(secret)])
    assert code == 0, capsys.readouterr()
    assert "Passphrase changed." in capsys.readouterr().out
    Store.open(folder, new).close()


@pytest.mark.parametrize("command", ["passwd", "recover"])
def test_the_command_line_refuses_a_weak_passphrase_in_the_same_words(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    folder = tmp_path / "store"
    _person, recovery_key = _store(folder)
    keys_before = keyfile_path(folder).read_bytes()
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.setattr("builtins.input", _answers(recovery_key))
    monkeypatch.setattr("getpass.getpass", _answers("a", "a"))
    assert cli.main([command, "--data-dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert TOO_WEAK in out and "Nothing was changed" in out and "Traceback" not in out
    assert keyfile_path(folder).read_bytes() == keys_before


# --- a full disk --------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB file system (tmpfs), so a write really meets ENOSPC."""
    mount = tmp_path / "small"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True, check=False,
    )
    if made.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as filler:
        with contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        with contextlib.suppress(OSError):  # the last partial block too
            while True:
                filler.write(b"\0" * 512)
                filler.flush()


def test_passwd_on_a_full_disk_says_so_and_leaves_nothing_behind(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = small_disk / "store"
    _store(folder)
    keys_before = keyfile_path(folder).read_bytes()
    new = "orchid lantern pebble mosaic"

    def typed_then_disk_fills(prompt: str = "") -> str:
        if "again" in prompt:
            _fill(small_disk)  # the store is open; now the disk is full
        return new

    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    monkeypatch.setattr("getpass.getpass", typed_then_disk_fills)
    code = cli.main(["passwd", "--data-dir", str(folder)])
    captured = capsys.readouterr()
    assert code == 2
    assert "disk full" in captured.err and "Traceback" not in captured.err + captured.out
    assert not list(folder.glob("*.tmp")), "no half-written key file is left"
    assert keyfile_path(folder).read_bytes() == keys_before
    (small_disk / "filler").unlink()
    Store.open(folder, PASSPHRASE).close()  # the old passphrase still opens it
