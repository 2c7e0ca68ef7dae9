"""Each laptop's purge point: the newest tombstone purge it has pulled under.

A laptop pulling its copy page by page passes through cursors below the purge point although
it missed no delete (it read everything after the purge); only a laptop whose copy is older
than the purge must be sent a fresh one (`server.sync.restore_reason`).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("purge_seen", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("devices", "purge_seen")
