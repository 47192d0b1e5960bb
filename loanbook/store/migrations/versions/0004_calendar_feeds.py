"""A user's calendar feed: the SHA-256 of the secret in its URL (the secret itself is never kept) and when it
was made.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from loanbook.store.columns import UTCTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:  # SQLite alters a table by copying it
        batch.add_column(sa.Column("calendar_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("calendar_made_at", UTCTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("calendar_made_at")
        batch.drop_column("calendar_hash")
