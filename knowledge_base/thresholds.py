"""Choosing the answer-at-once thresholds on training writers, precision first.

Thresholds chosen on one writer slip on the next (a writer the matcher was not tuned on answers
with the same scores less precisely). So the choice is nested: for a ladder of precision
requirements, choose thresholds on each training writer alone and measure them on the others
(leave one writer out); the lowest requirement whose left-out precision meets the target is then
applied to all training writers together. The held-out writers take no part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from knowledge_base.evaluate import LabelledQuestion
from knowledge_base.matcher import Matcher

PRECISION_TARGET = 0.97
OUT_OF_SCOPE_TARGET = 0.95
REQUIREMENT_LADDER = (0.97, 0.975, 0.98, 0.985, 0.99, 0.995, 1.0)
THRESHOLDS = tuple(t / 2 for t in range(140, 201))  # 70.0 .. 100.0 in half points
MARGINS = tuple(float(m) for m in range(0, 41))


@dataclass(frozen=True)
class Scored:
    """One question as the matcher sees it with the answer thresholds at zero."""

    label: str
    topic: str | None
    answerable: bool  # would be answered with both thresholds at 0 (no crisis, enough words)
    got_topic: str | None
    score: float  # best entry, 0..100
    margin: float  # ahead of the best entry of another topic


@dataclass(frozen=True)
class Figures:
    precision: float
    answered_right: float
    out_of_scope_kept: float


@dataclass(frozen=True)
class Choice:
    answer_threshold: float
    answer_margin: float
    requirement: float  # the precision each training writer had to reach
    per_writer: Mapping[str, Figures]
    left_out: Mapping[str, Figures]  # each writer with thresholds chosen on another alone


def score_questions(matcher: Matcher, questions: Sequence[LabelledQuestion]) -> list[Scored]:
    """Every non-crisis question scored once; thresholds are then tried without the matcher."""
    open_matcher = Matcher(
        matcher.kb, replace(matcher.settings, answer_threshold=0.0, answer_margin=0.0),
        crisis=matcher.crisis,
    )
    scored: list[Scored] = []
    for question in questions:
        if question.label == "crisis":
            continue
        decision = open_matcher.decide(question.q)
        runner_up = decision.runner_up.score if decision.runner_up else 0.0
        scored.append(Scored(question.label, question.topic, decision.outcome == "answer",
                             decision.topic, decision.score, decision.score - runner_up))
    return scored


def figures(scored: Sequence[Scored], threshold: float, margin: float) -> Figures:
    answers = right = out_answered = in_scope = out_of_scope = 0
    for question in scored:
        in_scope += question.label == "in_scope"
        out_of_scope += question.label == "out_of_scope"
        if question.answerable and question.score >= threshold and question.margin >= margin:
            answers += 1
            right += question.label == "in_scope" and question.got_topic == question.topic
            out_answered += question.label == "out_of_scope"
    return Figures(
        precision=right / answers if answers else 1.0,
        answered_right=right / in_scope if in_scope else 1.0,
        out_of_scope_kept=1.0 - out_answered / out_of_scope if out_of_scope else 1.0,
    )


def _select(writers: Mapping[str, Sequence[Scored]], requirement: float
            ) -> tuple[float, float] | None:
    """The thresholds answering most right at once for the worst writer, every writer at
    least `requirement` precise and keeping enough out-of-scope questions."""
    best: tuple[tuple[float, float], float, float] | None = None
    for threshold in THRESHOLDS:
        for margin in MARGINS:
            each = [figures(s, threshold, margin) for s in writers.values()]
            if (min(f.precision for f in each) < requirement
                    or min(f.out_of_scope_kept for f in each) < OUT_OF_SCOPE_TARGET):
                continue
            key = (min(f.answered_right for f in each), sum(f.answered_right for f in each))
            if best is None or key > best[0]:
                best = (key, threshold, margin)
    return None if best is None else (best[1], best[2])


def choose_thresholds(writers: Mapping[str, Sequence[Scored]],
                      target: float = PRECISION_TARGET) -> Choice | None:
    """The nested choice (module docstring); None when no requirement on the ladder holds."""
    if len(writers) < 2:
        raise ValueError("the nested choice needs at least two training writers")
    for requirement in REQUIREMENT_LADDER:
        left_out: dict[str, Figures] = {}
        for name, scored in writers.items():
            others = [s for other, s in writers.items() if other != name]
            chosen = [_select({"one": s}, requirement) for s in others]
            if any(c is None for c in chosen):
                break
            worst = min((figures(scored, *c) for c in chosen if c is not None),
                        key=lambda f: f.precision)
            left_out[name] = worst
        else:
            if all(f.precision >= target for f in left_out.values()):
                pooled = _select(writers, requirement)
                if pooled is not None:
                    return Choice(pooled[0], pooled[1], requirement,
                                  {n: figures(s, *pooled) for n, s in writers.items()}, left_out)
    return None
