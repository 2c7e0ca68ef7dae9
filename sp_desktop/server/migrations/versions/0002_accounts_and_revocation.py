"""Revocation kinds, token lifetimes and silent renewal.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices') as batch:
        batch.add_column(sa.Column('revoke_kind', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('token_expires_at', sa.Float(), nullable=True))
        batch.add_column(sa.Column('pending_token_hash', sa.String(length=64), nullable=True))
        batch.create_unique_constraint('uq_devices_pending_token_hash', ['pending_token_hash'])
    # Devices revoked before the kinds existed were revoked as lost or stolen.
    op.execute("UPDATE devices SET revoke_kind = 'lost' WHERE revoked_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('devices') as batch:
        batch.drop_constraint('uq_devices_pending_token_hash', type_='unique')
        batch.drop_column('pending_token_hash')
        batch.drop_column('token_expires_at')
        batch.drop_column('revoke_kind')
