"""Each stored YAML file as read (core/yamlform.py), by the SHA-256 of its text and the reading code's digest: a
book's run reads these instead of parsing every agreement's YAML again.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "yaml_forms",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("form", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("yaml_forms")
