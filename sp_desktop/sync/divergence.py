"""Divergence check: per-table counts and digests of each live row's content, same on both sides.

What is hashed, per live row: its id, its clock stamp, and for every field named in its
per-field stamps (`versions`) the field's name, stamp and value in a canonical form. Content,
not only (id, stamp): a laptop that kept its own value for a field the office settled the other
way holds the same id and stamp as the office, and only the value tells them apart.

The field set comes from `versions` because both sides hold exactly the same one once a row has
been pulled (the office writes a field's value and its stamp together), while the laptop's
columns also hold defaults for fields the office never received. The laptop holds typed columns
(dates, booleans, floats) and the office JSON, so values are canonicalised before hashing:
dates as ISO text (a date field's text cut to the day), numbers equal as numbers (2 == 2.0),
None and a missing field alike.

Only live rows count (tombstones are excluded): a laptop never stores a tombstone for a row it
never had, so counting them would report false mismatches. The check is only meaningful when
both sides describe the same moment: the laptop sends it with an empty outbox when it believes
it has pulled everything, and the server answers "busy" (no verdict, ask again later) when its
scope holds a change after that cursor. A mismatching table is re-pulled from seq 0 by the
client (`sync.resync_tables`): missing and stale rows come back, and local rows the office did
not send during that re-pull (extra rows) are removed, unless a change of theirs still waits.

A laptop of the previous version hashed only (row id, stamp) (`legacy_digest`); the office
accepts that form too, so such a laptop is not re-pulled at every check until it is updated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import orjson

from sp_desktop.domain.rows import ROWS, Day

CHECK_OK = "ok"
CHECK_MISMATCH = "mismatch"
CHECK_BUSY = "busy"  # the server's scope moved past the cursor: no verdict, try again later

# Date fields per table: their text is compared by the day (the laptop holds a date).
DATE_FIELDS: dict[str, frozenset[str]] = {
    table: frozenset(name for name, rule in rules.fields.items() if isinstance(rule, Day))
    for table, rules in ROWS.items()
}
_NO_DATES: frozenset[str] = frozenset()


def canonical(value: Any, is_date: bool = False) -> Any:
    """A field value in the one form both sides hash (JSON-encodable)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number
    if isinstance(value, datetime):
        return value.isoformat()[:10] if is_date else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if is_date and isinstance(value, str):
        return value[:10]
    return value


def row_line(
    table: str, row_id: str, hlc: str, versions: Mapping[str, Any], fields: Mapping[Any, Any]
) -> bytes:
    """One live row's canonical content: id, stamp, then every stamped field in name order."""
    dates = DATE_FIELDS.get(table, _NO_DATES)
    content = [
        (name, str(versions[name]), canonical(fields.get(name), name in dates))
        for name in sorted(versions)
    ]
    return (f"{row_id}\x1f{hlc}\x1f".encode() + orjson.dumps(content)
            + b"\n")


def digest(lines: Iterable[tuple[str, bytes]]) -> tuple[int, str]:
    """(count, sha256 hex) of (row id, `row_line`) pairs, whatever their order."""
    ordered = sorted(lines)
    h = hashlib.sha256()
    for _row_id, line in ordered:
        h.update(line)
    return len(ordered), h.hexdigest()


def legacy_digest(pairs: Iterable[tuple[str, str]]) -> tuple[int, str]:
    """(count, sha256 hex) of (row id, stamp) pairs: what the previous version sent."""
    ordered = sorted(pairs)
    h = hashlib.sha256()
    for row_id, stamp in ordered:
        h.update(f"{row_id}\x1f{stamp}\n".encode())
    return len(ordered), h.hexdigest()


EMPTY = digest([])[1]  # the digest of a table with no live rows
