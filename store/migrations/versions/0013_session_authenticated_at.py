"""When the person behind a web session last proved who they are, for step-up

A session's `created_at` is when Flare's session began; `authenticated_at` is when the
provider last authenticated the person (the ID token's `auth_time`, or the sign-in itself).
Reading a child's history asks for an authentication within the last few minutes.

Revision ID: 0013
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = '0013'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.add_column(sa.Column('authenticated_at', store.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_column('authenticated_at')
