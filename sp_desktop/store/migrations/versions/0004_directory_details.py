"""Directory entries keep what councils publish: website, eligibility and ages, languages, every
place and every contact (places and contacts as JSON lists; the first of each still fills the
flat address and contact columns). A category of '' means "to be categorised".

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TEXT = ("website", "eligibility")
_LISTS = ("languages", "places", "contacts")


def upgrade() -> None:
    for name in _TEXT:
        op.add_column("services", sa.Column(name, sa.Text, nullable=False, server_default=""))
    for name in ("min_age", "max_age"):
        op.add_column("services", sa.Column(name, sa.Integer, nullable=True))
    for name in _LISTS:
        op.add_column("services", sa.Column(name, sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        for name in (*_TEXT, "min_age", "max_age", *_LISTS):
            batch.drop_column(name)
