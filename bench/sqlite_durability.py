"""What synchronous=FULL costs against NORMAL on SQLite: storing parent messages, one committed
transaction each (what an acknowledgement waits for), sequentially and from concurrent writers.

    python bench/sqlite_durability.py                  # 400 messages per mode, 1 and 8 writers
    python bench/sqlite_durability.py --messages 1000

FULL fsyncs the WAL at every commit, so an acknowledged message survives a power cut; NORMAL
fsyncs only at checkpoints and may lose the last commits then (never corrupts the file).
Bounded: a temporary directory, at most 2 x messages x 2 transactions; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adviceline.stats import nearest_rank
from adviceline.storage import repository as repo
from adviceline.storage.engine import Sessions, create_engine, migrate, session_factory
from adviceline.storage.models import Conversation


async def store(sessions: Sessions, conversation_id: str, latencies: list[float]) -> None:
    started = time.perf_counter()
    async with sessions.begin() as session:
        await repo.add_message(session, conversation_id=conversation_id, sender="parent",
                               body="Hoe krijg ik mijn peuter in bed?", at=datetime.now(UTC),
                               handled=False)
    latencies.append((time.perf_counter() - started) * 1000)


async def run(mode: str, messages: int, writers: int,
              directory: Path) -> tuple[float, float, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{directory / f'{mode}-{writers}.db'}",
                           sqlite_synchronous=mode)
    await migrate(engine)
    sessions = session_factory(engine)
    conversations = [str(uuid.uuid4()) for _ in range(writers)]
    async with sessions.begin() as session:
        for conversation in conversations:
            session.add(Conversation(id=conversation, token_hash=uuid.uuid4().hex, channel="web",
                                     municipality="enschede", last_seq=0,
                                     created_at=datetime.now(UTC)))
    latencies: list[float] = []

    async def writer(conversation: str) -> None:
        for _ in range(messages // writers):
            await store(sessions, conversation, latencies)

    started = time.perf_counter()
    await asyncio.gather(*(writer(c) for c in conversations))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    latencies.sort()
    return (len(latencies) / elapsed, nearest_rank(latencies, 50) or 0.0,
            nearest_rank(latencies, 99) or 0.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    print("| synchronous | writers | messages/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as directory:
        for writers in (1, 8):
            for mode in ("full", "normal"):
                rate, p50, p99 = await run(mode, args.messages, writers, Path(directory))
                print(f"| {mode.upper()} | {writers} | {rate:.0f} | {p50:.1f} | {p99:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
