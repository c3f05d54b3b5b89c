"""questions in a total order, one open question per conversation, login sources and devices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from adviceline.storage.models import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OPEN = "status IN ('waiting', 'claimed')"


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_seq', sa.Integer(), nullable=True))
    # The seq of the message that opened each question (its first parent message).
    op.execute("""
        UPDATE questions SET opened_seq = COALESCE(
            (SELECT MIN(m.seq) FROM messages m WHERE m.question_id = questions.id
                                                 AND m.sender = 'parent'),
            (SELECT MIN(m.seq) FROM messages m WHERE m.question_id = questions.id),
            0)
    """)
    _close_duplicate_open_questions()
    # No table rebuild on SQLite (its DROP TABLE would trip the foreign keys of messages), so
    # there the column stays nullable in the schema; the service always sets it.
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('questions', 'opened_seq', existing_type=sa.Integer(), nullable=False)
    op.create_index('uq_questions_conversation_seq', 'questions',
                    ['conversation_id', 'opened_seq'], unique=True)
    op.create_index('uq_questions_open_per_conversation', 'questions', ['conversation_id'],
                    unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('trusted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table('login_devices',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('login_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_devices_username'), ['username'], unique=False)


def _close_duplicate_open_questions() -> None:
    """Before the unique index: a conversation that the old race left with two open questions
    keeps its first; the later one is closed (with a 'closed' event, so statistics agree)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        f"SELECT id, conversation_id, channel, municipality FROM questions WHERE {OPEN} "
        "ORDER BY conversation_id, opened_seq, created_at")).all()
    seen: set[str] = set()
    now = datetime.now(UTC)
    events = sa.table('question_events', sa.column('question_id'), sa.column('kind'),
                      sa.column('at', UTCDateTime()), sa.column('channel'),
                      sa.column('municipality'))
    questions = sa.table('questions', sa.column('id'), sa.column('status'),
                         sa.column('closed_at', UTCDateTime()))
    for question_id, conversation_id, channel, municipality in rows:
        if conversation_id not in seen:
            seen.add(conversation_id)
            continue
        connection.execute(questions.update().where(questions.c.id == question_id)
                           .values(status='closed', closed_at=now))
        connection.execute(events.insert().values(question_id=question_id, kind='closed', at=now,
                                                  channel=channel, municipality=municipality))


def downgrade() -> None:
    with op.batch_alter_table('login_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_devices_username'))
    op.drop_table('login_devices')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_column('trusted')
        batch_op.drop_column('source')
    op.drop_index('uq_questions_open_per_conversation', 'questions')
    op.drop_index('uq_questions_conversation_seq', 'questions')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('opened_seq')
