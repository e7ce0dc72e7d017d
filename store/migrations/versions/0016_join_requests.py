"""Join requests: a practitioner asks to join a client's network; its lead or deputy decides

`join_requests.state` is pending, approved or declined; `decided_by_id` and `decided_at` are
set when the lead or deputy decides. Nothing sensitive is stored here.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'join_requests',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('client_id', sa.String(length=32), nullable=False),
        sa.Column('asker_id', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('decided_at', TIMESTAMP, nullable=True),
        sa.Column('decided_by_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ['client_id'], ['clients.id'], name=op.f('fk_join_requests_client_id_clients')
        ),
        sa.ForeignKeyConstraint(
            ['asker_id'], ['practitioners.id'], name=op.f('fk_join_requests_asker_id_practitioners')
        ),
        sa.ForeignKeyConstraint(
            ['decided_by_id'],
            ['practitioners.id'],
            name=op.f('fk_join_requests_decided_by_id_practitioners'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests')),
    )
    for column in ('client_id', 'asker_id', 'state'):
        op.create_index(op.f(f'ix_join_requests_{column}'), 'join_requests', [column], unique=False)


def downgrade() -> None:
    for column in ('state', 'asker_id', 'client_id'):
        op.drop_index(op.f(f'ix_join_requests_{column}'), table_name='join_requests')
    op.drop_table('join_requests')
