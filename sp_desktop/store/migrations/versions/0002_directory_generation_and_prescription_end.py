"""Directory change counter (triggers on services) and how each prescription ended.

- Triggers bump `store_meta.directory_generation` on every insert, update or delete in
  `services`, in the writer's own transaction, so the in-memory directory search index notices
  changes from sync, import or anything else with one primary-key read. A later migration that
  recreates `services` (batch mode) must recreate these triggers.
- `prescriptions.ended_on`: the day it ended early (stopped, cancelled, closed), NULL while it
  runs its planned length.
- `prescriptions.carries_on`: asked at the closing review; NULL until then.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TRIGGER = """
CREATE TRIGGER services_changed_{event} AFTER {event} ON services
BEGIN
    INSERT INTO store_meta (key, value) VALUES ('directory_generation', '1')
    ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END
"""
_EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    op.add_column("prescriptions", sa.Column("ended_on", sa.Date(), nullable=True))
    op.add_column("prescriptions", sa.Column("carries_on", sa.Boolean(), nullable=True))
    for event in _EVENTS:
        op.execute(_TRIGGER.format(event=event))


def downgrade() -> None:
    for event in _EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS services_changed_{event}")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_column("carries_on")
        batch_op.drop_column("ended_on")
