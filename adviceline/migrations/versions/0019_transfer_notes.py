"""transfer notes: an adviser hands a claimed question on with a note for the receiver

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'transfer_notes',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('question_id', sa.String(36), sa.ForeignKey('questions.id'), nullable=False),
        sa.Column('conversation_id', sa.String(36),
                  sa.ForeignKey('conversations.id', ondelete='CASCADE'), nullable=False),
        sa.Column('from_user', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('to_user', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('to_desk', sa.String(64), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_transfer_notes_question_id', 'transfer_notes', ['question_id'])
    op.create_index('ix_transfer_notes_conversation_id', 'transfer_notes', ['conversation_id'])


def downgrade() -> None:
    op.drop_index('ix_transfer_notes_conversation_id', table_name='transfer_notes')
    op.drop_index('ix_transfer_notes_question_id', table_name='transfer_notes')
    op.drop_table('transfer_notes')
