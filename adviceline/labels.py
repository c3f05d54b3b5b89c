"""Export the advisers' crisis marks as a corpus file, so the detector learns from real use.

One JSON line per marked parent message: {"text", "label": crisis|not_crisis, "category"}. The
file holds parents' words: it belongs in knowledge_base/safeguarding/advisers/ of a reviewed
corpus change, never in statistics or logs.
"""

from __future__ import annotations

import json
from pathlib import Path

from adviceline.config import Config
from adviceline.storage import repository as repo
from adviceline.storage.engine import create_engine, migrate, session_factory


async def export_labels(config: Config, out: Path) -> int:
    engine = create_engine(config.database_url.reveal())
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            rows = await repo.crisis_marks_for_export(session)
    finally:
        await engine.dispose()
    with out.open("w", encoding="utf-8") as lines:
        for label, text in rows:
            lines.write(json.dumps({"text": text, "label": label.label,
                                    "category": label.category}, ensure_ascii=False) + "\n")
    return len(rows)
