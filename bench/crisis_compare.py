"""The crisis detector against the rule tables it replaced, on the same held-out writers.

    python bench/crisis_compare.py [--legacy-commit d7a8b68] [--writer NAME ...]

For each writer of knowledge_base/safeguarding: the old rules (knowledge_base/crisis.py as it was
at --legacy-commit, read with `git show`; they have no training, so every writer is unseen text
for them) and the new detector trained without that writer, with thresholds tuned on the other
writers. Then the shipped detector's latency per message on one core (p50/p99 over every
corpus message, after a warm-up), alone and as a follow-up read after the previous message.
`--latency-only` skips the comparison (no training: a minute).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge_base import load_knowledge_base
from knowledge_base.crisis import load_detector
from knowledge_base.crisis_eval import Tally, Trainer, corpus_trainer

LEGACY_COMMIT = "d7a8b68"


def legacy_detector(commit: str) -> types.ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:knowledge_base/crisis.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("legacy_crisis")
    sys.modules["legacy_crisis"] = module  # dataclasses look their module up
    exec(compile(source, "legacy_crisis.py", "exec"), module.__dict__)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legacy-commit", default=LEGACY_COMMIT)
    parser.add_argument("--writer", action="append")
    parser.add_argument("--nested", action="store_true",
                        help="thresholds as `kb eval --nested` (many more models to train)")
    parser.add_argument("--latency-only", action="store_true",
                        help="only the shipped detector's latency (no models trained)")
    args = parser.parse_args()
    trainer = corpus_trainer(load_knowledge_base(), nested=args.nested)
    if args.latency_only:
        return latency(trainer)
    legacy = legacy_detector(args.legacy_commit)
    print(f"{'writer':<10} {'detector':<9} {'caught':>7} {'crisis':>7} {'false crisis':>13} "
          f"{'concern':>8}")
    for writer in args.writer or sorted(trainer.writers):
        old, new = Tally(), Tally()
        detector = trainer.held_out_detector(writer)
        for message in trainer.writers[writer]:
            hit = legacy.detect_crisis(message.text)
            old.add(message, None if hit is None else
                    types.SimpleNamespace(level="crisis"))  # type: ignore[arg-type]
            new.add(message, detector.detect(message.text))
        for name, tally in (("old rules", old), ("new", new)):
            print(f"{writer:<10} {name:<9} {tally.caught_rate:7.1%} {tally.crisis_rate:7.1%} "
                  f"{tally.false_crisis_rate:13.1%} {tally.concern_rate:8.1%}")
    return latency(trainer)


def latency(trainer: Trainer) -> int:
    """The shipped detector's time per message over every corpus message, alone and read after
    the message before it (a follow-up: scored alone and with its context)."""
    shipped = load_detector()
    texts = [m.text for ms in trainer.writers.values() for m in ms]
    for text in texts[:200]:   # a warm-up; most words of the rest are read for the first time
        shipped.detect(text)
    # Wall time, and the thread's CPU time (what one core spends, even on a busy machine).
    for name, clock in (("wall", time.perf_counter), ("cpu", time.thread_time)):
        for kind in ("alone", "follow-up"):
            timings = []
            previous = None
            for text in texts:
                start = clock()
                shipped.detect(text, previous if kind == "follow-up" else None)
                timings.append((clock() - start) * 1000)
                previous = text
            timings.sort()
            print(f"latency ({name}, {kind}) of the shipped detector over {len(texts)} "
                  f"messages: p50 {statistics.median(timings):.2f} ms, p99 "
                  f"{timings[int(len(timings) * 0.99)]:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
