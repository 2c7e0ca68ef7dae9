"""The wrapped-key sidecar file: the data key, kept only wrapped under passphrase and recovery key.

The database is opened with a random 256-bit data key. That key never touches disk in the clear:
it is sealed with AES-GCM (store id and wrap name as associated data) under a key derived from
the passphrase with Argon2id, and separately under the recovery key. Changing the passphrase
rewraps the data key and atomically replaces this file; the database is never re-encrypted.

Key material in memory lives only in `bytearray`s that the owner zeroes (`wipe`) when it is done:
the data key, the keys derived from the passphrase and the recovery key, and the SQLCipher key
text. Immutable `bytes` or `str` copies of them are never made, because Python cannot erase
those; the passphrase and the recovery key as typed are `str`s the caller drops promptly.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sp_desktop.domain.passphrase import normalise
from sp_desktop.store.errors import (
    DamagedStore,
    DiskFull,
    StoreReadOnly,
    WrongPassphrase,
    WrongRecoveryKey,
)

FORMAT_VERSION = 1
DATA_KEY_BYTES = 32
_RECOVERY_BYTES = 20  # 160 bits, written as 32 base32 characters in groups of four
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_HEX = b"0123456789abcdef"
_TAG_BYTES = 16
DEFAULT_PAGE_SIZE = 4096
# 16 KiB pages: a quarter of the per-page encryption and HMAC work of the 4 KiB default, which
# makes bulk writes (first sync, training stores) about a fifth faster.
NEW_STORE_PAGE_SIZE = 16384
_PASSPHRASE = "passphrase"
_RECOVERY = "recovery"


def wipe(buffer: bytearray) -> None:
    """Overwrites key material in place (same length, so the buffer is never moved)."""
    buffer[:] = bytes(len(buffer))


def random_key(size: int = DATA_KEY_BYTES) -> bytearray:
    """Random bytes made straight into a bytearray, one byte at a time from the OS generator.

    `secrets.token_bytes` would leave an immutable copy behind; single bytes and small ints are
    shared objects in CPython, so this leaves nothing of the key anywhere else.
    """
    key = bytearray(size)
    for i in range(size):
        key[i] = secrets.randbits(8)
    return key


def _utf8(text: str) -> bytearray:
    """UTF-8 of `text` in a wipeable buffer, sized first so it is never reallocated (and copied)."""
    size = sum(1 if ord(ch) < 0x80 else 2 if ord(ch) < 0x800 else 3 if ord(ch) < 0x10000 else 4
               for ch in text)
    out = bytearray(size)
    at = 0
    for ch in text:  # one character at a time: no whole encoded copy of the passphrase
        piece = ch.encode("utf-8")
        out[at : at + len(piece)] = piece
        at += len(piece)
    return out


def sqlcipher_raw_key(data_key: bytearray) -> bytearray:
    """`x'…'`, SQLCipher's raw-key form, built in a wipeable buffer (no hex string is made)."""
    text = bytearray(3 + 2 * len(data_key))
    text[0:2] = b"x'"
    for i, byte in enumerate(data_key):
        text[2 + 2 * i] = _HEX[byte >> 4]
        text[3 + 2 * i] = _HEX[byte & 15]
    text[-1] = ord("'")
    return text


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """Stored with each wrap so stronger settings later never strand an older key file."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def derive(self, passphrase: str, salt: bytes) -> bytearray:
        """The passphrase's wrapping key, exactly as given (callers normalise); caller wipes it."""
        kdf = Argon2id(
            salt=salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        material = _utf8(passphrase)
        derived = bytearray(32)
        try:
            # The stubs say bytes; any buffer works, and only a bytearray can be wiped.
            kdf.derive_into(material, derived)  # type: ignore[arg-type]
        finally:
            wipe(material)
        return derived


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def format_recovery_key(raw: bytearray) -> str:
    """Groups of four base32 characters, easy to read aloud over the phone to the office."""
    letters: list[str] = []
    bits = 0
    held = 0
    for byte in raw:  # by hand: base64.b32encode would leave a bytes copy of the key behind
        held = ((held << 8) | byte) & 0xFFF
        bits += 8
        while bits >= 5:
            bits -= 5
            letters.append(_BASE32[(held >> bits) & 31])
    if bits:
        letters.append(_BASE32[(held << (5 - bits)) & 31])
    return "-".join("".join(letters[i : i + 4]) for i in range(0, len(letters), 4))


def parse_recovery_key(typed: str) -> bytearray:
    """The recovery key as typed or read aloud: any case, any spacing, 0/1/8 for O/I/B."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    if len(cleaned) != -(-_RECOVERY_BYTES * 8 // 5) or any(ch not in _BASE32 for ch in cleaned):
        raise WrongRecoveryKey()
    raw = bytearray(_RECOVERY_BYTES)
    bits = 0
    held = 0
    at = 0
    for ch in cleaned:
        held = ((held << 5) | _BASE32.index(ch)) & 0xFFF
        bits += 5
        if bits >= 8:
            bits -= 8
            raw[at] = (held >> bits) & 0xFF
            at += 1
    return raw


def _recovery_wrapping_key(raw: bytearray, store_id: str) -> bytearray:
    # The recovery key is 160 random bits already: a slow KDF adds nothing; HKDF binds it to us.
    hkdf = HKDF(
        hashes.SHA256(), length=32, salt=None, info=f"sp-desktop recovery {store_id}".encode()
    )
    derived = bytearray(32)
    hkdf.derive_into(raw, derived)
    return derived


def _seal(wrapping_key: bytearray, data_key: bytearray, associated: bytes) -> dict[str, str]:
    nonce = secrets.token_bytes(12)
    return {
        "nonce": _b64(nonce),
        "sealed": _b64(AESGCM(wrapping_key).encrypt(nonce, data_key, associated)),
    }


def _open(wrapping_key: bytearray, wrap: dict[str, Any], associated: bytes) -> bytearray:
    """The data key, decrypted straight into a wipeable buffer. Raises InvalidTag."""
    sealed = _unb64(wrap["sealed"])
    data_key = bytearray(max(len(sealed) - _TAG_BYTES, 0))
    try:
        AESGCM(wrapping_key).decrypt_into(_unb64(wrap["nonce"]), sealed, associated, data_key)
    except BaseException:
        wipe(data_key)
        raise
    return data_key


def atomic_write(path: Path, data: bytes) -> None:
    """Write-then-rename with fsyncs, so a crash leaves either the old file or the new one.

    If the write fails (a full disk, most often) the half-written temporary file is removed and
    the old file is left as it was; a full disk or a read-only folder is said in words.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # If even that fails nothing more can be done; the original error is the one to report.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise DiskFull() from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise StoreReadOnly(path.parent) from exc
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Makes renames in `folder` durable (POSIX; Windows has no directory handles to sync)."""
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The parsed sidecar: store id plus the two wraps of the same data key."""

    store_id: str
    passphrase_wrap: dict[str, Any]
    recovery_wrap: dict[str, Any]
    # The database's SQLCipher page size, fixed when the store is made. Stores made before it
    # was recorded use SQLCipher 4's default.
    page_size: int = DEFAULT_PAGE_SIZE

    @staticmethod
    def _associated(store_id: str, which: str) -> bytes:
        return f"sp-desktop:{store_id}:{which}".encode()

    @classmethod
    def create(
        cls,
        store_id: str,
        passphrase: str,
        params: Argon2Params | None = None,
        *,
        page_size: int = NEW_STORE_PAGE_SIZE,
    ) -> tuple[KeyFile, bytearray, str]:
        """A new data key wrapped twice; returns it (the caller owns and wipes it) and the
        recovery key to show once."""
        data_key = random_key()
        recovery = random_key(_RECOVERY_BYTES)
        wrapping_key = _recovery_wrapping_key(recovery, store_id)
        try:
            recovery_wrap = _seal(wrapping_key, data_key, cls._associated(store_id, _RECOVERY))
            recovery_text = format_recovery_key(recovery)
            keyfile = cls(store_id, {}, recovery_wrap, page_size).rewrapped(
                data_key, passphrase, params
            )
        except BaseException:
            wipe(data_key)
            raise
        finally:
            wipe(wrapping_key)
            wipe(recovery)
        return keyfile, data_key, recovery_text

    def rewrapped(
        self, data_key: bytearray, passphrase: str, params: Argon2Params | None = None
    ) -> KeyFile:
        """The same data key under a new passphrase (NFC); the recovery wrap is kept as it was."""
        params = params or Argon2Params()
        salt = secrets.token_bytes(16)
        wrapping_key = params.derive(normalise(passphrase), salt)
        try:
            wrap: dict[str, Any] = _seal(
                wrapping_key, data_key, self._associated(self.store_id, _PASSPHRASE)
            )
        finally:
            wipe(wrapping_key)
        wrap["kdf"] = {
            "name": "argon2id",
            "salt": _b64(salt),
            "memory_kib": params.memory_kib,
            "iterations": params.iterations,
            "lanes": params.lanes,
        }
        return KeyFile(self.store_id, wrap, self.recovery_wrap, self.page_size)

    def unwrap_with_passphrase(self, passphrase: str) -> bytearray:
        """The data key (the caller wipes it). Tries the NFC form first, then the passphrase as
        typed: stores made before passphrases were normalised keep opening."""
        kdf = self.passphrase_wrap["kdf"]
        params = Argon2Params(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
        salt = _unb64(kdf["salt"])
        forms = [normalise(passphrase)]
        if forms[0] != passphrase:
            forms.append(passphrase)
        for form in forms:
            wrapping_key = params.derive(form, salt)
            try:
                return _open(
                    wrapping_key, self.passphrase_wrap, self._associated(self.store_id, _PASSPHRASE)
                )
            except InvalidTag:
                continue
            finally:
                wipe(wrapping_key)
        raise WrongPassphrase()

    def unwrap_with_recovery_key(self, typed: str) -> bytearray:
        """The data key (the caller wipes it), or WrongRecoveryKey."""
        raw = parse_recovery_key(typed)
        wrapping_key = _recovery_wrapping_key(raw, self.store_id)
        wipe(raw)
        try:
            return _open(
                wrapping_key, self.recovery_wrap, self._associated(self.store_id, _RECOVERY)
            )
        except InvalidTag as exc:
            raise WrongRecoveryKey() from exc
        finally:
            wipe(wrapping_key)

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT_VERSION,
            "store_id": self.store_id,
            "cipher": "AES-256-GCM",
            "database": {"cipher_page_size": self.page_size},
            _PASSPHRASE: self.passphrase_wrap,
            _RECOVERY: self.recovery_wrap,
        }
        return json.dumps(body, indent=2).encode("utf-8")

    def save(self, path: Path) -> None:
        atomic_write(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            body = json.loads(path.read_bytes())
            if body["format"] != FORMAT_VERSION:
                raise ValueError(f"key file format {body['format']}")
            page_size = int(body.get("database", {}).get("cipher_page_size", DEFAULT_PAGE_SIZE))
            if page_size not in (1024, 2048, 4096, 8192, 16384, 32768, 65536):
                raise ValueError(f"page size {page_size}")
            return cls(body["store_id"], body[_PASSPHRASE], body[_RECOVERY], page_size)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DamagedStore(path, str(exc)) from exc
