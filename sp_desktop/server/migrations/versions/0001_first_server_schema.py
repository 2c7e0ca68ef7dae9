"""First server schema: accounts, devices, rows, conflicts, receipts, the sequence counter.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table('counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # The one row every push increments, under its row lock, until commit.
    op.bulk_insert(counters, [{"name": "seq", "value": 0}])
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.Float(), nullable=False),
    sa.Column('blocked_until', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('receipts',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('op_id', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'op_id')
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('advisers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('conflicts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('table_name', sa.String(length=32), nullable=False),
    sa.Column('row_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('kept_value', sa.Text(), nullable=True),
    sa.Column('other_value', sa.Text(), nullable=True),
    sa.Column('kept_hlc', sa.String(length=96), nullable=True),
    sa.Column('other_hlc', sa.String(length=96), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('resolved_at', sa.String(length=32), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_conflicts_team_seq', ['team_id', 'seq'], unique=False)

    op.create_table('person_scope',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('person_id')
    )
    with op.batch_alter_table('person_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_scope_team_id'), ['team_id'], unique=False)

    op.create_table('rows',
    sa.Column('table_name', sa.String(length=32), nullable=False),
    sa.Column('row_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('versions', sa.Text(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('hlc', sa.String(length=96), nullable=False),
    sa.Column('origin_device', sa.String(length=64), nullable=False),
    sa.Column('created_hlc', sa.String(length=96), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('table_name', 'row_id')
    )
    with op.batch_alter_table('rows', schema=None) as batch_op:
        batch_op.create_index('ix_rows_person', ['person_id'], unique=False)
        batch_op.create_index('ix_rows_seq', ['seq'], unique=False)
        batch_op.create_index('ix_rows_team_seq', ['team_id', 'seq'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('adviser_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('last_seen_at', sa.String(length=32), nullable=True),
    sa.Column('revoked_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['adviser_id'], ['advisers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_adviser_id'), ['adviser_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_adviser_id'))

    op.drop_table('devices')
    with op.batch_alter_table('rows', schema=None) as batch_op:
        batch_op.drop_index('ix_rows_team_seq')
        batch_op.drop_index('ix_rows_seq')
        batch_op.drop_index('ix_rows_person')

    op.drop_table('rows')
    with op.batch_alter_table('person_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_scope_team_id'))

    op.drop_table('person_scope')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_conflicts_team_seq')

    op.drop_table('conflicts')
    op.drop_table('advisers')
    op.drop_table('teams')
    op.drop_table('receipts')
    op.drop_table('login_throttle')
    op.drop_table('counters')
