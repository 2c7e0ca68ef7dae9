"""Measures as data: every ONS4 assessment the office holds becomes the answers row it is on the
laptops after their store migration 0007 (same id, stamps, device, sequence number; the four
scores become the JSON answers of measure "ons4", a declined answer staying null), so the two
sides describe the same rows and the content check agrees.

Self-contained on purpose (a migration means the same thing whatever the code does later); the
conversion is the one `sync.protocol.legacy_ons4_fields` makes of a change sent by a laptop not
yet updated, and the store's migration 0007 makes on the laptop.

Revision ID: 0004
Revises: 0003
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    moved = {("taken_on" if k == "assessed_on" else k): v for k, v in fields.items()
             if k not in ITEMS}
    moved["measure"] = "ons4"
    moved["answers"] = json.dumps({item: fields.get(item) for item in ITEMS},
                                  separators=(",", ":"))
    return moved


def _stamps(stamps: dict[str, Any]) -> dict[str, Any]:
    moved: dict[str, Any] = {}
    items = [s for k, s in stamps.items() if k in ITEMS and s is not None]
    for name, stamp in stamps.items():
        if name not in ITEMS:
            moved["taken_on" if name == "assessed_on" else name] = stamp
    if any(k in ITEMS for k in stamps):
        moved["answers"] = moved["measure"] = max(items) if items else None
    return moved


def upgrade() -> None:
    conn = op.get_bind()
    held = conn.execute(sa.text(
        "SELECT row_id, fields, versions FROM rows WHERE table_name = 'assessments'"
    )).all()
    for row_id, fields, versions in held:
        conn.execute(
            sa.text("UPDATE rows SET table_name = 'answers', fields = :fields, "
                    "versions = :versions WHERE table_name = 'assessments' AND row_id = :row_id"),
            {"row_id": row_id, "fields": json.dumps(_fields(json.loads(fields))),
             "versions": json.dumps(_stamps(json.loads(versions)))},
        )
    conn.execute(sa.text(
        "UPDATE conflicts SET table_name = 'answers' WHERE table_name = 'assessments'"
    ))


def downgrade() -> None:
    raise NotImplementedError("Answers of other measures have no place in the old schema.")
