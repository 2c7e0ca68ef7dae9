"""Measures as data: one `answers` table holds every questionnaire's answers, and every ONS4
assessment moves into it unchanged (same id, stamps, device, tombstone; the four scores become
the JSON answers of measure "ons4", a declined answer staying null). Changes still waiting in the
outbox are rewritten the same way, so nothing queued before the update is lost or refused.

Self-contained on purpose: a migration must mean the same thing whatever the code does later.

Revision ID: 0007
Revises: 0006
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
_RENAMED = {"assessed_on": "taken_on"}  # other fields keep their names


def _answers_text(scores: dict[str, Any]) -> str:
    return json.dumps({item: scores.get(item) for item in ONS4_ITEMS}, separators=(",", ":"))


def _stamps(stamps: dict[str, Any]) -> dict[str, Any]:
    """Per-field stamps under the new names; the four items' newest stamp becomes `answers`'."""
    moved: dict[str, Any] = {}
    item_stamps = []
    for name, stamp in stamps.items():
        if name in ONS4_ITEMS:
            item_stamps.append(stamp)
        else:
            moved[_RENAMED.get(name, name)] = stamp
    if item_stamps:
        known = [s for s in item_stamps if s is not None]
        # The office's copy (server migration 0004) names the same stamp for both.
        moved["answers"] = moved["measure"] = max(known) if known else None
    return moved


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A queued change's fields as the answers table takes them."""
    moved = {_RENAMED.get(k, k): v for k, v in fields.items() if k not in ONS4_ITEMS}
    if any(item in fields for item in ONS4_ITEMS):
        moved["answers"] = _answers_text(fields)
        moved["measure"] = "ons4"
    return moved


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("measure", sa.String(length=48), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("context", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answers_person_id", "answers", ["person_id"])
    conn = op.get_bind()
    old = (
        conn.execute(
            sa.text(
                "SELECT id, created_at, updated_at, hlc, versions, deleted, origin_device,"
                " person_id,"
                " assessed_on, context, life_satisfaction, worthwhile, happiness, anxiety"
                " FROM assessments"
            )
        )
        .mappings()
        .all()
    )
    insert = sa.text(
        "INSERT INTO answers (id, created_at, updated_at, hlc, versions, deleted, origin_device,"
        " person_id, measure, taken_on, context, answers) VALUES (:id, :created_at, :updated_at,"
        " :hlc, :versions, :deleted, :origin_device, :person_id, 'ons4', :taken_on, :context,"
        " :answers)"
    )
    for row in old:
        conn.execute(
            insert,
            {
                "id": row["id"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "hlc": row["hlc"],
                "versions": json.dumps(_stamps(json.loads(row["versions"] or "{}"))),
                "deleted": row["deleted"],
                "origin_device": row["origin_device"],
                "person_id": row["person_id"],
                "taken_on": row["assessed_on"],
                "context": row["context"],
                "answers": _answers_text(dict(row)),
            },
        )
    waiting = (
        conn.execute(
            sa.text("SELECT seq, fields, base FROM outbox WHERE table_name = 'assessments'")
        )
        .mappings()
        .all()
    )
    for entry in waiting:
        conn.execute(
            sa.text(
                "UPDATE outbox SET table_name = 'answers', fields = :fields, base = :base"
                " WHERE seq = :seq"
            ),
            {
                "seq": entry["seq"],
                "fields": json.dumps(_fields(json.loads(entry["fields"]))),
                "base": json.dumps(_stamps(json.loads(entry["base"] or "{}"))),
            },
        )
    conn.execute(
        sa.text("UPDATE conflicts SET table_name = 'answers' WHERE table_name = 'assessments'")
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_person_id")
    op.drop_table("assessments")


def downgrade() -> None:
    raise NotImplementedError("Answers of other measures have no place in the old schema.")
