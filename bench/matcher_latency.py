"""CPU time of `Matcher.decide()` per question, crisis check included: a question seen for the
first time (cold caches) and seen again (warm).

    python bench/matcher_latency.py                     # 3 fresh processes, 1 warm pass each
    python bench/matcher_latency.py --repeats 5 --warm 3
    python bench/matcher_latency.py --root /work/main   # another checkout's knowledge_base
    python bench/matcher_latency.py --decisions out.jsonl   # every decision, no timing

The matcher is built as the service builds it (`adviceline.faq.Faq`: the configuration's
entries, topics and matcher settings, the shipped crisis detector and topic classifier). The
questions are every dev, training-writer and held-out-writer question ("q"), in file order.
Each repeat is a fresh Python process, so its first pass over the questions is what a new
question costs a running service: the caches per word (stems, terms, crisis features) hold the
knowledge base's own words and the questions before it, nothing more. Then `--warm` passes over
the same questions. `time.thread_time()` around each call: CPU of this thread on one core, not
the machine's load (numpy is held to one thread).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
QUESTION_FILES = ("knowledge_base/devset/questions.jsonl", "knowledge_base/devset/writers/*.jsonl",
                  "knowledge_base/heldout/*.jsonl")
SHARES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0))
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def questions(root: Path) -> list[str]:
    found: list[str] = []
    for pattern in QUESTION_FILES:
        for path in sorted(root.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    found.append(json.loads(line)["q"])
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _matcher(root: Path, config_file: Path) -> object:
    sys.path.insert(0, str(root))
    from adviceline.config import load_config
    from knowledge_base import Matcher, load_knowledge_base

    config = load_config(config_file)  # as adviceline.faq.Faq builds its matcher
    return Matcher(load_knowledge_base(config.entries_dir, config.topics_file), config.matcher)


def child(root: Path, config_file: Path, warm: int) -> None:
    """One fresh process: build, a cold pass, `warm` warm passes; milliseconds as JSON."""
    matcher = _matcher(root, config_file)
    texts = questions(root)
    clock = time.thread_time
    passes: list[list[float]] = []
    for _ in range(1 + warm):
        timings = []
        for text in texts:
            started = clock()
            matcher.decide(text)  # type: ignore[attr-defined]
            timings.append((clock() - started) * 1000.0)
        passes.append(timings)
    json.dump(passes, sys.stdout)


def dump_decisions(root: Path, config_file: Path, out: Path) -> None:
    """Every question's decision, floats in full, and whether the detector was in doubt."""
    matcher = _matcher(root, config_file)
    with out.open("w", encoding="utf-8") as handle:
        for text in questions(root):
            decision = matcher.decide(text)  # type: ignore[attr-defined]
            crisis = decision.crisis
            line = {
                "q": text,
                "outcome": decision.outcome,
                "entry": decision.entry,
                "topic": decision.topic,
                "score": repr(decision.score),
                "strength": repr(decision.strength),
                "lead": repr(decision.lead),
                "language": decision.language,
                "runner_up": (None if decision.runner_up is None else
                              [decision.runner_up.entry, repr(decision.runner_up.score)]),
                "candidates": [[c.entry, repr(c.score)] for c in decision.candidates],
                "crisis": (None if crisis is None else
                           [crisis.level, crisis.category, crisis.rule, repr(crisis.score)]),
                "in_doubt": matcher.crisis.in_doubt(text),  # type: ignore[attr-defined]
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _row(name: str, timings: list[float]) -> str:
    figures = "  ".join(f"{label} {percentile(timings, share):6.2f}" for label, share in SHARES)
    return f"{name:<14} n={len(timings):<6} {figures} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE,
                        help="checkout whose knowledge_base and questions to use (default: this)")
    parser.add_argument("--config", type=Path, default=None,
                        help="configuration file (default: ROOT/config/adviceline.toml)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes (default 3)")
    parser.add_argument("--warm", type=int, default=1, help="warm passes in each (default 1)")
    parser.add_argument("--decisions", type=Path, help="write every decision here; no timing")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = args.root.resolve()
    config_file = args.config or root / "config" / "adviceline.toml"
    if args.child:
        child(root, config_file, args.warm)
        return 0
    if args.decisions:
        dump_decisions(root, config_file, args.decisions)
        return 0
    cold: list[list[float]] = []
    warm: list[float] = []
    print(f"root {root}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for repeat in range(args.repeats):
        output = subprocess.run(
            [sys.executable, __file__, "--child", "--root", str(root), "--config",
             str(config_file), "--warm", str(args.warm)],
            check=True, capture_output=True, text=True, env={**os.environ, **ONE_THREAD},
        ).stdout
        passes = json.loads(output)
        cold.append(passes[0])
        for timings in passes[1:]:
            warm.extend(timings)
        print(_row(f"cold #{repeat + 1}", passes[0]))
        for number, timings in enumerate(passes[1:], start=1):
            print(_row(f"  warm #{number}", timings))
    print(_row("cold, all", [t for timings in cold for t in timings]))
    if warm:
        print(_row("warm, all", warm))
    print(f"cold p99 per process: median "
          f"{statistics.median(percentile(t, 0.99) for t in cold):.2f} ms; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
