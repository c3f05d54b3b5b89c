"""possible flood: the keyed hash of the address a conversation was opened from, and questions
marked as a possible flood of crisis messages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch copy of conversations would trip SQLite's foreign keys.
    op.add_column('conversations', sa.Column('source_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_conversations_source_hash', 'conversations', ['source_hash'])
    op.add_column('questions', sa.Column('flood', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('questions') as batch:
        batch.drop_column('flood')
    op.drop_index('ix_conversations_source_hash', table_name='conversations')
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('source_hash')
