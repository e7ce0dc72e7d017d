"""Partial indexes so the retention and reminder sweeps find due rows without reading history

Measured by `make bench` (store): at 2M concerns the retention sweep read the whole
concerns table (twice: for concerns past retention, then for shredded concerns whose rows
are still to delete), and the reminder sweep the whole follow_ups table, to find a few due rows.
Each index holds only rows a sweep can still pick, so it stays small as history grows.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RETAINED = sa.text("shredded_at IS NULL AND status IN ('closed', 'not_shared')")
RETAINED_UNCLOSED = sa.text(
    "shredded_at IS NULL AND closed_at IS NULL AND status IN ('closed', 'not_shared')"
)
OPEN = sa.text("state = 'open'")
SHREDDED = sa.text("shredded_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        'ix_concerns_retention_closed', 'concerns', ['closed_at'],
        postgresql_where=RETAINED, sqlite_where=RETAINED,
    )
    op.create_index(
        'ix_concerns_retention_unclosed', 'concerns', ['created_at'],
        postgresql_where=RETAINED_UNCLOSED, sqlite_where=RETAINED_UNCLOSED,
    )
    op.create_index(
        'ix_concerns_shredded', 'concerns', ['shredded_at'],
        postgresql_where=SHREDDED, sqlite_where=SHREDDED,
    )
    op.create_index(
        'ix_follow_ups_open_due', 'follow_ups', ['due_at'],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index('ix_follow_ups_open_due', table_name='follow_ups')
    op.drop_index('ix_concerns_shredded', table_name='concerns')
    op.drop_index('ix_concerns_retention_unclosed', table_name='concerns')
    op.drop_index('ix_concerns_retention_closed', table_name='concerns')
