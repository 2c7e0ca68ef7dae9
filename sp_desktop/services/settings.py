"""The app's non-personal settings file beside the store: every setting declared once, typed.

The file is plain JSON and not encrypted, so personal data never goes here: the adviser's own
work contact details (what a printout tells people to ring) are settings; anything about the
people they see is not. The UI's Settings dialog, the printed documents and the demo store all
read and write through this one module, so they cannot disagree about the file or its format.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.retention import (
    DEFAULT_KEEP_CLOSED_DAYS,
    MAX_KEEP_CLOSED_DAYS,
    MIN_KEEP_CLOSED_DAYS,
)

T = TypeVar("T", int, str, bool)

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"

# Several Settings objects may look at one file at once (the window's, a printout being built on
# the writer thread, a script's); each write reads the file again under this lock and replaces it
# whole, so one never drops a key another has just saved.
_WRITE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One setting, as the file, the Settings dialog and the code all know it.

    Attributes:
        key: its name in the file.
        kind: int, str or bool; a value of another type reads as the default.
        default: what it is until the adviser changes it.
        description: what it is for, in the adviser's words (the dialog shows it).
        minimum, maximum: the allowed range of a whole number.
        label: what the Settings dialog calls it ("" for settings it does not show).
        check: a further rule for a value; returns "" when it is fine, else what is wrong.
    """

    key: str
    kind: type[T]
    default: T
    description: str
    minimum: int | None = None
    maximum: int | None = None
    label: str = ""
    check: Callable[[T], str] | None = None


# --- rules for the work contact details --------------------------------------------------------

_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
ORGANISATION_MAX = 80


def _phone_problem(value: str) -> str:
    """Blank is allowed (printouts then ask for it); otherwise something a person can dial."""
    text = value.strip()
    if not text:
        return ""
    if not _PHONE_CHARACTERS.match(text):
        return "Please use only digits and spaces (brackets, dashes and a leading + are fine)."
    digits = sum(ch.isdigit() for ch in text)
    if digits < 10:
        return "That is too short for a phone number: please give the whole number with its code."
    if digits > 15:
        return "That is too long for one phone number: please give just one number."
    return ""


def _email_problem(value: str) -> str:
    text = value.strip()
    if not text or _EMAIL.match(text):
        return ""
    return "That does not look like an email address (like link.workers@example.org)."


def _organisation_problem(value: str) -> str:
    text = value.strip()
    if "\n" in text or "\r" in text:
        return "Please keep it to one line."
    if len(text) > ORGANISATION_MAX:
        return f"Please keep it to {ORGANISATION_MAX} characters: it is printed in a heading."
    return ""


def _certificate_problem(value: str) -> str:
    """Blank means the usual public certificates; otherwise a PEM file `ssl` can load.

    Checked when saved, so a wrong path is a message beside the field rather than every sync
    failing later with a TLS error nobody at a laptop can read.
    """
    text = value.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_file():
        return "There is no file at that place: please choose the certificate file again."
    import ssl  # here, not at the top: start-up reads settings before the unlock window

    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        return (
            "That file is not an office certificate SP Desktop can read (it should be a "
            "PEM file, usually ending .pem or .crt). Please ask your office for it."
        )
    return ""


def measure_keys(value: str) -> tuple[str, ...]:
    """A list of measures as the file holds it ("ons4, who5"), in order, each once."""
    keys: list[str] = []
    for part in value.split(","):
        key = part.strip()
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


def _measures_problem(value: str) -> str:
    """Every name is a measure shipped in resources/measures/."""
    from sp_desktop.domain.measures import catalogue

    known = catalogue()
    unknown = [key for key in measure_keys(value) if key not in known]
    if unknown:
        return (
            f"There is no questionnaire called {unknown[0][:48]!r}. "
            f"Choose from: {', '.join(m.short_title for m in known.values())}."
        )
    return ""


# --- the settings ------------------------------------------------------------------------------

IDLE_MINUTES: Setting[int] = Setting(
    "idle_minutes",
    int,
    10,
    "Minutes without use before SP Desktop locks itself and hides everyone's details.",
    minimum=1,
    maximum=60,
    label="Lock after",
)
WINDOW_GEOMETRY: Setting[str] = Setting(
    "window_geometry", str, "", "Where the main window was and how big (Qt's saved form)."
)
CASELOAD_SORT_COLUMN: Setting[int] = Setting(
    "caseload_sort_column", int, 0, "Which caseload column the list is sorted by.", 0, 4
)
CASELOAD_SORT_DESCENDING: Setting[bool] = Setting(
    "caseload_sort_descending", bool, False, "Whether the caseload is sorted in reverse."
)
LINK_WORKER_PHONE: Setting[str] = Setting(
    "link_worker_phone",
    str,
    "",
    "Your work phone number, printed on people's journey printouts and letters so they can "
    "ring you. Use a work number, never a personal one. Printouts need it.",
    label="Work phone",
    check=_phone_problem,
)
LINK_WORKER_EMAIL: Setting[str] = Setting(
    "link_worker_email",
    str,
    "",
    "Your work email address for printouts and letters (optional: leave it blank if people "
    "should ring instead).",
    label="Work email",
    check=_email_problem,
)
LINK_WORKER_ORGANISATION: Setting[str] = Setting(
    "link_worker_organisation",
    str,
    "",
    "The scheme or charity you work for, as printed under your name (optional: blank prints "
    "your team's name).",
    label="Organisation",
    check=_organisation_problem,
)
SYNC_AUTOMATIC: Setting[bool] = Setting(
    "sync_automatic",
    bool,
    True,
    "Sync with the office by itself when it can be reached, without you pressing Sync now.",
    label="Sync by itself",
)
SYNC_CHECK_MINUTES: Setting[int] = Setting(
    "sync_check_minutes",
    int,
    1,
    "How often to look for the office server (a tiny check: nothing is sent).",
    minimum=1,
    maximum=60,
    label="Look for the office every",
)
OFFICE_CERTIFICATE: Setting[str] = Setting(
    "office_certificate",
    str,
    "",
    "Only if your office gave you one: its certificate file, so this laptop trusts the "
    "office's own server. Leave blank otherwise.",
    label="Office certificate",
    check=_certificate_problem,
)
SYNC_WARN_HOURS: Setting[int] = Setting(
    "sync_warn_hours",
    int,
    24,
    "Hours after the last sync with the office before the visit pack warns that what it prints "
    "may be out of date (your office may ask for a different figure).",
    minimum=1,
    maximum=24 * 14,
)

KEEP_CLOSED_DAYS: Setting[int] = Setting(
    "keep_closed_days",
    int,
    DEFAULT_KEEP_CLOSED_DAYS,
    "Days this laptop keeps a person after their case closes (the office keeps them; a new "
    "referral brings them back), so a lost laptop holds as little as possible.",
    minimum=MIN_KEEP_CLOSED_DAYS,
    maximum=MAX_KEEP_CLOSED_DAYS,
)

# Which questionnaires the visit offers at each point of the journey (keys of the definition
# files in resources/measures/, in the order asked). ONS4 alone until a scheme chooses more; a
# measure whose licence asks for registration is offered only once a scheme turns it on here.
MEASURES_AT_BASELINE: Setting[str] = Setting(
    "measures_at_baseline",
    str,
    "ons4",
    "The questionnaires asked at the first visit (the baseline).",
    label="At the first visit",
    check=_measures_problem,
)
MEASURES_AT_REVIEW: Setting[str] = Setting(
    "measures_at_review",
    str,
    "ons4",
    "The questionnaires asked at later visits (reviews).",
    label="At later visits",
    check=_measures_problem,
)
MEASURES_AT_EXIT: Setting[str] = Setting(
    "measures_at_exit",
    str,
    "ons4",
    "The questionnaires asked when the journey ends (the closing review).",
    label="When the journey ends",
    check=_measures_problem,
)
MEASURES: tuple[Setting[str], ...] = (MEASURES_AT_BASELINE, MEASURES_AT_REVIEW, MEASURES_AT_EXIT)

ALL: tuple[Setting[Any], ...] = (
    IDLE_MINUTES,
    WINDOW_GEOMETRY,
    CASELOAD_SORT_COLUMN,
    CASELOAD_SORT_DESCENDING,
    LINK_WORKER_PHONE,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    SYNC_AUTOMATIC,
    SYNC_CHECK_MINUTES,
    OFFICE_CERTIFICATE,
    SYNC_WARN_HOURS,
    KEEP_CLOSED_DAYS,
    *MEASURES,
)
WORK_CONTACT: tuple[Setting[str], ...] = (
    LINK_WORKER_PHONE,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
)
OFFICE_CONNECTION: tuple[Setting[Any], ...] = (
    SYNC_AUTOMATIC,
    SYNC_CHECK_MINUTES,
    OFFICE_CERTIFICATE,
)


def problem(setting: Setting[Any], value: object) -> str:
    """What is wrong with `value` for `setting`, in words for the adviser; "" when it is fine."""
    if type(value) is not setting.kind:
        return "That is not the right kind of value for this setting."
    if isinstance(value, int) and not isinstance(value, bool):
        if setting.minimum is not None and value < setting.minimum:
            return f"Please choose {setting.minimum} or more."
        if setting.maximum is not None and value > setting.maximum:
            return f"Please choose {setting.maximum} or less."
    if setting.check is not None:
        return setting.check(value)
    return ""


class Settings:
    """Typed access to one settings file.

    A missing or damaged file, or a value of the wrong type or breaking its rule, reads as the
    default. Every `get` reads the file again (it is tiny) and every `set` reads it, changes one
    key and replaces it atomically, so two Settings objects on one folder always agree and a
    crash mid-write leaves the old file, never half a new one. With `path` None the values live
    in memory only (tests, previews).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # Last values known: kept if the file later goes missing or cannot be read.
        self._values: dict[str, Any] = {}
        self._read(warn=True)

    @classmethod
    def in_folder(cls, folder: Path) -> Settings:
        """The settings beside the store in `folder`."""
        return cls(folder / SETTINGS_FILE)

    def get(self, setting: Setting[T]) -> T:
        self._read(warn=False)
        value: Any = self._values.get(setting.key, setting.default)
        if problem(setting, value):
            return setting.default
        typed: T = value
        return typed

    def set(self, setting: Setting[T], value: T) -> None:
        """Saves one setting; a value breaking its rule raises ValidationError naming its key."""
        wrong = problem(setting, value)
        if wrong:
            raise ValidationError(setting.key, wrong)
        with _WRITE_LOCK:
            self._read(warn=False)
            self._values[setting.key] = value
            self._save()

    def _read(self, *, warn: bool) -> None:
        if self.path is None:
            return
        try:
            loaded: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            if warn:
                log.warning("settings file unreadable; using defaults")
            return
        if isinstance(loaded, dict):
            self._values = loaded

    def _save(self) -> None:
        """Writes only declared settings: anything else found in the file is dropped."""
        if self.path is None:
            return
        known = {s.key for s in ALL}
        body = json.dumps({k: v for k, v in self._values.items() if k in known}, indent=2)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(body, encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            # Settings are a convenience: a read-only folder keeps them for this session only.
            log.warning("settings could not be saved")
