"""follow-through: when a concern's next escalation step is due

Revision ID: 0002
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0002"
down_revision = "0008"  # re-chained after merging main (was "0001")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalate_at", store.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_concerns_escalate_at"), ["escalate_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concerns_escalate_at"))
        batch_op.drop_column("escalate_at")
