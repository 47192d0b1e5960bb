"""What the database computes from each event's body (store/event_fields.py: the body as JSON, its loan, a plain
amount in cents): the book's aggregate (store/balances.py) groups these columns instead of parsing every body's
text in each query. Adding the columns computes them for the rows already stored; SQLite, which cannot add a stored
column to a table, copies the table into one that has them.

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
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for column in event_fields.columns(dialect):
            op.add_column("events", column)
        return
    with op.batch_alter_table("events", recreate="always") as batch:
        for column in event_fields.columns(dialect):
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:  # SQLite drops a column by copying the table
        for column in reversed(event_fields.columns()):
            batch.drop_column(column.name)
