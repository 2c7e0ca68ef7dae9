"""The rest of the outcomes report (issue 13): concerns, long-term conditions and first
volunteering on each person's line, the periods health-service use counts over, why people
stopped an activity, one line per step, and the practices' registered populations. The
report lines are rebuilt from `rows` (the catch-up starts again from the beginning), since
lines made before this revision lack the new columns.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PEOPLE = (
    ("conditions", sa.String(length=400)),
    ("condition_count", sa.Integer()),
    ("concerns_set", sa.Integer()),
    ("concerns_paired", sa.Integer()),
    ("concern_first", sa.Float()),
    ("concern_latest", sa.Float()),
    ("concerns_eased", sa.Integer()),
    ("first_volunteered", sa.String(length=10)),
)
_PAIRS = (
    ("conditions", sa.String(length=400)),
    ("condition_count", sa.Integer()),
    ("months_before", sa.Float()),
    ("months_after", sa.Float()),
)


def upgrade() -> None:
    for name, kind in _PEOPLE:
        op.add_column("outcome_people", sa.Column(name, kind, nullable=True))
    for name, kind in _PAIRS:
        op.add_column("outcome_pairs", sa.Column(name, kind, nullable=True))
    op.add_column(
        "outcome_activity", sa.Column("stopped_because", sa.String(length=64), nullable=True)
    )
    op.create_table(
        "outcome_steps",
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("latest", sa.Integer(), nullable=False),
        sa.Column("progressed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("step_id"),
    )
    op.create_index("ix_outcome_steps_person_id", "outcome_steps", ["person_id"])
    op.create_table(
        "registered_population",
        sa.Column("practice", sa.String(length=200), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("grp", sa.String(length=64), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=False),
        sa.Column("loaded_on", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("practice", "dimension", "grp"),
    )
    # Every line is made again with the new columns at the next catch-up (`sp-server outcomes
    # build` does it ahead of time on a large office).
    op.execute("DELETE FROM counters WHERE name = 'outcomes_seq'")


def downgrade() -> None:
    op.drop_table("registered_population")
    op.drop_index("ix_outcome_steps_person_id", table_name="outcome_steps")
    op.drop_table("outcome_steps")
    op.drop_column("outcome_activity", "stopped_because")
    for name, _ in reversed(_PAIRS):
        op.drop_column("outcome_pairs", name)
    for name, _ in reversed(_PEOPLE):
        op.drop_column("outcome_people", name)
