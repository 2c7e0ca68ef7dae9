"""The store's file names, and whether a folder holds a store, without loading SQLCipher,
SQLAlchemy or the key-derivation code: the app asks this before its unlock window appears."""

from __future__ import annotations

from pathlib import Path

DATABASE_NAME = "sp-desktop.db"
KEYFILE_NAME = "sp-desktop.keys"


def database_path(folder: Path) -> Path:
    return folder / DATABASE_NAME


def keyfile_path(folder: Path) -> Path:
    return folder / KEYFILE_NAME


def store_exists(folder: Path) -> bool:
    return keyfile_path(folder).exists()
