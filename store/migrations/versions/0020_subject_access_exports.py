"""Subject access exports: a client's record, sealed under its own data key, until it expires

`payload_ct` is the export (JSON) under the export's own data key; `expires_at` is when the
key is shredded and the row deleted. `client_id` has no foreign key on purpose.

Revision ID: 0020
Revises: 0018
"""

import sqlalchemy as sa

from alembic import op

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'subject_access_exports',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('client_id', sa.String(length=32), nullable=False),
        sa.Column('creator_id', sa.String(length=32), nullable=False),
        sa.Column('data_key_id', sa.String(length=32), nullable=False),
        sa.Column('payload_ct', sa.LargeBinary(), nullable=False),
        sa.Column('protected_included', sa.Boolean(), nullable=False),
        sa.Column('created_at', TIMESTAMP, nullable=False),
        sa.Column('expires_at', TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ['creator_id'],
            ['practitioners.id'],
            name=op.f('fk_subject_access_exports_creator_id_practitioners'),
        ),
        sa.ForeignKeyConstraint(
            ['data_key_id'],
            ['data_keys.id'],
            name=op.f('fk_subject_access_exports_data_key_id_data_keys'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_access_exports')),
    )
    for column in ('creator_id', 'data_key_id', 'expires_at'):
        op.create_index(
            op.f(f'ix_subject_access_exports_{column}'),
            'subject_access_exports',
            [column],
            unique=False,
        )


def downgrade() -> None:
    for column in ('expires_at', 'data_key_id', 'creator_id'):
        op.drop_index(op.f(f'ix_subject_access_exports_{column}'), table_name='subject_access_exports')
    op.drop_table('subject_access_exports')
