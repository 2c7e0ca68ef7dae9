"""A new referral after a closing review reopens the person on the caseload.

The summary's `closed` flag now means "closed since the latest referral", recomputed when
either a referral or a closing review is written.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CLOSED = (
    "EXISTS (SELECT 1 FROM closing_reviews c WHERE c.person_id = {person} AND c.deleted = 0"
    " AND c.closed_on >= coalesce((SELECT max(r.received_on) FROM referrals r"
    " WHERE r.person_id = {person} AND r.deleted = 0), '0000-00-00'))"
)
_REFERRAL_STATUS = (
    "(SELECT status FROM referrals WHERE person_id = NEW.person_id AND deleted = 0"
    " ORDER BY received_on DESC, hlc DESC LIMIT 1)"
)


def upgrade() -> None:
    for table in ("referrals", "closing_reviews"):
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS caseload_{table}_{event}")
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER caseload_referrals_{event.lower()} AFTER {event} ON referrals "
            f"BEGIN UPDATE caseload_summary SET referral_status = {_REFERRAL_STATUS}, "
            f"closed = {_CLOSED.format(person='NEW.person_id')} "
            f"WHERE person_id = NEW.person_id; END"
        )
        op.execute(
            f"CREATE TRIGGER caseload_closing_reviews_{event.lower()} AFTER {event} "
            f"ON closing_reviews BEGIN UPDATE caseload_summary SET "
            f"closed = {_CLOSED.format(person='NEW.person_id')} "
            f"WHERE person_id = NEW.person_id; END"
        )
    op.execute(
        "UPDATE caseload_summary SET closed = "
        + _CLOSED.format(person="caseload_summary.person_id")
    )


def downgrade() -> None:
    for table in ("referrals", "closing_reviews"):
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS caseload_{table}_{event}")
    for table, column, value in (
        ("referrals", "referral_status", _REFERRAL_STATUS),
        (
            "closing_reviews",
            "closed",
            "EXISTS (SELECT 1 FROM closing_reviews WHERE person_id = NEW.person_id"
            " AND deleted = 0)",
        ),
    ):
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER caseload_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE caseload_summary SET {column} = {value} "
                f"WHERE person_id = NEW.person_id; END"
            )
