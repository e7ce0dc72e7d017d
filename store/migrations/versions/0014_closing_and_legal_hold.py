"""Concerns close with an outcome (and a sealed note for "other"); clients can be held

`concerns.outcome` is one of handlers.values.Outcome; `concerns.outcome_note_ct` is the
note's AES-GCM ciphertext under the concern's data key (shredded with it). `closed_at`
already existed. `clients.legal_hold_at`: a data protection officer's legal hold; retention
never shreds a held client's concerns.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa

import store.models
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('concerns') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('outcome_note_ct', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('legal_hold_at', store.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('legal_hold_at')
    with op.batch_alter_table('concerns') as batch:
        batch.drop_column('outcome_note_ct')
        batch.drop_column('outcome')
