"""Divergence check: per-table counts and digests of each live row's content, same on both sides.

What is hashed, per live row: its id, its clock stamp, and for every field named in its
per-field stamps (`versions`) the field's name, stamp and value in a canonical form. Content,
not only (id, stamp): a laptop that kept its own value for a field the office settled the other
way holds the same id and stamp as the office, and only the value tells them apart.

The field set comes from `versions` because both sides hold exactly the same one once a row has
been pulled (the office writes a field's value and its stamp together), while the laptop's
columns also hold defaults for fields the office never received. The laptop holds SQLite
values (dates as ISO text, flags as 0/1, hours as floats) and the office JSON, so the few
fields where the two differ are canonicalised before hashing: a flag as true/false, hours as a
number (2 == 2.0), a date's text cut to the day; a field with no value is null on both sides.
Each table is hashed as one sorted JSON document, so the per-row work stays in C (orjson).

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
import json
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, TypeAlias

import orjson

from sp_desktop.domain.rows import ROWS, Day, Hours, YesNo

CHECK_OK = "ok"
CHECK_MISMATCH = "mismatch"
CHECK_BUSY = "busy"  # the server's scope moved past the cursor: no verdict, try again later

# One live row as hashed: (row id, stamp, per-field stamps, field values by name).
ContentRow: TypeAlias = tuple[str, str, dict[str, Any], dict[str, Any]]


def _fields_of(kind: type) -> dict[str, frozenset[str]]:
    return {table: frozenset(n for n, rule in rules.fields.items() if isinstance(rule, kind))
            for table, rules in ROWS.items()}


# Per table, the fields whose two forms differ (see the module docstring).
DATE_FIELDS = _fields_of(Day)
FLAG_FIELDS = _fields_of(YesNo)
NUMBER_FIELDS = _fields_of(Hours)
_NONE: frozenset[str] = frozenset()


def number(value: Any) -> Any:
    """A number in one form: 2 and 2.0 alike; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    as_float = float(value)
    return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float


def canonical_row(
    row_id: str, hlc: str, versions: dict[str, Any], values: dict[str, Any],
    *, flags: Iterable[str] = (), numbers: Iterable[str] = (), dates: Iterable[str] = (),
) -> ContentRow:
    """One row ready to hash; `values` holds exactly the fields named in `versions` and is
    changed in place. The caller names the fields its own form needs fixing (the office its
    rules' fields, the laptop its column types); both end in the same form."""
    for name in flags:
        value = values.get(name)
        if value is not None and not isinstance(value, bool):
            values[name] = bool(value)
    for name in numbers:
        if name in values:
            values[name] = number(values[name])
    for name in dates:
        value = values.get(name)
        if isinstance(value, str) and len(value) > 10:
            values[name] = value[:10]
    return row_id, hlc, versions, values


def office_row(table: str, row_id: str, hlc: str, versions: dict[str, Any],
               fields: dict[str, Any]) -> ContentRow:
    """A row as the office holds it (JSON), in the hashed form."""
    # The office writes a field's value and stamp together, so the two key sets are nearly
    # always the same (a set comparison, in C); only a row that strays needs the slow way.
    values = fields if fields.keys() == versions.keys() else {
        name: fields.get(name) for name in versions}
    return canonical_row(row_id, hlc, versions, values, flags=FLAG_FIELDS.get(table, _NONE),
                         numbers=NUMBER_FIELDS.get(table, _NONE),
                         dates=DATE_FIELDS.get(table, _NONE))


def digest(rows: list[ContentRow]) -> tuple[int, str]:
    """(count, sha256 hex) of a table's rows, whatever order they come in (sorted here)."""
    rows.sort(key=itemgetter(0))
    try:
        data = orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a value orjson cannot write (a huge integer): the slow, exact way
        data = json.dumps(rows, sort_keys=True, default=str, separators=(",", ":")).encode()
    return len(rows), hashlib.sha256(data).hexdigest()


def legacy_digest(pairs: Iterable[tuple[str, str]]) -> tuple[int, str]:
    """(count, sha256 hex) of (row id, stamp) pairs: what the previous version sent."""
    ordered = sorted(pairs)
    h = hashlib.sha256()
    for row_id, stamp in ordered:
        h.update(f"{row_id}\x1f{stamp}\n".encode())
    return len(ordered), h.hexdigest()


EMPTY = digest([])[1]  # the digest of a table with no live rows
