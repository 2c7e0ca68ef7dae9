"""Indexes for two reads made all the time: who cares for a person (every page open asks,
`WHERE carer_of_id = ?`, which read and decrypted the whole people table), and the age of the
oldest change waiting (the status bar's `min(created_at)` over the outbox read every waiting
change's fields: 26 MiB of pages for a caseload not yet uploaded).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_people_carer_of_id", "people", ["carer_of_id"])
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_index("ix_people_carer_of_id", table_name="people")
