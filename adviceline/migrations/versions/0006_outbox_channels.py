"""push channels: the outbox, channel receipts (exactly-once inbound), quarantine, choices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of conversations would trip SQLite's foreign keys.
    op.add_column('conversations', sa.Column('choices', sa.Boolean(), nullable=False,
                                             server_default=sa.true()))
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=36), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel_message_id', sa.String(length=998), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', name='uq_outbox_message')
    )
    op.create_index('ix_outbox_conversation_seq', 'outbox', ['conversation_id', 'seq'])
    op.create_index('ix_outbox_pending', 'outbox', ['channel', 'next_attempt_at'],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index('ix_outbox_channel_message_id', 'outbox', ['channel', 'channel_message_id'])
    op.create_table('channel_receipts',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=998), nullable=True),
    sa.Column('context', sa.JSON(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', 'external_id')
    )
    op.create_index('ix_channel_receipts_conversation_id', 'channel_receipts',
                    ['conversation_id'])
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('municipality', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='uq_quarantine_external')
    )
    op.create_index('ix_quarantine_received_at', 'quarantine', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_quarantine_received_at', table_name='quarantine')
    op.drop_table('quarantine')
    op.drop_index('ix_channel_receipts_conversation_id', table_name='channel_receipts')
    op.drop_table('channel_receipts')
    op.drop_index('ix_outbox_channel_message_id', table_name='outbox')
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_index('ix_outbox_conversation_seq', table_name='outbox')
    op.drop_table('outbox')
    op.drop_column('conversations', 'choices')
