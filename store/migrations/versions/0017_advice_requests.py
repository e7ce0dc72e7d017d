"""Advice requests: a raiser's draft concern, sealed, while they ask for advice before sharing

`advice_requests` holds the draft (every answer of the raise form) and the adviser's reply in
`draft_ct` and `reply_ct`, sealed under the request's own data key; `state` is asked, answered,
sent or not_shared. `escalate_at` and `escalation_level` follow the escalation rules.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
INDEXED = ('raiser_id', 'adviser_id', 'client_id', 'data_key_id', 'state', 'escalate_at')


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    table = target.split('.')[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f'fk_advice_requests_{column}_{table}')
    )


def upgrade() -> None:
    op.create_table(
        'advice_requests',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('raiser_id', sa.String(length=32), nullable=False),
        sa.Column('adviser_id', sa.String(length=32), nullable=False),
        sa.Column('adviser_role', sa.String(length=32), nullable=False),
        sa.Column('client_id', sa.String(length=32), nullable=False),
        sa.Column('submission_key', sa.String(length=128), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('data_key_id', sa.String(length=32), nullable=True),
        sa.Column('draft_ct', sa.LargeBinary(), nullable=True),
        sa.Column('reply_ct', sa.LargeBinary(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('escalation_level', sa.Integer(), nullable=False),
        sa.Column('escalate_at', TIMESTAMP, nullable=True),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('answered_at', TIMESTAMP, nullable=True),
        sa.Column('answered_by_id', sa.String(length=32), nullable=True),
        sa.Column('closed_at', TIMESTAMP, nullable=True),
        sa.Column('concern_id', sa.String(length=32), nullable=True),
        _fk('raiser_id', 'practitioners.id'),
        _fk('adviser_id', 'practitioners.id'),
        _fk('client_id', 'clients.id'),
        _fk('data_key_id', 'data_keys.id'),
        _fk('answered_by_id', 'practitioners.id'),
        _fk('concern_id', 'concerns.id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_requests')),
        sa.UniqueConstraint('submission_key', name=op.f('uq_advice_requests_submission_key')),
    )
    for column in INDEXED:
        op.create_index(
            op.f(f'ix_advice_requests_{column}'), 'advice_requests', [column], unique=False
        )


def downgrade() -> None:
    for column in reversed(INDEXED):
        op.drop_index(op.f(f'ix_advice_requests_{column}'), table_name='advice_requests')
    op.drop_table('advice_requests')
