"""Compare our matcher with BM25 and plain rapidfuzz on the same entries and dev set, and show how
our matcher's latency grows with 10x and 100x the entries.

    python bench/matcher_compare.py [--devset PATH] [--scales 1,10,100] [--seed 7]

Baselines answer when their score clears a threshold chosen so that they answer as many questions
as our matcher does; their answer precision is measured at that same coverage.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge_base import (
    DEFAULT_DEVSET,
    Entry,
    KnowledgeBase,
    Matcher,
    load_knowledge_base,
)
from knowledge_base.evaluate import LabelledQuestion, read_devset
from knowledge_base.index import TermIndex


@dataclass(frozen=True)
class Run:
    name: str
    top1: float
    precision: float | None
    answers: int
    p50_ms: float
    p99_ms: float


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(function: Callable[[str], object], questions: Sequence[str]) -> list[float]:
    for question in questions:  # warm-up
        function(question)
    timings = []
    for question in questions:
        started = time.perf_counter()
        function(question)
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings


def run_ours(matcher: Matcher, devset: list[LabelledQuestion]) -> Run:
    decisions = [matcher.decide(q.q) for q in devset]
    in_scope = [(q, d) for q, d in zip(devset, decisions, strict=True) if q.label == "in_scope"]

    def best_topic(decision: object) -> str | None:
        topic = decision.topic  # type: ignore[attr-defined]
        candidates = decision.candidates  # type: ignore[attr-defined]
        return topic or (candidates[0].topic if candidates else None)

    top1 = sum(best_topic(d) == q.topic for q, d in in_scope) / len(in_scope)
    answered = [(q, d) for q, d in zip(devset, decisions, strict=True) if d.outcome == "answer"]
    right = sum(q.label == "in_scope" and d.topic == q.topic for q, d in answered)
    timings = _timed(matcher.decide, [q.q for q in devset])
    return Run(
        "ours (crisis + hybrid)",
        top1,
        right / max(1, len(answered)),
        len(answered),
        _percentile(timings, 0.5),
        _percentile(timings, 0.99),
    )


def run_baseline(
    name: str,
    predict: Callable[[str], tuple[str | None, float]],
    devset: list[LabelledQuestion],
    answers: int,
) -> Run:
    """Top-1 on in-scope questions; precision when answering the `answers` best-scored questions."""
    predictions = [predict(q.q) for q in devset]
    in_scope = [(q, p) for q, p in zip(devset, predictions, strict=True) if q.label == "in_scope"]
    top1 = sum(p[0] == q.topic for q, p in in_scope) / len(in_scope)
    ranked = sorted(zip(devset, predictions, strict=True), key=lambda qp: -qp[1][1])[:answers]
    right = sum(q.label == "in_scope" and p[0] == q.topic for q, p in ranked)
    timings = _timed(predict, [q.q for q in devset])
    return Run(
        name,
        top1,
        right / max(1, len(ranked)),
        len(ranked),
        _percentile(timings, 0.5),
        _percentile(timings, 0.99),
    )


def bm25_predictor(kb: KnowledgeBase) -> Callable[[str], tuple[str | None, float]]:
    """rank-bm25 BM25Okapi over the same normalised phrasings (our analyser's terms)."""
    index = TermIndex(kb)
    documents = [d for d in index.documents]
    bm25 = BM25Okapi([sorted(d.terms) for d in documents])
    topics = [index.entry_topics[d.entry] for d in documents]

    def predict(question: str) -> tuple[str | None, float]:
        terms = list(index.analyse(question).terms)
        if not terms:
            return None, 0.0
        scores = bm25.get_scores(terms)
        best = int(scores.argmax())
        return topics[best], float(scores[best])

    return predict


def rapidfuzz_predictor(kb: KnowledgeBase) -> Callable[[str], tuple[str | None, float]]:
    """Plain rapidfuzz: process.extractOne with WRatio over the raw phrasings and questions."""
    choices: list[str] = []
    topics: list[str] = []
    for entry in kb.entries.values():
        for text in (entry.question, entry.question_en, *entry.phrasings):
            choices.append(text)
            topics.append(entry.topic)

    def predict(question: str) -> tuple[str | None, float]:
        match = process.extractOne(
            question, choices, scorer=fuzz.WRatio, processor=utils.default_process
        )
        if match is None:
            return None, 0.0
        return topics[match[2]], float(match[1])

    return predict


def _perturb(text: str, rng: random.Random) -> str:
    """A plausible variant of a phrasing: a word dropped or moved, a letter swapped."""
    words = text.split()
    if len(words) > 3 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    if len(words) > 2 and rng.random() < 0.5:
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    if words and rng.random() < 0.7:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 3:
            k = rng.randrange(len(word) - 1)
            words[i] = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    return " ".join(words)


def scaled_knowledge_base(kb: KnowledgeBase, factor: int, seed: int) -> KnowledgeBase:
    """`factor` times the entries: the real ones plus perturbed copies under new ids."""
    rng = random.Random(seed)
    entries: dict[str, Entry] = dict(kb.entries)
    for copy in range(1, factor):
        for entry in kb.entries.values():
            new_id = f"{entry.id}-copy{copy}"
            entries[new_id] = replace(
                entry,
                id=new_id,
                question=_perturb(entry.question, rng),
                question_en=_perturb(entry.question_en, rng),
                phrasings=tuple(_perturb(p, rng) for p in entry.phrasings),
            )
    return KnowledgeBase(topics=kb.topics, entries=entries)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    kb = load_knowledge_base()
    devset = read_devset(args.devset)
    print(f"{len(kb.entries)} entries, {len(kb.topics)} topics, {len(devset)} dev questions")
    matcher = Matcher(kb)
    ours = run_ours(matcher, devset)
    runs = [
        ours,
        run_baseline("BM25Okapi (same terms)", bm25_predictor(kb), devset, ours.answers),
        run_baseline("rapidfuzz WRatio (raw)", rapidfuzz_predictor(kb), devset, ours.answers),
    ]
    print(
        f"\n{'matcher':26s} {'top-1':>6s} {'precision':>10s} {'answers':>8s} "
        f"{'p50 ms':>7s} {'p99 ms':>7s}"
    )
    for run in runs:
        precision = f"{run.precision:.3f}" if run.precision is not None else "-"
        print(
            f"{run.name:26s} {run.top1:6.3f} {precision:>10s} {run.answers:8d} "
            f"{run.p50_ms:7.3f} {run.p99_ms:7.3f}"
        )

    print(
        f"\n{'scale':>6s} {'entries':>8s} {'build s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} "
        f"{'mean ms':>8s}"
    )
    questions = [q.q for q in devset]
    for factor in (int(s) for s in args.scales.split(",")):
        scaled = scaled_knowledge_base(kb, factor, args.seed)
        started = time.perf_counter()
        scaled_matcher = Matcher(scaled)
        build = time.perf_counter() - started
        timings = _timed(scaled_matcher.decide, questions)
        print(
            f"{factor:>5d}x {len(scaled.entries):8d} {build:8.2f} "
            f"{_percentile(timings, 0.5):7.3f} {_percentile(timings, 0.99):7.3f} "
            f"{statistics.fmean(timings):8.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
