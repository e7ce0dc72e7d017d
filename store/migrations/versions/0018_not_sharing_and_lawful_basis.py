"""Decisions not to share, Article 9 conditions and why each recipient was chosen

`concerns.not_sharing_reason_ct` holds a decision not to share's reasons (sealed, under the
concern's data key); `concerns.special_category` the Article 9 condition relied on (a closed
value, NULL for concerns recorded before it was asked); `deliveries.chosen_because` why the
recipient was chosen (the routing policy's closed reason, or the raiser's own choice).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('concerns') as batch:
        batch.add_column(sa.Column('not_sharing_reason_ct', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('special_category', sa.String(length=32), nullable=True))
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('chosen_because', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('chosen_because')
    with op.batch_alter_table('concerns') as batch:
        batch.drop_column('special_category')
        batch.drop_column('not_sharing_reason_ct')
