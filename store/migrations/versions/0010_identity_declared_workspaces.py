"""declared_workspaces: the Slack workspaces and Entra tenants each organisation uses

Revision ID: 0010
Revises: 0009

An identity counts only inside a workspace or tenant its organisation declares. Nothing is
back-filled: after upgrading, an organisation admin declares them in the directory import
(docs/directory.md), and until then no chat or sign-in identity is accepted (fail closed).
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'declared_workspaces',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('organisation_id', sa.String(length=32), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('workspace_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'],
            ['organisations.id'],
            name=op.f('fk_declared_workspaces_organisation_id_organisations'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_declared_workspaces')),
        sa.UniqueConstraint(
            'organisation_id',
            'provider',
            'workspace_id',
            name=op.f('uq_declared_workspaces_organisation_id_provider_workspace_id'),
        ),
    )
    with op.batch_alter_table('declared_workspaces', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_declared_workspaces_organisation_id'), ['organisation_id'], unique=False
        )
        batch_op.create_index(
            'ix_declared_workspaces_lookup', ['provider', 'workspace_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('declared_workspaces', schema=None) as batch_op:
        batch_op.drop_index('ix_declared_workspaces_lookup')
        batch_op.drop_index(batch_op.f('ix_declared_workspaces_organisation_id'))
    op.drop_table('declared_workspaces')
