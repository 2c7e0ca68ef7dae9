"""Store errors the adviser can act on ("known"); anything else is a bug to report."""

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
    """The file cannot be read with the right key: damaged, tampered with, or not ours."""

    def __init__(self, path: Path, detail: str = "") -> None:
        message = (
            f"The store file {path} is damaged or has been changed outside SP Desktop. "
            "It has been left exactly as it was. Please contact your office: "
            "they can restore it from a backup."
        )
        super().__init__(message)
        self.path = path
        self.detail = detail


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
