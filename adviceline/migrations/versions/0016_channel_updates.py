"""channel updates: what a channel handed over (Telegram updates), stored before it is acknowledged

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (channel, account, update_id) is the key: an update id is unique per bot, so a redelivered
    # update is recognised and never handled twice.
    op.create_table('channel_updates',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('channel', 'account', 'update_id')
    )
    op.create_index('ix_channel_updates_pending', 'channel_updates',
                    ['channel', 'account', 'handled_at'])


def downgrade() -> None:
    op.drop_index('ix_channel_updates_pending', table_name='channel_updates')
    op.drop_table('channel_updates')
