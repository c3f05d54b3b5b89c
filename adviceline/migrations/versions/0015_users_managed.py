"""users.managed: "config" for a [[user]] of the configuration file, "cli" for staff added with
`adviceline users add` (kept when the configuration does not name them)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('managed', sa.String(length=16), nullable=False,
                                     server_default='config'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('managed')
