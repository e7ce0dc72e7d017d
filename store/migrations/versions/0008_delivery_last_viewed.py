"""deliveries.last_viewed_at: when the recipient last read the concern (for "new information")

Revision ID: 0008
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0008'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_viewed_at', store.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('last_viewed_at')
