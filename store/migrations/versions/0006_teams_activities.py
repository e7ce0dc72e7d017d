"""teams activities: where each Teams pointer landed (crash-safe idempotency)

Revision ID: 0006
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0006'
down_revision = '0002'  # re-chained at merge: 0001 -> 0008 -> 0002 -> 0006
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams_activities',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('recipient_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=512), nullable=False),
    sa.Column('service_url', sa.String(length=300), nullable=False),
    sa.Column('activity_id', sa.String(length=256), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['practitioners.id'], name=op.f('fk_teams_activities_recipient_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams_activities')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_teams_activities_idempotency_key'))
    )
    with op.batch_alter_table('teams_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_activities_recipient_id'), ['recipient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('teams_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_activities_recipient_id'))
    op.drop_table('teams_activities')
