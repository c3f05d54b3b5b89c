"""SQL statements and CPU for one web chat message, step by step, in the real app.

    python bench/statements_per_message.py
    ADVICELINE_SOURCE=/path/to/old/checkout python bench/statements_per_message.py

Starts the app on a fresh SQLite file (web push and the dispatcher off, so that no background
statement is counted), opens a conversation and, for 30 messages, times and counts (SQLAlchemy's
before_cursor_execute) the steps every chat message takes: storing it (what the ack waits for;
on SQLite a chat message is handled, FAQ and queue, in the same transaction: `store+handle`),
and the open socket's read of the new messages (once per wake-up). A message not handled with
its store (an older checkout, or the group's bound) is handled in a transaction of its own
(`handle`), and messages stored in groups of 3 in 10 conversations are handled as the handling
queue does (`handle_group`, per message). COMMIT is not a cursor statement and is not counted.
CPU is this process's (threads included).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, os.environ.get("ADVICELINE_SOURCE",
                                  str(Path(__file__).resolve().parent.parent)))

from aiohttp.test_utils import TestServer
from sqlalchemy import event

from adviceline.cli import DEMO_USERS_FILE
from adviceline.config import (
    RateLimitSettings,
    Secret,
    WebPushSettings,
    load_config,
    load_demo_users,
)
from adviceline.web.app import create_app
from adviceline.web.keys import ENGINE, PARENT_PORT

TEXTS = ["Mijn dochter van 2 wil niet slapen, wat kan ik doen?", "Dank je wel!",
         "Hoeveel schermtijd is goed voor een kind van 8?"]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = load_demo_users(DEMO_USERS_FILE, load_config(environ={}))
        config = replace(config, database_url=Secret(f"sqlite+aiosqlite:///{tmp}/b.db"),
                         demo=False, rate_limits=RateLimitSettings(enabled=False),
                         web_push=WebPushSettings(enabled=False),
                         routing=replace(config.routing, dispatch_seconds=0))
        app = create_app(config)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        statements: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        event.listen(app[ENGINE].sync_engine, "before_cursor_execute", count)
        port = app[PARENT_PORT]
        pipeline = port._pipeline
        created = await port.open_conversation("web", "enschede", "nl")
        view = await port.conversation_for_token(created.token)
        assert view is not None
        steps: dict[str, list[tuple[int, float]]] = {"store": [], "store+handle": [], "read": [],
                                                     "handle": []}
        for n in range(30):
            statements.clear()
            cpu = time.process_time()
            receipt, handled = await pipeline._store_parent_message(
                view.conversation_id, TEXTS[n % len(TEXTS)], f"c{n}")
            steps["store+handle" if handled else "store"].append(
                (len(statements), time.process_time() - cpu))
            statements.clear()
            cpu = time.process_time()
            await port.messages_after(view.conversation_id, receipt.seq - 1)
            steps["read"].append((len(statements), time.process_time() - cpu))
            if handled:     # SQLite: handled in the transaction that stored it
                continue
            statements.clear()
            cpu = time.process_time()
            await pipeline.handle(view.conversation_id, receipt.seq)
            steps["handle"].append((len(statements), time.process_time() - cpu))
        group: list[tuple[float, float]] = []   # per message: statements, CPU seconds
        for _ in range(3):
            waiting: deque[tuple[str, int]] = deque()
            for _conversation in range(10):
                other = await port.open_conversation("web", "enschede", "nl")
                for n in range(3):
                    stored, handled = await pipeline._store_parent_message(
                        other.conversation_id, TEXTS[n % len(TEXTS)], None)
                    if not handled:
                        waiting.append((other.conversation_id, stored.seq))
            taken = len(waiting)
            if not taken:   # SQLite: every message was handled with its store, above
                continue
            statements.clear()
            cpu = time.process_time()
            while waiting:
                await pipeline.handle_group(waiting, 60.0)
            group.append((len(statements) / taken, (time.process_time() - cpu) / taken))
        await server.close()
    for name, values in steps.items():
        if len(values) <= 3:
            continue
        counts = [c for c, _ in values[3:]]
        cpu_ms = [s * 1000 for _, s in values[3:]]
        print(f"{name:<7} statements {min(counts)}-{max(counts)}   CPU median "
              f"{statistics.median(cpu_ms):.1f} ms")
    if not group:
        print("group   none: every message was handled in the transaction that stored it")
        return
    print(f"group   statements {statistics.median(c for c, _ in group):.1f} per message   CPU "
          f"median {statistics.median(s * 1000 for _, s in group):.1f} ms per message "
          f"(3 groups of 30)")


if __name__ == "__main__":
    asyncio.run(main())
