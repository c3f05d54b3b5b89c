"""Choosing the answer-at-once thresholds on training writers, precision first.

Thresholds chosen on one writer slip on the next (a writer the matcher was not tuned on answers
with the same scores less precisely). So the choice is nested: for a ladder of precision
requirements, choose thresholds on all training writers but one and measure them on that one;
the lowest requirement whose left-out precision meets the target is then applied to all training
writers together. The held-out writers take no part. `leave_one_writer_out` runs that whole
choice without each training writer in turn and measures it on the writer left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from knowledge_base.evaluate import LabelledQuestion
from knowledge_base.matcher import Matcher

PRECISION_TARGET = 0.97
OUT_OF_SCOPE_TARGET = 0.95
REQUIREMENT_LADDER = (0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995, 1.0)
THRESHOLDS = tuple(t / 2 for t in range(140, 201))  # 70.0 .. 100.0 in half points
MARGINS = tuple(float(m) for m in range(0, 41))


@dataclass(frozen=True)
class Scored:
    """One question as the matcher sees it with the answer thresholds at zero."""

    label: str
    topic: str | None
    answerable: bool  # would be answered with both thresholds at 0 (no crisis, enough words)
    got_topic: str | None
    score: float  # best entry's full score (a strong match passes 100)
    margin: float  # its full-score lead over the best entry of another topic
    best_topic: str | None = None  # the topic ranked first, whatever the decision (top-1)


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
    left_out: Mapping[str, Figures]  # each writer with thresholds chosen on the others
    met_target: bool = True  # every left-out writer reached the precision target


def score_questions(matcher: Matcher, questions: Sequence[LabelledQuestion]) -> list[Scored]:
    """Every non-crisis question scored once; thresholds are then tried without the matcher."""
    open_matcher = matcher.with_settings(
        replace(matcher.settings, answer_threshold=0.0, answer_margin=0.0))
    scored: list[Scored] = []
    for question in questions:
        if question.label == "crisis":
            continue
        decision = open_matcher.decide(question.q)
        best = decision.candidates[0].topic if decision.candidates else None
        scored.append(Scored(question.label, question.topic, decision.outcome == "answer",
                             decision.topic, decision.strength, decision.lead, best))
    return scored


def figures(scored: Sequence[Scored], threshold: float, margin: float) -> Figures:
    grid = _Grid(scored, (threshold,), (margin,))
    return grid.at(0, 0)


class _Grid:
    """A writer's figures for every pair of thresholds at once (numpy, so the nested choices
    and the leave-one-writer-out report take seconds, not minutes)."""

    def __init__(self, scored: Sequence[Scored], thresholds: Sequence[float] = THRESHOLDS,
                 margins: Sequence[float] = MARGINS) -> None:
        self.thresholds = tuple(thresholds)
        self.margins = tuple(margins)
        score = np.array([q.score for q in scored], dtype=float)
        margin = np.array([q.margin for q in scored], dtype=float)
        answerable = np.array([q.answerable for q in scored], dtype=bool)
        in_scope = np.array([q.label == "in_scope" for q in scored], dtype=bool)
        out_of_scope = np.array([q.label == "out_of_scope" for q in scored], dtype=bool)
        right = in_scope & np.array([q.got_topic == q.topic for q in scored], dtype=bool)
        # answered[t, m, q]: question q answered at threshold t and margin m
        answered = (answerable[None, None, :]
                    & (score[None, None, :] >= np.array(self.thresholds)[:, None, None])
                    & (margin[None, None, :] >= np.array(self.margins)[None, :, None]))
        answers = answered.sum(axis=2)
        rights = (answered & right).sum(axis=2)
        outside = (answered & out_of_scope).sum(axis=2)
        n_in, n_out = int(in_scope.sum()), int(out_of_scope.sum())
        self.precision = np.where(answers > 0, rights / np.maximum(answers, 1), 1.0)
        self.answered_right = rights / n_in if n_in else np.ones_like(self.precision)
        self.out_of_scope_kept = 1.0 - outside / n_out if n_out else np.ones_like(self.precision)

    def at(self, t: int, m: int) -> Figures:
        return Figures(float(self.precision[t, m]), float(self.answered_right[t, m]),
                       float(self.out_of_scope_kept[t, m]))

    def of(self, threshold: float, margin: float) -> Figures:
        return self.at(self.thresholds.index(threshold), self.margins.index(margin))


def _select(grids: Sequence[_Grid], requirement: float) -> tuple[float, float] | None:
    """The thresholds answering most right at once for the worst writer, every writer at
    least `requirement` precise and keeping enough out-of-scope questions."""
    allowed = np.ones_like(grids[0].precision, dtype=bool)
    for grid in grids:
        allowed &= (grid.precision >= requirement) & (grid.out_of_scope_kept >= OUT_OF_SCOPE_TARGET)
    if not allowed.any():
        return None
    worst = np.where(allowed, np.min([g.answered_right for g in grids], axis=0), -1.0)
    total = np.where(worst == worst.max(), np.sum([g.answered_right for g in grids], axis=0),
                     -1.0)
    # argmax takes the first best in (threshold, margin) order: the lowest of each.
    t, m = np.unravel_index(int(np.argmax(total)), total.shape)
    return grids[0].thresholds[t], grids[0].margins[m]


def choose_thresholds(writers: Mapping[str, Sequence[Scored]],
                      target: float = PRECISION_TARGET) -> Choice | None:
    """The nested choice (module docstring); None when no thresholds meet any requirement."""
    if len(writers) < 2:
        raise ValueError("the nested choice needs at least two training writers")
    grids = {name: _Grid(scored) for name, scored in writers.items()}
    return _choose(grids, target)


def _choose(grids: Mapping[str, _Grid], target: float) -> Choice | None:
    """The lowest requirement that keeps every left-out writer at `target`; when none does, the
    one whose worst left-out writer comes closest (marked `met_target=False`)."""
    closest: tuple[float, Choice] | None = None
    for requirement in REQUIREMENT_LADDER:
        left_out: dict[str, Figures] = {}
        for name, grid in grids.items():
            chosen = _select([g for n, g in grids.items() if n != name], requirement)
            if chosen is None:
                break
            left_out[name] = grid.of(*chosen)
        else:
            pooled = _select(list(grids.values()), requirement)
            if pooled is None:
                continue
            worst = min(f.precision for f in left_out.values())
            choice = Choice(pooled[0], pooled[1], requirement,
                            {n: g.of(*pooled) for n, g in grids.items()}, left_out,
                            met_target=worst >= target)
            if choice.met_target:
                return choice
            if closest is None or worst > closest[0]:
                closest = (worst, choice)
    return None if closest is None else closest[1]


@dataclass(frozen=True)
class LeftOut:
    """One training writer measured with thresholds chosen on the other training writers."""

    choice: Choice | None  # None: no thresholds held on the others, nothing answered at once
    figures: Figures


def leave_one_writer_out(writers: Mapping[str, Sequence[Scored]],
                         target: float = PRECISION_TARGET) -> dict[str, LeftOut]:
    """For each writer, the nested choice made on all the others, measured on it: what the
    same procedure would give a writer it never saw (needs at least three writers)."""
    if len(writers) < 3:
        raise ValueError("leaving one writer out needs at least three training writers")
    grids = {name: _Grid(scored) for name, scored in writers.items()}
    result: dict[str, LeftOut] = {}
    for name, grid in grids.items():
        choice = _choose({n: g for n, g in grids.items() if n != name}, target)
        if choice is None:
            result[name] = LeftOut(None, Figures(1.0, 0.0, 1.0))
        else:
            result[name] = LeftOut(choice, grid.of(choice.answer_threshold, choice.answer_margin))
    return result
