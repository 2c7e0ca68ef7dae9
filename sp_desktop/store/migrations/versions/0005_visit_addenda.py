"""Corrections of signed visits are addenda: a new append-only table, each row linked to its
visit and its person and written by its own author. The signed visit itself never changes.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_addenda",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("written_by", sa.Text(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visit_addenda_person_id", "visit_addenda", ["person_id"])
    op.create_index("ix_visit_addenda_visit_id", "visit_addenda", ["visit_id"])


def downgrade() -> None:
    op.drop_index("ix_visit_addenda_visit_id", table_name="visit_addenda")
    op.drop_index("ix_visit_addenda_person_id", table_name="visit_addenda")
    op.drop_table("visit_addenda")
