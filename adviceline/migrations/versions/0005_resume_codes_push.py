"""resume codes, further devices' tokens, Web Push subscriptions, shared service settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversations',
                  sa.Column('resume_code_hash', sa.String(length=64), nullable=True))
    op.create_index('uq_conversations_resume_code_hash', 'conversations', ['resume_code_hash'],
                    unique=True)
    op.create_table('conversation_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_conversation_tokens_conversation_id', 'conversation_tokens',
                    ['conversation_id'])
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=128), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('notified_seq', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'endpoint', name='uq_push_subscriptions_endpoint')
    )
    op.create_index('ix_push_subscriptions_conversation_id', 'push_subscriptions',
                    ['conversation_id'])
    op.create_table('service_settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('service_settings')
    op.drop_index('ix_push_subscriptions_conversation_id', table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
    op.drop_index('ix_conversation_tokens_conversation_id', table_name='conversation_tokens')
    op.drop_table('conversation_tokens')
    op.drop_index('uq_conversations_resume_code_hash', table_name='conversations')
    op.drop_column('conversations', 'resume_code_hash')
