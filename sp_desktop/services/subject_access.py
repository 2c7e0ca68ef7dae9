"""Subject access from the app: everything this laptop holds about one person, found by walking
the schema (`store.walk`), as JSON (every row, every column) and a readable PDF, audited."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import orjson

from sp_desktop.store import walk

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

# Column names people would not understand, in words; anything else is shown capitalised.
_WORDS = {
    "id": "Record identifier",
    "person_id": "Person identifier",
    "hlc": "Change stamp",
    "versions": "Change stamps per field",
    "origin_device": "Laptop it was made on",
    "created_at": "Made at",
    "updated_at": "Last changed at",
    "deleted": "Removed",
}


@dataclass(frozen=True, slots=True)
class SubjectAccessExport:
    """The copy, in memory until saved. `json`/`pdf` hold personal data: left out of repr.

    `rows`: how many rows per table were found (the figure the audit and the report give).
    """

    person_id: str
    rows: dict[str, int]
    json: bytes = field(repr=False)
    pdf: bytes = field(repr=False)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _text(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def gather(ws: Workspace, person_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row naming the person, per table, values as they would travel (dates as text)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with ws.store.read() as conn:
        for table, row in walk.rows_about(conn, person_id):
            found[str(table.name)].append({str(k): _text(v) for k, v in row.items()})
    return dict(found)


def subject_access(ws: Workspace, person_id: str, *, made_at: datetime | None = None
                   ) -> SubjectAccessExport:
    """The whole copy; the audit trail records that it was made (not what is in it)."""
    from sp_desktop.pdf.subject_access import SubjectAccessCopy, build_subject_access

    made = made_at or datetime.now(UTC)
    tables = gather(ws, person_id)
    person = (tables.get("people") or [{}])[0]
    name = " ".join(str(person.get(k) or "") for k in ("given_name", "family_name")).strip()
    document = {
        "kind": "subject_access",
        "person_id": person_id,
        "made_at": made.isoformat(timespec="seconds"),
        "made_by": ws.adviser,
        "source": f"laptop {ws.device}",
        "tables": tables,
    }
    sections = {
        table.replace("_", " ").capitalize(): [
            [(_WORDS.get(k, k.replace("_", " ").capitalize()), "" if v is None else str(v))
             for k, v in row.items()]
            for row in rows
        ]
        for table, rows in tables.items()
    }
    pdf = build_subject_access(SubjectAccessCopy(
        name=name or "this person", made_on=made.date(), made_by=ws.adviser or "SP Desktop",
        source="this laptop", sections=sections))
    with ws.write() as conn:
        ws.audit(conn, "subject_access", "person", person_id, person_id)
    return SubjectAccessExport(
        person_id,
        {table: len(rows) for table, rows in tables.items()},
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS),
        pdf,
    )
