"""`adviceline kb eval`: the matcher's figures on a labelled question set, against the targets.

A dev-set line is {"q", "label": in_scope|out_of_scope|crisis, "topic": id|null, "lang": nl|en,
"lookalike": bool}. Latency is measured with time.perf_counter around decide(), after a warm-up
pass.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_base.matcher import Decision, Matcher
from knowledge_base.model import DEFAULT_DEVSET, PACKAGE_DIR

LABELS: tuple[str, ...] = ("in_scope", "out_of_scope", "crisis")
DEFAULT_HELDOUT = PACKAGE_DIR / "heldout"  # one question set per independent writer, never read
# Writers whose questions the matcher was tuned on (read, misses studied): training from then on.
DEFAULT_TUNING = PACKAGE_DIR / "devset" / "writers"


@dataclass(frozen=True)
class LabelledQuestion:
    q: str
    label: str
    topic: str | None
    lang: str
    lookalike: bool


@dataclass(frozen=True)
class Miss:
    """One question the matcher got wrong, for the error lists."""

    kind: str  # wrong_topic | wrong_answer | answered_out_of_scope | missed_crisis | false_crisis
    question: str
    label: str
    expected_topic: str | None
    decision: str
    got_topic: str | None
    score: float


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    goal: float
    at_least: bool  # True: value >= goal passes; False: value <= goal passes

    @property
    def passed(self) -> bool:
        return self.value >= self.goal if self.at_least else self.value <= self.goal


@dataclass
class EvalReport:
    questions: int
    counts: dict[str, int]
    top1_accuracy: float
    answer_precision: float
    answers: int
    answered_at_once: float
    out_of_scope_not_answered: float
    crisis_recall: float  # crisis messages caught (crisis or concern)
    false_crisis_rate: float
    latency_p50_ms: float
    latency_p99_ms: float
    outcomes: dict[str, int]
    misses: list[Miss] = field(default_factory=list)
    errors_per_topic: dict[str, int] = field(default_factory=dict)
    crisis_strict_recall: float = 1.0  # crisis messages called a crisis (not only concern)
    concern_rate: float = 0.0  # other messages called a concern
    crisis_answered: int = 0  # crisis messages the FAQ answered (must stay 0)
    answered_right: float = 0.0  # in-scope questions answered at once with the right topic

    def summary(self) -> str:
        """One line: the figures a held-out question writer is judged by."""
        checks = [("top-1", self.top1_accuracy, 0.92), ("precision", self.answer_precision, 0.97),
                  ("answered right", self.answered_right, 0.50),
                  ("out of scope kept", self.out_of_scope_not_answered, 0.95)]
        verdict = "meets targets" if all(v >= goal for _, v, goal in checks) else "BELOW TARGET"
        return (f"{self.questions:>4} questions  "
                + "  ".join(f"{name} {value:5.3f}" for name, value, _ in checks)
                + f"  ({self.answers} answers, p99 {self.latency_p99_ms:.2f} ms)  {verdict}")

    def targets(self) -> list[Target]:
        return [
            Target("top-1 topic accuracy (in scope)", self.top1_accuracy, 0.90, True),
            Target("answer precision", self.answer_precision, 0.97, True),
            Target("out of scope not answered", self.out_of_scope_not_answered, 0.95, True),
            Target("crisis caught (crisis or concern)", self.crisis_recall, 1.00, True),
            Target("crisis as crisis", self.crisis_strict_recall, 0.90, True),
            Target("false crisis rate", self.false_crisis_rate, 0.02, False),
            Target("concern rate (non-crisis)", self.concern_rate, 0.05, False),
            Target("crisis answered by the FAQ", float(self.crisis_answered), 0.0, False),
            Target("latency p99 (ms)", self.latency_p99_ms, 2.0, False),
        ]

    @property
    def passed(self) -> bool:
        return all(target.passed for target in self.targets())

    def format(self, max_misses: int = 40) -> str:
        lines = [
            f"questions: {self.questions} ("
            + ", ".join(f"{label} {self.counts.get(label, 0)}" for label in LABELS)
            + ")",
            "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
        ]
        for target in self.targets():
            sign = ">=" if target.at_least else "<="
            verdict = "PASS" if target.passed else "FAIL"
            lines.append(
                f"{target.name:34s} {target.value:8.3f}   target {sign} {target.goal:<6g} {verdict}"
            )
        lines.append(
            f"{'answered at once (in scope)':34s} {self.answered_at_once:8.3f}   "
            f"({self.answers} answers in all)"
        )
        lines.append(f"{'latency p50 (ms)':34s} {self.latency_p50_ms:8.3f}")
        if self.errors_per_topic:
            lines.append(
                "wrong top-1 per expected topic: "
                + ", ".join(
                    f"{topic} {count}"
                    for topic, count in sorted(
                        self.errors_per_topic.items(), key=lambda item: (-item[1], item[0])
                    )
                )
            )
        if self.misses:
            lines.append(f"misses ({len(self.misses)}, first {min(max_misses, len(self.misses))}):")
            for miss in self.misses[:max_misses]:
                lines.append(
                    f"  [{miss.kind}] expected {miss.label}/{miss.expected_topic}, got "
                    f"{miss.decision}/{miss.got_topic} ({miss.score:.0f}): {miss.question}"
                )
        lines.append("overall: " + ("PASS" if self.passed else "FAIL"))
        return "\n".join(lines)


def worst_of(reports: list[EvalReport]) -> str:
    """Each summary figure at its worst over several writers (each may come from another writer)."""
    figures = [("top-1", min(r.top1_accuracy for r in reports)),
               ("precision", min(r.answer_precision for r in reports)),
               ("answered right", min(r.answered_right for r in reports)),
               ("out of scope kept", min(r.out_of_scope_not_answered for r in reports))]
    return ("     per figure  " + "  ".join(f"{name} {value:5.3f}" for name, value in figures)
            + f"  (p99 {max(r.latency_p99_ms for r in reports):.2f} ms)")


def read_devset(devset: Path = DEFAULT_DEVSET) -> list[LabelledQuestion]:
    """The labelled questions; raises ValueError naming the first bad line."""
    questions: list[LabelledQuestion] = []
    for number, line in enumerate(devset.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            label = raw["label"]
            if label not in LABELS or not isinstance(raw["q"], str):
                raise ValueError(f"label must be one of {', '.join(LABELS)}")
            questions.append(
                LabelledQuestion(
                    q=raw["q"],
                    label=label,
                    topic=raw.get("topic"),
                    lang=raw.get("lang", "nl"),
                    lookalike=bool(raw.get("lookalike", False)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{devset}:{number}: bad dev-set line: {error}") from error
    return questions


def evaluate(matcher: Matcher, devset: Path = DEFAULT_DEVSET) -> EvalReport:
    """Run every dev-set question through the matcher and compute the figures."""
    questions = read_devset(devset)
    for question in questions:  # warm-up: caches filled, code paths hot
        matcher.decide(question.q)
    decisions: list[Decision] = []
    timings: list[float] = []
    for question in questions:
        started = time.perf_counter()
        decision = matcher.decide(question.q)
        timings.append(time.perf_counter() - started)
        decisions.append(decision)
    return _report(questions, decisions, timings)


def _best_topic(decision: Decision) -> str | None:
    if decision.topic is not None:
        return decision.topic
    return decision.candidates[0].topic if decision.candidates else None


def _report(
    questions: list[LabelledQuestion], decisions: list[Decision], timings: list[float]
) -> EvalReport:
    counts = Counter(q.label for q in questions)
    misses: list[Miss] = []
    errors_per_topic: Counter[str] = Counter()
    top1_right = answers = answers_right = answered_in_scope = answered_right = 0
    oos_not_answered = crisis_found = crisis_strict = false_crisis = false_concern = 0
    crisis_answered = 0

    def miss(kind: str, question: LabelledQuestion, decision: Decision) -> None:
        misses.append(
            Miss(
                kind,
                question.q,
                question.label,
                question.topic,
                decision.outcome,
                _best_topic(decision),
                decision.score,
            )
        )

    for question, decision in zip(questions, decisions, strict=True):
        if decision.outcome == "answer":
            answers += 1
            if question.label == "in_scope" and decision.topic == question.topic:
                answers_right += 1
            else:
                miss("wrong_answer", question, decision)
        if decision.outcome in ("crisis", "concern"):
            if question.label == "crisis":
                crisis_found += 1
                crisis_strict += decision.outcome == "crisis"
            elif decision.outcome == "crisis":
                false_crisis += 1
                miss("false_crisis", question, decision)
            else:
                false_concern += 1
                miss("false_concern", question, decision)
        elif question.label == "crisis":
            crisis_answered += decision.outcome == "answer"
            miss("missed_crisis", question, decision)
        if question.label == "in_scope":
            if _best_topic(decision) == question.topic:
                top1_right += 1
            else:
                errors_per_topic[question.topic or "?"] += 1
                miss("wrong_topic", question, decision)
            answered_in_scope += decision.outcome == "answer"
            answered_right += (decision.outcome == "answer" and decision.topic == question.topic)
        elif question.label == "out_of_scope" and decision.outcome != "answer":
            oos_not_answered += 1

    in_scope = counts.get("in_scope", 0)
    non_crisis = len(questions) - counts.get("crisis", 0)
    order = ["missed_crisis", "false_crisis", "false_concern", "wrong_answer", "wrong_topic"]
    misses.sort(key=lambda m: order.index(m.kind) if m.kind in order else len(order))
    ms = sorted(t * 1000.0 for t in timings)
    return EvalReport(
        questions=len(questions),
        counts=dict(counts),
        top1_accuracy=_ratio(top1_right, in_scope),
        answer_precision=_ratio(answers_right, answers),
        answers=answers,
        answered_at_once=_ratio(answered_in_scope, in_scope),
        out_of_scope_not_answered=_ratio(oos_not_answered, counts.get("out_of_scope", 0)),
        crisis_recall=_ratio(crisis_found, counts.get("crisis", 0)),
        false_crisis_rate=false_crisis / non_crisis if non_crisis else 0.0,
        latency_p50_ms=_percentile(ms, 0.50),
        latency_p99_ms=_percentile(ms, 0.99),
        outcomes=dict(Counter(d.outcome for d in decisions)),
        misses=misses,
        errors_per_topic=dict(errors_per_topic),
        crisis_strict_recall=_ratio(crisis_strict, counts.get("crisis", 0)),
        concern_rate=false_concern / non_crisis if non_crisis else 0.0,
        crisis_answered=crisis_answered,
        answered_right=_ratio(answered_right, in_scope),
    )


def _ratio(part: int, whole: int) -> float:
    """A share; an empty whole counts as fully met (nothing to get wrong)."""
    return part / whole if whole else 1.0


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    position = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[position]
