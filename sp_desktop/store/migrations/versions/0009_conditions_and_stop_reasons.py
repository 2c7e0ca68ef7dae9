"""Long-term conditions and why someone stopped an activity, as data reports can count.

- `people.conditions`: JSON text of keys from resources/conditions.json, '[]' for everyone
  already stored (nothing was recorded).
- `attendance.stopped_because`: a key from resources/stop_reasons.json. NULL for every session
  already stored: a stopped one kept its reason in words only, and is read as "other"
  (`domain.choice_lists.stop_reason_of`); nothing is guessed from the words. The rows are not
  changed and nothing is queued, so the office's copies and the laptop's stay the same.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "people", sa.Column("conditions", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("attendance", sa.Column("stopped_because", sa.String(length=48), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance") as batch:
        batch.drop_column("stopped_because")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("conditions")
