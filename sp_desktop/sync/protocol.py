"""The sync protocol, imported by both the app and the server so they cannot drift apart.

A change travels as a `ChangeOp`: one operation on one row, with its own idempotency key (the
op id). `fields` holds the new values of the fields it changed, `base` the per-field clock stamp
each edit was based on (None for a field the device had never seen), `hlc` the stamp of the edit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1


class OpKind(enum.StrEnum):
    UPSERT = "upsert"  # create a row or change some of its fields
    APPEND = "append"  # an append-only fact: written once, never edited, never conflicts
    DELETE = "delete"  # a tombstone; wins only over edits older than itself


class TableKind(enum.Enum):
    MUTABLE = "mutable"  # merged field by field by clock stamp
    FACT = "fact"  # append-only
    DIRECTORY = "directory"  # owned by the office: advisers pull, never push


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What the merge needs to know about a table: its kind and its free-text fields.

    When two devices changed the same free-text field, the losing text is kept as a
    conflict copy for the adviser; other fields are settled by clock alone (still logged).
    """

    kind: TableKind
    text_fields: frozenset[str] = frozenset()
    person_scoped: bool = True


TABLES: dict[str, TableSpec] = {
    "people": TableSpec(
        TableKind.MUTABLE,
        frozenset(
            {"given_name", "family_name", "preferred_name", "address", "gp_practice", "email",
             "interpreter_language", "hearing_needs", "sight_needs"}
        ),
    ),
    "referrals": TableSpec(TableKind.MUTABLE, frozenset({"reason", "referrer_name",
                                                        "referrer_organisation"})),
    "visits": TableSpec(TableKind.MUTABLE, frozenset({"notes", "what_matters"})),
    "concerns": TableSpec(TableKind.MUTABLE, frozenset({"words"})),
    "steps": TableSpec(TableKind.MUTABLE, frozenset({"words"})),
    "prescriptions": TableSpec(TableKind.MUTABLE, frozenset({"declined_reason"})),
    "follow_ups": TableSpec(TableKind.MUTABLE, frozenset({"notes"})),
    "concern_ratings": TableSpec(TableKind.FACT),
    "step_progress": TableSpec(TableKind.FACT),
    "assessments": TableSpec(TableKind.FACT),
    "attendance": TableSpec(TableKind.FACT),
    "volunteer_hours": TableSpec(TableKind.FACT),
    "closing_reviews": TableSpec(TableKind.FACT),
    "services": TableSpec(TableKind.DIRECTORY, person_scoped=False),
}


@dataclass(frozen=True, slots=True)
class ChangeOp:
    """One local change waiting in the outbox, exactly as it is sent to the server."""

    op_id: str
    table: str
    row_id: str
    person_id: str | None
    kind: OpKind
    fields: dict[str, Any]
    base: dict[str, str | None]
    hlc: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "op": self.op_id,
            "table": self.table,
            "row": self.row_id,
            "person": self.person_id,
            "kind": self.kind.value,
            "fields": self.fields,
            "base": self.base,
            "hlc": self.hlc,
        }
