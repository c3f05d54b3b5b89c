"""indexes for what statistics and the decisions page filter on: questions.created_at and
messages.created_at (with id, for newest-first pages)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_questions_created_at', 'questions', ['created_at'])
    op.create_index('ix_messages_created_at', 'messages', ['created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_messages_created_at', table_name='messages')
    op.drop_index('ix_questions_created_at', table_name='questions')
