"""offer rounds: when the pool has said no to a waiting question, it is offered again after a pause

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('questions',
                  sa.Column('last_declined_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('questions') as batch:
        batch.drop_column('last_declined_at')
