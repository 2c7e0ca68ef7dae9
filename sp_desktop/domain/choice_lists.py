"""Choice lists schemes adapt as data: long-term conditions and why someone stopped an activity.

`resources/conditions.json` lists the conditions an adviser can tick on a person's details (with
a SNOMED CT concept where one fits); `resources/stop_reasons.json` lists the answers to "Why did
they stop?". Both are read strictly (a file that does not fit says which file and which entry,
in words) and once. The laptop and the office check keys against the same files, through the
rules in `domain/rows.py`.

A person's conditions travel as JSON text of a list of keys, sorted and compact
(`'["copd","diabetes"]'`), so the same conditions are always the same text.

An attendance recorded "stopped" before stop reasons existed has no key: it is read as
"other" (`stop_reason_of`), by the laptop and by the office's reports alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sp_desktop.resource_files import resource

CONDITIONS_FILE = "conditions.json"
STOP_REASONS_FILE = "stop_reasons.json"
OTHER = "other"  # both lists end with it; an old stopped attendance without a key reads as it
STOPPED = "stopped"  # AttendanceStatus.STOPPED as stored (choices imports nothing from here)
MAX_KEY_CHARS = 48


class ChoiceListError(ValueError):
    """A choice list file that does not fit its format; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One long-term condition: its stored key, its words, its SNOMED CT concept id if any."""

    key: str
    words: str
    snomed: str | None


@dataclass(frozen=True, slots=True)
class StopReason:
    """One answer to "Why did they stop?": its stored key and its words."""

    key: str
    words: str


def _entries(raw: Any, name: str, top: str) -> list[Mapping[str, Any]]:
    if not isinstance(raw, dict) or set(raw) != {top}:
        raise ChoiceListError(f"{name}: the file must be an object with only {top!r}")
    entries = raw[top]
    if not isinstance(entries, list) or not entries:
        raise ChoiceListError(f"{name}: {top!r} must be a list with at least one entry")
    return entries


def _entry(
    raw: Any, name: str, where: str, keys: frozenset[str], seen: set[str]
) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise ChoiceListError(f"{name}: {where}: must be an object")
    if set(raw) != keys:
        missing = sorted(keys - set(raw))
        unknown = sorted(set(raw) - keys)
        words = (f"is missing {', '.join(missing)}" if missing
                 else f"has unknown key(s) {', '.join(unknown)}")
        raise ChoiceListError(f"{name}: {where}: {words}")
    key = raw["key"]
    if not (
        isinstance(key, str)
        and 0 < len(key) <= MAX_KEY_CHARS
        and key[0].isascii() and key[0].islower()
        and all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in key)
    ):
        raise ChoiceListError(f"{name}: {where}: key must be small letters, digits and _")
    if key in seen:
        raise ChoiceListError(f"{name}: {where}: key {key!r} is listed twice")
    seen.add(key)
    if not isinstance(raw["words"], str) or not raw["words"].strip():
        raise ChoiceListError(f"{name}: {where} ({key}): words must be text, not blank")
    return raw


def parse_conditions(raw: Any, name: str = CONDITIONS_FILE) -> tuple[Condition, ...]:
    """The conditions file's JSON, checked strictly; ChoiceListError says what does not fit."""
    seen: set[str] = set()
    found = []
    for n, item in enumerate(_entries(raw, name, "conditions")):
        entry = _entry(item, name, f"conditions[{n}]", frozenset({"key", "words", "snomed"}),
                       seen)
        snomed = entry["snomed"]
        if snomed is not None and not (
            isinstance(snomed, str) and 6 <= len(snomed) <= 18 and snomed.isdigit()
            and snomed.isascii()
        ):
            raise ChoiceListError(
                f"{name}: conditions[{n}] ({entry['key']}): snomed must be a SNOMED CT "
                "concept id (6 to 18 digits, as text) or null")
        found.append(Condition(entry["key"], entry["words"].strip(), snomed))
    return tuple(found)


def parse_stop_reasons(raw: Any, name: str = STOP_REASONS_FILE) -> tuple[StopReason, ...]:
    """The stop reasons file's JSON, checked strictly."""
    seen: set[str] = set()
    found = []
    for n, item in enumerate(_entries(raw, name, "reasons")):
        entry = _entry(item, name, f"reasons[{n}]", frozenset({"key", "words"}), seen)
        found.append(StopReason(entry["key"], entry["words"].strip()))
    if OTHER not in seen:
        raise ChoiceListError(
            f"{name}: the reasons must include {OTHER!r} (older stopped sessions read as it)")
    return tuple(found)


def _read(file: str) -> Any:
    try:
        return json.loads(resource(file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChoiceListError(f"{file}: could not be read ({exc})") from None


@cache
def conditions() -> tuple[Condition, ...]:
    """Every long-term condition offered, in the file's order; read and checked once."""
    return parse_conditions(_read(CONDITIONS_FILE))


@cache
def stop_reasons() -> tuple[StopReason, ...]:
    """Every answer to "Why did they stop?", in the file's order; read and checked once."""
    return parse_stop_reasons(_read(STOP_REASONS_FILE))


@cache
def condition_keys() -> frozenset[str]:
    return frozenset(c.key for c in conditions())


@cache
def stop_reason_keys() -> frozenset[str]:
    return frozenset(r.key for r in stop_reasons())


def condition_words(keys: Iterable[str]) -> list[str]:
    """The conditions' words in the file's order (a key no longer listed is shown as it is)."""
    wanted = set(keys)
    words = [c.words for c in conditions() if c.key in wanted]
    known = condition_keys()
    return words + sorted(k.replace("_", " ") for k in wanted if k not in known)


def stop_reason_words(key: str | None) -> str:
    for reason in stop_reasons():
        if reason.key == key:
            return reason.words
    return "" if key is None else key.replace("_", " ")


def conditions_text(keys: Iterable[str]) -> str:
    """Conditions as stored and sent: JSON text of the keys, sorted, compact."""
    return json.dumps(sorted(set(keys)), separators=(",", ":"))


def conditions_from_text(text: str | None) -> tuple[str, ...]:
    """Conditions as stored (JSON text of a list of keys); blank or unreadable is none."""
    try:
        keys = json.loads(text) if text else []
    except ValueError:
        return ()
    if not isinstance(keys, list):
        return ()
    return tuple(sorted({k for k in keys if isinstance(k, str)}))


def stop_reason_of(status: Any, key: Any) -> str | None:
    """Why a session's attendance stopped, as reports count it: its key, or "other" for a
    stopped session recorded before reasons were asked (no key); None when not stopped."""
    if str(getattr(status, "value", status)) != STOPPED:
        return None
    return key if isinstance(key, str) and key else OTHER
