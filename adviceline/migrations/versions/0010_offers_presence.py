"""offers and presence: questions offered to one adviser, claim times, advisers' presence

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (copy-and-move) of `questions` on SQLite would trip the
    # foreign keys of messages and events that point at it.
    op.add_column('questions', sa.Column('offered_to', sa.Integer(), nullable=True))
    op.add_column('questions', sa.Column('offered_until', sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column('questions', sa.Column('declined_by', sa.JSON(), nullable=True))
    op.add_column('questions', sa.Column('routed_to_pool', sa.Boolean(),
                                         server_default=sa.false(), nullable=False))
    op.add_column('questions', sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('questions', sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('adviser_presence',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idle_since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    op.drop_table('adviser_presence')
    for column in ('replied_at', 'claimed_at', 'routed_to_pool', 'declined_by',
                   'offered_until', 'offered_to'):
        op.drop_column('questions', column)
