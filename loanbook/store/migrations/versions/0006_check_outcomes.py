"""Each agreement's `loanbook check` outcome, by the fingerprint of the files it was read from and the checking
code's digest (agreement/gate.py): a book's run reads them all in one query instead of a file per facility.

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
        "check_outcomes",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("differences", sa.Integer, nullable=False),
        sa.Column("first", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("check_outcomes")
