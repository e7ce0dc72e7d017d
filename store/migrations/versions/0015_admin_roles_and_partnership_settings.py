"""Directory roles and partnership settings: organisation admins run Flare from web pages

An organisation names its safeguarding lead and data protection officer (beside its duty
contact); a practitioner may be a partnership admin (beside organisation admin, `is_admin`).
`partnership_settings` holds the settings a partnership admin changed, one row per setting.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ROLE_COLUMNS = ('safeguarding_lead_id', 'dpo_id')


def _fk(column: str) -> str:
    return f'fk_organisations_{column}_practitioners'


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        for column in ROLE_COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=32), nullable=True))
            batch.create_foreign_key(op.f(_fk(column)), 'practitioners', [column], ['id'])
    with op.batch_alter_table('practitioners') as batch:
        batch.add_column(
            sa.Column(
                'is_partnership_admin', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        'partnership_settings',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_partnership_settings')),
    )


def downgrade() -> None:
    op.drop_table('partnership_settings')
    with op.batch_alter_table('practitioners') as batch:
        batch.drop_column('is_partnership_admin')
    with op.batch_alter_table('organisations') as batch:
        for column in ROLE_COLUMNS:
            batch.drop_constraint(op.f(_fk(column)), type_='foreignkey')
            batch.drop_column(column)
