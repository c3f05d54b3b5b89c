"""PostgreSQL plans for what statistics and the decisions page read use the created_at indexes
(once the tables hold a year of questions), not a scan of every row."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adviceline.clock import FrozenClock
from adviceline.storage import repository as repo
from adviceline.storage.models import Conversation, Message, Question, QuestionEvent
from tests.adviceline.conftest import Core

pytestmark = pytest.mark.postgres
DAYS, PER_DAY = 365, 40


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_period_queries_use_the_created_at_indexes(core: Core, clock: FrozenClock) -> None:
    now = clock.now()
    conversations: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for number in range(DAYS * PER_DAY):
        at = now - timedelta(days=number % DAYS, minutes=number % 600)
        conversation, question = str(uuid.uuid4()), str(uuid.uuid4())
        conversations.append({"id": conversation, "token_hash": uuid.uuid4().hex,
                              "channel": "web", "municipality": "enschede", "last_seq": 1,
                              "created_at": at})
        questions.append({"id": question, "conversation_id": conversation, "channel": "web",
                          "municipality": "enschede", "status": "closed", "opened_seq": 1,
                          "created_at": at})
        messages.append({"conversation_id": conversation, "seq": 1, "sender": "parent",
                         "body": "", "question_id": question, "created_at": at,
                         "decision": {"decision": "answer"}})
        events += [{"question_id": question, "kind": kind, "at": at, "channel": "web",
                    "municipality": "enschede"} for kind in ("received", "faq_answered")]
    async with core.sessions.begin() as session:
        for model, rows in ((Conversation, conversations), (Question, questions),
                            (Message, messages), (QuestionEvent, events)):
            await session.execute(insert(model), rows)
    engine: AsyncEngine = core.sessions.kw["bind"]
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")

    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with core.sessions() as session:
            await repo.events_of_questions_created_between(
                session, now - timedelta(days=7), now, None)
            await repo.decisions_between(session, now - timedelta(days=30), now, None, 200)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(statements) == 2
    plans = []
    async with engine.connect() as connection:
        for statement, parameters in statements:
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plans.append("\n".join(row[0] for row in rows))
    assert "ix_questions_created_at" in plans[0], plans[0]
    assert "ix_messages_created_at" in plans[1], plans[1]
