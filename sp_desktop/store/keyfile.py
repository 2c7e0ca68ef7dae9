"""The wrapped-key sidecar file: the data key, kept only wrapped under passphrase and recovery key.

The database is opened with a random 256-bit data key. That key never touches disk in the clear:
it is sealed with AES-GCM (store id and wrap name as associated data) under a key derived from
the passphrase with Argon2id, and separately under the recovery key. Changing the passphrase
rewraps the data key and atomically replaces this file; the database is never re-encrypted.
"""

from __future__ import annotations

import base64
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

from sp_desktop.store.errors import DamagedStore, WrongPassphrase, WrongRecoveryKey

FORMAT_VERSION = 1
DATA_KEY_BYTES = 32
_RECOVERY_BYTES = 20  # 160 bits, written as 32 base32 characters in groups of four
DEFAULT_PAGE_SIZE = 4096
# 16 KiB pages: a quarter of the per-page encryption and HMAC work of the 4 KiB default, which
# makes bulk writes (first sync, training stores) about a fifth faster.
NEW_STORE_PAGE_SIZE = 16384
_PASSPHRASE = "passphrase"
_RECOVERY = "recovery"


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """Stored with each wrap so stronger settings later never strand an older key file."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(
            salt=salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(passphrase.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def format_recovery_key(raw: bytes) -> str:
    """Groups of four base32 characters, easy to read aloud over the phone to the office."""
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(typed: str) -> bytes:
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise WrongRecoveryKey() from exc
    if len(raw) != _RECOVERY_BYTES:
        raise WrongRecoveryKey()
    return raw


def _recovery_wrapping_key(raw: bytes, store_id: str) -> bytes:
    # The recovery key is 160 random bits already: a slow KDF adds nothing; HKDF binds it to us.
    hkdf = HKDF(
        hashes.SHA256(), length=32, salt=None, info=f"sp-desktop recovery {store_id}".encode()
    )
    return hkdf.derive(raw)


def _seal(wrapping_key: bytes, data_key: bytes, associated: bytes) -> dict[str, str]:
    nonce = secrets.token_bytes(12)
    return {
        "nonce": _b64(nonce),
        "sealed": _b64(AESGCM(wrapping_key).encrypt(nonce, data_key, associated)),
    }


def _open(wrapping_key: bytes, wrap: dict[str, Any], associated: bytes) -> bytes:
    return AESGCM(wrapping_key).decrypt(_unb64(wrap["nonce"]), _unb64(wrap["sealed"]), associated)


def atomic_write(path: Path, data: bytes) -> None:
    """Write-then-rename with fsyncs, so a crash leaves either the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path.parent, os.O_DIRECTORY)
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
        cls, store_id: str, passphrase: str, params: Argon2Params | None = None
    ) -> tuple[KeyFile, bytes, str]:
        """A new data key wrapped twice; returns it and the recovery key to show once."""
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        recovery = secrets.token_bytes(_RECOVERY_BYTES)
        recovery_wrap = _seal(
            _recovery_wrapping_key(recovery, store_id),
            data_key,
            cls._associated(store_id, _RECOVERY),
        )
        keyfile = cls(store_id, {}, recovery_wrap, NEW_STORE_PAGE_SIZE).rewrapped(
            data_key, passphrase, params
        )
        return keyfile, data_key, format_recovery_key(recovery)

    def rewrapped(
        self, data_key: bytes, passphrase: str, params: Argon2Params | None = None
    ) -> KeyFile:
        """The same data key under a new passphrase; the recovery wrap is kept as it was."""
        params = params or Argon2Params()
        salt = secrets.token_bytes(16)
        wrap: dict[str, Any] = _seal(
            params.derive(passphrase, salt), data_key, self._associated(self.store_id, _PASSPHRASE)
        )
        wrap["kdf"] = {
            "name": "argon2id",
            "salt": _b64(salt),
            "memory_kib": params.memory_kib,
            "iterations": params.iterations,
            "lanes": params.lanes,
        }
        return KeyFile(self.store_id, wrap, self.recovery_wrap, self.page_size)

    def unwrap_with_passphrase(self, passphrase: str) -> bytes:
        kdf = self.passphrase_wrap["kdf"]
        params = Argon2Params(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
        wrapping_key = params.derive(passphrase, _unb64(kdf["salt"]))
        try:
            return _open(
                wrapping_key, self.passphrase_wrap, self._associated(self.store_id, _PASSPHRASE)
            )
        except InvalidTag as exc:
            raise WrongPassphrase() from exc

    def unwrap_with_recovery_key(self, typed: str) -> bytes:
        wrapping_key = _recovery_wrapping_key(parse_recovery_key(typed), self.store_id)
        try:
            return _open(
                wrapping_key, self.recovery_wrap, self._associated(self.store_id, _RECOVERY)
            )
        except InvalidTag as exc:
            raise WrongRecoveryKey() from exc

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
