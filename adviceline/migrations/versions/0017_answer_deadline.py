"""answer deadline: the answer time promised to the parent, and when it was escalated

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('questions', sa.Column('answer_by', sa.DateTime(timezone=True), nullable=True))
    op.add_column('questions', sa.Column('escalated_at', sa.DateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    op.drop_column('questions', 'escalated_at')
    op.drop_column('questions', 'answer_by')
