"""An index on who a person cares for: opening anyone's page asks who cares for them
(`WHERE carer_of_id = ?`), which without it read and decrypted the whole people table.

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


def downgrade() -> None:
    op.drop_index("ix_people_carer_of_id", table_name="people")
