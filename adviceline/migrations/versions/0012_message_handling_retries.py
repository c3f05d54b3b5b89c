"""message handling retries: per-message attempts with backoff, a dead-letter state, and a
partial index for the retry loop's scan of unhandled messages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('handle_attempts', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('handle_after', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('handle_failed_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('handle_error', sa.String(length=200), nullable=True))
    op.create_index('ix_messages_unhandled', 'messages', ['id'],
                    postgresql_where=sa.text('NOT handled'),
                    sqlite_where=sa.text('handled = 0'))


def downgrade() -> None:
    op.drop_index('ix_messages_unhandled', table_name='messages')
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('handle_error')
        batch.drop_column('handle_failed_at')
        batch.drop_column('handle_after')
        batch.drop_column('handle_attempts')
