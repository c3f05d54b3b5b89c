"""on call by e-mail: staff e-mail addresses, escalation steps, and the staff mail outbox

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('email', sa.String(320), nullable=True))
    op.add_column('questions', sa.Column('on_call_step', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.create_table(
        'staff_mail',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('question_id', sa.String(36), nullable=True),
        sa.Column('to_address', sa.String(320), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_owner', sa.String(36), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_staff_mail_pending', 'staff_mail', ['next_attempt_at'],
                    sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_staff_mail_pending', table_name='staff_mail')
    op.drop_table('staff_mail')
    with op.batch_alter_table('questions') as batch:
        batch.drop_column('on_call_step')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
