"""The office console: its users, sessions, the office audit log, a caseload report table,
and what laptops report about themselves at sync.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("app_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("waiting", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("oldest_waiting_at", sa.String(length=32), nullable=True))
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "console_user_teams",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_table(
        "office_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_office_audit_at", "office_audit", ["at"])
    op.create_table(
        "console_people",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("adviser", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.Column("next_due", sa.String(length=10), nullable=True),
        sa.Column("last_contact", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_console_people_team_adviser", "console_people", ["team_id", "adviser"])
    op.create_index(
        "ix_console_people_team_name",
        "console_people",
        ["team_id", "family_name", "given_name", "person_id"],
    )
    # The report table starts empty; its counter row ('console_seq') is made at first use,
    # which then reads every row from seq 0.


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'console_seq'")  # made at first use
    op.drop_index("ix_console_people_team_name", table_name="console_people")
    op.drop_index("ix_console_people_team_adviser", table_name="console_people")
    op.drop_table("console_people")
    op.drop_index("ix_office_audit_at", table_name="office_audit")
    op.drop_table("office_audit")
    op.drop_index("ix_console_sessions_user_id", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_user_teams")
    op.drop_table("console_users")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("oldest_waiting_at")
        batch.drop_column("waiting")
        batch.drop_column("app_version")
