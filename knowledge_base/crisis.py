"""Crisis detection: is a parent's message a crisis, a possible risk (concern), or neither?

Two parts, the stronger wins:
- a trained linear model over hashed word and character n-grams (crisis_model.py), which reads
  typos, chat style, Flemish and English without a rule per spelling; its two thresholds were
  chosen on writers the model had not seen (crisis_eval.py);
- a short list of explicit rules (crisis_rules.py) for plain statements that must never be
  missed, whatever the model scores.

`crisis`: emergency numbers at once and the head of the queue. `concern`: never answered from
the FAQ; a calm safety line with the numbers, and an adviser reads it before ordinary questions.
A follow-up is read together with the parent's previous message (`context`), so a crisis told in
two short messages is still one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from knowledge_base.crisis_model import MAX_CHARACTERS, CrisisModel
from knowledge_base.crisis_rules import rule_hit
from knowledge_base.normalise import words

CATEGORIES: tuple[str, ...] = (
    "child_abuse",
    "sexual_abuse",
    "neglect",
    "domestic_violence",
    "suicide_self_harm",
    "harm_fear",
    "child_in_danger",
    "other_acute",
)
LEVELS: tuple[str, ...] = ("crisis", "concern")
DEFAULT_MODEL_FILE = Path(__file__).parent / "crisis_model.npz"
MAX_CONTEXT_CHARACTERS = 1_000


@dataclass(frozen=True)
class CrisisSignal:
    level: str  # "crisis" | "concern"
    category: str  # one of CATEGORIES
    rule: str  # "model" or the name of the rule that fired; never the parent's text
    score: float  # the model's score (its thresholds are in the model file)

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "category": self.category, "rule": self.rule,
                "score": round(self.score, 3)}


class CrisisDetecting(Protocol):
    def detect(self, text: str, context: str | None = None) -> CrisisSignal | None: ...

    def in_doubt(self, text: str, context: str | None = None) -> bool:
        """No signal, but too close to one to answer from the FAQ at once."""
        ...


class NoCrisisCheck:
    """A crisis check that never signals: the matcher's FAQ side on its own (to ask whether the
    FAQ would have answered a message, or to test the matcher apart from the crisis model)."""

    def detect(self, text: str, context: str | None = None) -> None:
        return None

    def in_doubt(self, text: str, context: str | None = None) -> bool:
        return False


class CrisisDetector:
    """The model and the rules together; build once, call detect() often (about 1 ms)."""

    def __init__(self, model: CrisisModel, rules: bool = True) -> None:
        self.model = model
        self.rules = rules
        # The model's scores of the last message `detect` read: (model, text, context, alone,
        # read after the context or None), so `in_doubt` on the same message does not score it
        # again. One tuple, replaced whole: a caller on another thread sees its own or another's.
        self._last: tuple[CrisisModel, str, str | None, float, float | None] | None = None

    def _one(self, text: str) -> tuple[CrisisSignal | None, float]:
        tokens = words(text[:MAX_CHARACTERS])
        scored = self.model.score(text, tokens)
        level = ("crisis" if scored.score >= self.model.crisis_threshold
                 else "concern" if scored.score >= self.model.concern_threshold else None)
        signal = (CrisisSignal(level, scored.category, "model", scored.score)
                  if level else None)
        hit = rule_hit(text, tokens) if self.rules else None
        if hit is not None and (signal is None or (signal.level == "concern"
                                                   and hit.level == "crisis")):
            category = (hit.category if signal is None or hit.level == "crisis"
                        else signal.category)
            return CrisisSignal(hit.level, category, hit.name, scored.score), scored.score
        return signal, scored.score

    def in_doubt(self, text: str, context: str | None = None) -> bool:
        """The model's score of the message (alone or after `context`) reaches the guard
        threshold: below concern, yet closer to a crisis than the FAQ should answer at once."""
        if not isinstance(text, str):
            return False
        guard = self.model.guard
        last = self._last
        if last is None or last[0] is not self.model or last[1] != text or last[2] != context:
            last = (self.model, text, context, self.model.score(text).score, None)
        _model, _text, _context, alone, together = last
        if alone >= guard:
            return True
        if not context:
            return False
        if together is None:
            together = self.model.score(_after(context, text)).score
        return together >= guard

    def detect(self, text: str, context: str | None = None) -> CrisisSignal | None:
        """The signal of the message alone or read after `context`, whichever is stronger."""
        if not isinstance(text, str):
            return None
        alone, alone_score = self._one(text)
        if not context or (alone is not None and alone.level == "crisis"):
            self._last = (self.model, text, context, alone_score, None)
            return alone
        together, together_score = self._one(_after(context, text))
        self._last = (self.model, text, context, alone_score, together_score)
        return stronger(alone, together)


def _after(context: str, text: str) -> str:
    """The message read after the end of the parent's previous one."""
    return context[-MAX_CONTEXT_CHARACTERS:] + "\n" + text


def stronger(a: CrisisSignal | None, b: CrisisSignal | None) -> CrisisSignal | None:
    if a is None or b is None:
        return a or b
    rank = {"crisis": 2, "concern": 1}
    return b if rank[b.level] > rank[a.level] else a


@lru_cache(maxsize=4)
def load_detector(path: Path = DEFAULT_MODEL_FILE) -> CrisisDetector:
    """The shipped detector (model file next to this module), loaded once per process."""
    return CrisisDetector(CrisisModel.load(path))


def detect_crisis(text: str, context: str | None = None) -> CrisisSignal | None:
    """The shipped detector's signal for a message (crisis or concern), or None."""
    return load_detector().detect(text, context)
