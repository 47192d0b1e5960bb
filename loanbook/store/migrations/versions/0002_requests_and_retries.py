"""Advance requests (the borrower asks, the engine judges, the Agent decides) and idempotency keys.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from loanbook.store.columns import Money, UTCTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", UTCTime, nullable=False),
    )
    op.create_table(
        "advance_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("facility_id", sa.String(64), sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("tranche", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("requested_at", UTCTime, nullable=False),
        sa.Column("judgement", sa.String(40), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", UTCTime, nullable=True),
        sa.Column("event_key", sa.String(120), nullable=True),
    )
    op.create_index("ix_advance_requests_facility_id", "advance_requests", ["facility_id"])


def downgrade() -> None:
    op.drop_index("ix_advance_requests_facility_id", "advance_requests")
    op.drop_table("advance_requests")
    op.drop_table("idempotency")
