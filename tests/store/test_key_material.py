"""A locked store leaves no key material in the process: not the data key, its hex, or the
passphrase's derived key. Scans the whole process memory (Linux: /proc/self/mem)."""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import Store, keyfile_path
from sp_desktop.store.keyfile import Argon2Params, KeyFile
from tests.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/mem, which only Linux has"
)

# Every needle is kept shifted by one (b -> b+1 mod 256), never in the clear, and memory is
# shifted the same way as it is searched: the test's own copies of what it looks for can then
# never be what it finds. The shift has no fixed point, so a shifted needle never matches itself.
_SHIFT = bytes((b + 1) % 256 for b in range(256))
_HEX_LOWER = b"0123456789abcdef"
_HEX_UPPER = b"0123456789ABCDEF"
_CHUNK = 16 * 1024 * 1024
_FREE_LIST_BYTES = 8  # what pymalloc writes over the start of a freed block
_MAPS_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4})")


def _shifted_hex(key: bytearray | bytes, digits: bytes) -> bytes:
    out = bytearray()
    for byte in key:  # ints only: no hex text of the key is made here
        out.append(_SHIFT[digits[byte >> 4]])
        out.append(_SHIFT[digits[byte & 15]])
    return bytes(out)


def _derived_passphrase_key(folder: Path, passphrase: str) -> bytearray:
    """The Argon2id key the passphrase wrap is sealed under, recomputed the way the app does."""
    import base64

    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = KeyFile.load(keyfile_path(folder)).passphrase_wrap["kdf"]
    params = Argon2Params(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
    out = bytearray(32)
    Argon2id(
        salt=base64.b64decode(kdf["salt"]),
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive_into(passphrase.encode("utf-8"), out)
    return out


def _readable_regions() -> Iterator[tuple[int, int]]:
    with open("/proc/self/maps") as maps:
        for line in maps:
            found = _MAPS_LINE.match(line)
            if not found or found.group(3)[0] != "r":
                continue
            if line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            yield int(found.group(1), 16), int(found.group(2), 16)


def _found_in_memory(needles: dict[str, bytes]) -> set[str]:
    """Names of the (shifted) needles whose clear form appears anywhere in readable memory."""
    overlap = max(len(n) for n in needles.values())
    found: set[str] = set()
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        for start, end in list(_readable_regions()):
            position = start
            while position < end:
                size = min(_CHUNK + overlap, end - position)
                try:
                    mem.seek(position)
                    chunk = mem.read(size)
                except OSError:
                    break  # a guard page or a mapping that went away while we read
                if not chunk:
                    break
                shifted = chunk.translate(_SHIFT)
                del chunk
                for name, needle in needles.items():
                    if needle in shifted:
                        found.add(name)
                del shifted
                position += _CHUNK
    return found


def _needles(ws: Workspace, folder: Path, passphrase: str) -> dict[str, bytes]:
    """The last 24 bytes of each key (and their hex): a freed small block has its first 8 bytes
    overwritten by the allocator's free list, and the rest of the key would still be there."""
    key = ws.store._data_key
    assert key is not None and len(key) == 32
    derived = _derived_passphrase_key(folder, passphrase)
    tail = slice(_FREE_LIST_BYTES, None)
    needles = {
        "data key": bytes(key[tail].translate(_SHIFT)),
        "data key as lower-case hex": _shifted_hex(key[tail], _HEX_LOWER),
        "data key as upper-case hex": _shifted_hex(key[tail], _HEX_UPPER),
        "passphrase's derived key": bytes(derived[tail].translate(_SHIFT)),
    }
    derived[:] = bytes(len(derived))
    return needles


def test_the_scan_finds_a_key_that_is_still_held(tmp_path: Path) -> None:
    """The scan itself works: while the store is open its key is found."""
    ws, _recovery = Workspace.create(tmp_path / "s", PASSPHRASE, adviser="A", params=FAST_KDF)
    try:
        assert "data key" in _found_in_memory(_needles(ws, tmp_path / "s", PASSPHRASE))
    finally:
        ws.close()


def test_locked_store_leaves_no_key_material_in_memory(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    ws, _recovery = Workspace.create(folder, PASSPHRASE, adviser="A", params=FAST_KDF)
    ws.people.create(given_name="Ann", family_name="Lee", date_of_birth=date(1950, 1, 1))
    ws.store.backup()
    ws.close()
    ws = Workspace.open(folder, PASSPHRASE)
    assert len(ws.caseload.rows()) == 1
    ws.store.change_passphrase(PASSPHRASE, PASSPHRASE, params=FAST_KDF)
    needles = _needles(ws, folder, PASSPHRASE)
    held = ws.store._data_key  # the very buffer the store keys its connections from
    ws.close()
    assert held == bytearray(32), "closing zeroes the key in place, not just drops it"
    del ws, held
    gc.collect()
    assert _found_in_memory(needles) == set()


def test_rekey_and_recovery_leave_neither_key_in_memory(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    ws, recovery_key = Workspace.create(folder, PASSPHRASE, adviser="A", params=FAST_KDF)
    ws.close()
    new_passphrase = "orchid lantern pebble mosaic"
    ws = Workspace(Store.recover(folder, recovery_key, new_passphrase, params=FAST_KDF))
    old = _needles(ws, folder, new_passphrase)
    ws.store.rekey(new_passphrase, params=FAST_KDF)
    new = _needles(ws, folder, new_passphrase)
    ws.close()
    del ws
    gc.collect()
    found = _found_in_memory({**{f"old {k}": v for k, v in old.items()},
                              **{f"new {k}": v for k, v in new.items()}})
    assert found == set()
