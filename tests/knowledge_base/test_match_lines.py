"""The `adviceline match` loop: one output line per input line, errors on their own line."""

from __future__ import annotations

import io
import json

from knowledge_base import Matcher, match_lines


def test_each_line_gets_a_decision_and_bad_lines_an_error(real_matcher: Matcher) -> None:
    lines = [
        json.dumps({"q": "mijn zoon van 7 plast nog elke nacht in bed"}) + "\n",
        "{not json\n",
        json.dumps({"q": "hoe lang mag een kind van 10 per dag gamen", "municipality": "Enschede"}),
        "\n",
        json.dumps(["q"]),
        json.dumps({"q": 3}),
        json.dumps({"q": "hallo", "municipality": 7}),
        json.dumps({"q": "asdkjh"}),
    ]
    out = io.StringIO()
    bad = match_lines(real_matcher, lines, out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert bad == 4
    assert len(results) == 7  # the blank line is skipped
    assert results[0]["decision"] == "answer" and results[0]["topic"] == "bedplassen"
    assert "error" in results[1] and "line 2" in results[1]["error"]
    assert results[2]["topic"] == "schermtijd"
    assert all("error" in result for result in results[3:6])
    assert results[6]["decision"] == "route"


def test_output_is_flushed_after_every_line(real_matcher: Matcher) -> None:
    class Recorder(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1
            super().flush()

    out = Recorder()
    match_lines(real_matcher, ['{"q": "a"}', "bad", '{"q": "b"}'], out)
    assert out.flushes == 3


def test_crisis_and_concern_are_printed_as_decisions(real_matcher: Matcher) -> None:
    from knowledge_base.crisis import CrisisSignal

    said = {"a": CrisisSignal("crisis", "neglect", "test", 2.0),
            "b": CrisisSignal("concern", "harm_fear", "test", -1.0)}

    class Scripted:
        def detect(self, text: str, context: str | None = None) -> CrisisSignal | None:
            return said.get(text)

        def in_doubt(self, text: str, context: str | None = None) -> bool:
            return False

    matcher = Matcher(real_matcher.kb, crisis=Scripted())
    out = io.StringIO()
    match_lines(matcher, ['{"q": "a"}', '{"q": "b"}', '{"q": "mijn kind wil niet slapen"}'], out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["decision"] for r in results[:2]] == ["crisis", "concern"]
    assert results[1]["crisis"]["level"] == "concern" and results[1]["entry"] is None
    assert results[2]["crisis"] is None
