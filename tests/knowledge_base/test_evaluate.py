"""`kb eval`: the figures on a small labelled set, and the formatted report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base import Matcher, evaluate
from knowledge_base.crisis import CrisisSignal
from knowledge_base.evaluate import read_devset


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_figures_on_a_small_set(tmp_path: Path, real_matcher: Matcher) -> None:
    devset = _write(
        tmp_path / "q.jsonl",
        [
            {
                "q": "mijn zoon van 7 plast nog elke nacht in bed",
                "label": "in_scope",
                "topic": "bedplassen",
                "lang": "nl",
                "lookalike": False,
            },
            {
                "q": "hoe lang mag een kind van 10 per dag gamen",
                "label": "in_scope",
                "topic": "bedplassen",
                "lang": "nl",
                "lookalike": False,
            },  # deliberately mislabelled
            {
                "q": "wat is de hoofdstad van frankrijk",
                "label": "out_of_scope",
                "topic": None,
                "lang": "nl",
                "lookalike": False,
            },
            {
                "q": "mijn man slaat me",
                "label": "crisis",
                "topic": None,
                "lang": "nl",
                "lookalike": False,
            },
            {
                "q": "ik wil dood van deze hitte haha",
                "label": "out_of_scope",
                "topic": None,
                "lang": "nl",
                "lookalike": True,
            },
        ],
    )
    said = {"mijn man slaat me": CrisisSignal("crisis", "domestic_violence", "test", 1.0),
            "ik wil dood van deze hitte haha": CrisisSignal("concern", "suicide_self_harm",
                                                            "test", 0.0)}

    class Scripted:
        def detect(self, text: str, context: str | None = None) -> CrisisSignal | None:
            return said.get(text)

        def in_doubt(self, text: str, context: str | None = None) -> bool:
            return False

    report = evaluate(Matcher(real_matcher.kb, crisis=Scripted()), devset)
    assert report.questions == 5
    assert report.top1_accuracy == 0.5
    assert report.answers == 2 and report.answer_precision == 0.5
    assert report.crisis_recall == 1.0
    assert report.crisis_strict_recall == 1.0
    assert report.false_crisis_rate == 0.0
    assert report.concern_rate == 0.25  # the look-alike is (wrongly) a concern
    assert report.crisis_answered == 0
    assert report.out_of_scope_not_answered == 1.0
    assert report.latency_p99_ms >= report.latency_p50_ms > 0
    assert report.errors_per_topic == {"bedplassen": 1}
    assert report.answered_right == 0.5  # one of two in-scope questions answered with its topic
    summary = report.summary()
    assert "answered right 0.500" in summary and "BELOW TARGET" in summary
    text = report.format()
    assert "answer precision" in text and "FAIL" in text
    assert "[false_concern]" in text


def test_bad_devset_line_names_its_line(tmp_path: Path) -> None:
    devset = tmp_path / "q.jsonl"
    devset.write_text('{"q": "a", "label": "in_scope", "topic": "eten"}\n{"q": "b"}\n')
    with pytest.raises(ValueError, match=r"q.jsonl:2"):
        read_devset(devset)
