"""The answer thresholds are chosen on training writers, precision first, nested."""

from __future__ import annotations

import pytest

from knowledge_base.thresholds import (
    Scored,
    choose_thresholds,
    figures,
    leave_one_writer_out,
)


def _right(score: float, margin: float = 40.0) -> Scored:
    return Scored("in_scope", "eten", True, "eten", score, margin)


def _wrong(score: float, margin: float = 40.0) -> Scored:
    return Scored("in_scope", "eten", True, "slapen-kind", score, margin)


def _outside(score: float) -> Scored:
    return Scored("out_of_scope", None, True, "eten", score, 40.0)


def test_figures_count_only_what_clears_both_thresholds() -> None:
    scored = [_right(95), _right(90, margin=5), _wrong(88), _outside(70), _right(60)]
    result = figures(scored, threshold=85, margin=10)
    assert result.precision == pytest.approx(1 / 2)  # 95 right, 88 wrong; 90 lacks the margin
    assert result.answered_right == pytest.approx(1 / 4)
    assert result.out_of_scope_kept == 1.0


def test_the_requirement_rises_until_a_writer_left_out_is_precise_enough() -> None:
    # Up to 0.98, thresholds chosen on a alone keep a's wrong answer (85: 60 right to 1) and
    # answer b's two (80, 81); from 0.985 a alone must clear 85, which keeps b precise too.
    rights = [_right(float(s)) for s in range(70, 100) for _twice in (1, 2)]
    a = [*rights, _wrong(85), _outside(50)]
    b = [*rights, _wrong(80), _wrong(81), _outside(50)]
    choice = choose_thresholds({"a": a, "b": b})
    assert choice is not None
    assert choice.requirement == 0.985
    assert choice.answer_threshold == 85.5
    assert all(f.precision >= 0.97 for f in choice.left_out.values())
    assert choice.per_writer["a"].precision == 1.0


def test_when_nothing_is_precise_nothing_is_answered_at_once() -> None:
    always_wrong = [_wrong(s) for s in (99, 98, 97)] + [_right(96, margin=0.0)]
    choice = choose_thresholds({"a": always_wrong, "b": always_wrong})
    assert choice is not None
    assert choice.per_writer["a"].answered_right == 0.0


def test_one_writer_is_not_enough() -> None:
    with pytest.raises(ValueError, match="two training writers"):
        choose_thresholds({"a": [_right(99)]})


def test_each_writer_left_out_is_measured_with_thresholds_chosen_on_the_others() -> None:
    rights = [_right(float(s)) for s in range(70, 100) for _twice in (1, 2)]
    # c answers wrongly at 90: thresholds chosen on a and b (which never err) answer it.
    a, b = [*rights, _outside(50)], [*rights, _outside(50)]
    c = [*rights, _wrong(90), _outside(50)]
    rows = leave_one_writer_out({"a": a, "b": b, "c": c})
    assert rows["c"].choice is not None
    assert rows["c"].figures.precision < 1.0
    assert rows["c"].figures == figures(c, rows["c"].choice.answer_threshold,
                                        rows["c"].choice.answer_margin)
    assert rows["a"].figures.precision == 1.0 and rows["a"].figures.answered_right > 0.9
    with pytest.raises(ValueError, match="three training writers"):
        leave_one_writer_out({"a": a, "b": b})
