"""on call: who was called for which waiting question, and whether they saw it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('questions', sa.Column('on_call_at', sa.DateTime(timezone=True),
                                         nullable=True))
    op.create_table(
        'on_call_notices',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('question_id', sa.String(36), sa.ForeignKey('questions.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('reason', sa.String(16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('question_id', 'user_id', name='uq_on_call_notices_question_user'),
    )
    op.create_index('ix_on_call_notices_user_id', 'on_call_notices', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_on_call_notices_user_id', table_name='on_call_notices')
    op.drop_table('on_call_notices')
    op.drop_column('questions', 'on_call_at')
