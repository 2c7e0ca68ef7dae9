"""Store errors the adviser can act on ("known"); anything else is a bug to report."""

from collections.abc import Sequence
from pathlib import Path

from sp_desktop.domain.errors import SpDesktopError


class StoreError(SpDesktopError):
    """A known store problem: the message says calmly what happened and what to do."""


class WrongPassphrase(StoreError):
    def __init__(self) -> None:
        super().__init__("That passphrase did not unlock the store. Please try again.")


class WrongRecoveryKey(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "That recovery key does not fit this store. Please check it with your office."
        )


class StoreMissing(StoreError):
    def __init__(self, folder: Path) -> None:
        super().__init__(f"There is no SP Desktop store in {folder}.")
        self.folder = folder


class StoreExists(StoreError):
    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} already holds an SP Desktop store; it was left as it is.")
        self.folder = folder


class DamagedStore(StoreError):
    """The file cannot be read with the right key: damaged, tampered with, or not ours.

    Attributes: `path`; `detail` (library text, for logs of the kind only, never shown);
    `findings`, what the check found, in sentences; `backup`, the newest backup that passed
    the same check (a `store.database.Backup`), or None when there is none to offer.
    """

    def __init__(
        self,
        path: Path,
        detail: str = "",
        *,
        findings: Sequence[str] = (),
        backup: object | None = None,
    ) -> None:
        message = (
            f"The store file {path} is damaged or has been changed outside SP Desktop. "
            "It has been left exactly as it was. "
        )
        message += (
            "A good backup from before the damage can be restored."
            if backup is not None
            else "Please contact your office: they can restore it from a backup."
        )
        super().__init__(message)
        self.path = path
        self.detail = detail
        self.findings = tuple(findings)
        self.backup = backup


class StoreReadOnly(StoreError):
    """The folder or file cannot be written: a permission, a locked-down share or media."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"The store in {folder} cannot be written to (read-only), so SP Desktop cannot use "
            "it. Nothing has been changed. Please ask your office to make the folder writable."
        )
        self.folder = folder


class DiskFull(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "The laptop's disk is full (disk full), so this could not be saved. "
            "Free some space and try again: nothing you saved before has been lost."
        )


class StoreInUse(StoreError):
    """Another SP Desktop (or `sp-desktop` command) holds this store's process lock."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"SP Desktop is already open with this store ({folder}), in another window or "
            "program. Please carry on in that window, or close it and try again."
        )
        self.folder = folder


class NewerStore(StoreError):
    """The schema revision is one this version of SP Desktop does not know."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"The store in {folder} was made by a newer version of SP Desktop. It has been "
            "left exactly as it was. Please install the current version from your office."
        )
        self.folder = folder


class LeaseExpired(StoreError):
    """A registered laptop out of touch with the office for longer than its offline lease."""


class NotEncrypted(StoreError):
    """The SQLite driver in use has no SQLCipher: refusing is the only safe answer."""

    def __init__(self) -> None:
        super().__init__(
            "This installation cannot encrypt data (SQLCipher is missing), so nothing was "
            "written. Please reinstall SP Desktop."
        )


class StoreLocked(StoreError):
    def __init__(self) -> None:
        super().__init__("The store is locked. Please unlock it to carry on.")
