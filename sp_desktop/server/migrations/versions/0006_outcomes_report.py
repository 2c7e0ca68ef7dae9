"""The outcomes report tables (issue 13): one line per person in groups (no names) and one
line per person and questionnaire result (baseline and latest), kept current from `rows` by
sequence number.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_people",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("gp_practice", sa.String(length=200), nullable=False),
        sa.Column("gender", sa.String(length=32), nullable=False),
        sa.Column("ethnicity", sa.String(length=64), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wait_days", sa.Integer(), nullable=True),
        sa.Column("closed_outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_outcome_people_team_id", "outcome_people", ["team_id"])
    op.create_index("ix_outcome_people_received", "outcome_people", ["received_on"])
    op.create_table(
        "outcome_pairs",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("before", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=True),
        sa.Column("band_before", sa.Integer(), nullable=True),
        sa.Column("band_after", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("gp_practice", sa.String(length=200), nullable=False),
        sa.Column("gender", sa.String(length=32), nullable=False),
        sa.Column("ethnicity", sa.String(length=64), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("person_id", "measure", "result"),
    )
    op.create_table(
        "outcome_activity",
        sa.Column("prescription_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("stopped", sa.Integer(), nullable=False),
        sa.Column("volunteer_hours", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("prescription_id"),
    )
    op.create_index("ix_outcome_activity_person_id", "outcome_activity", ["person_id"])


def downgrade() -> None:
    op.drop_table("outcome_activity")
    op.drop_table("outcome_pairs")
    op.drop_table("outcome_people")
