"""Facilities, their files, their events (a hash chain) and the users who may read or write them.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from loanbook.store.columns import UTCTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("imported_at", UTCTime, nullable=False),
        sa.Column("imported_from", sa.Text, nullable=False),
        sa.Column("files_hash", sa.String(64), nullable=False),
        sa.Column("imported_events", sa.Integer, nullable=False),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "facility_files",
        sa.Column("facility_id", sa.String(64), sa.ForeignKey("facilities.id"), primary_key=True),
        sa.Column("path", sa.String(512), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("facility_id", sa.String(64), sa.ForeignKey("facilities.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("effective", sa.Date, nullable=False),
        sa.Column("recorded_at", UTCTime, nullable=True),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("facility_id", "key", name="uq_events_key"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "user_facilities",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("facility_id", sa.String(64), sa.ForeignKey("facilities.id"), primary_key=True),
        sa.Column("party", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    for table in ("user_facilities", "users", "events", "facility_files", "facilities"):
        op.drop_table(table)
