"""The `adviceline match` loop: JSON lines in ({"q": ..., "municipality": ...}), decisions out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from knowledge_base.matcher import Matcher


def match_lines(matcher: Matcher, lines: Iterable[str], out: TextIO) -> int:
    """Write one decision line per input line; a malformed line gets an {"error": ...} line.

    Blank lines are skipped. Returns the number of malformed lines. Flushes after every line, so
    the loop works interactively and in pipes.
    """
    bad = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        question, problem = _parse(line)
        if problem is not None:
            bad += 1
            result: dict[str, object] = {"error": f"line {number}: {problem}"}
        else:
            result = matcher.decide(question).to_json()
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def _parse(line: str) -> tuple[str, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        return "", f"not valid JSON ({error.msg})"
    if not isinstance(value, dict):
        return "", 'expected a JSON object like {"q": "..."}'
    question = value.get("q")
    if not isinstance(question, str):
        return "", 'field "q" must be a string'
    municipality = value.get("municipality")
    if municipality is not None and not isinstance(municipality, str):
        return "", 'field "municipality" must be a string when given'
    return question, None
