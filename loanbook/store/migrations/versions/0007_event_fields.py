"""What the database computes from each event's body (store/event_fields.py: the body as JSON, its loan, a plain
amount in cents): the book's aggregate (store/balances.py) groups these columns instead of parsing every body's
text in each query. Adding the columns computes them for the rows already stored (PostgreSQL stores them; SQLite
computes them when read).

Revision ID: 0007
Revises: 0006
"""
from alembic import op

from loanbook.store import event_fields

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stored = True if op.get_bind().dialect.name == "postgresql" else None  # SQLite cannot add a stored column
    for column in event_fields.columns(stored):
        op.add_column("events", column)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:  # SQLite drops a column by copying the table
        for column in reversed(event_fields.columns()):
            batch.drop_column(column.name)
