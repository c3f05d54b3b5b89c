"""A small linear model that scores how much a message reads like a crisis, in any wording.

Features are hashed (CRC-32, so the same on every machine and Python) into 2**19 buckets:
words, word pairs, Snowball stems, character 3-5-grams inside words (typos and chat spelling
share most of them with the word meant) and character 6- and 8-grams across the space between
two words ("wil niet", "nie meer"). Features of a word and of a word pair are cached, so a
message costs little more than its new words. Counts are damped (1 + log), weighted by inverse
document frequency and L2-normalised.

Heads: one logistic regression "crisis against everything else" and one per crisis category
("this category against the non-crisis messages"). The score is the mean of the binary logit and
the best category logit: a message that reads strongly like one kind of crisis is not averaged
away by the other kinds. The category reported is that of the best category head.

Training needs scikit-learn (`train`), scoring only numpy. A model is saved as a compressed
`.npz` of numbers: no text of any message is in the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge_base.normalise import snowball_stem, words

FORMAT = 3
BUCKETS = 1 << 19
_MASK = BUCKETS - 1
NO_HEAD_BIAS = -30.0  # the bias of a category head that had no examples to learn from
MAX_CHARACTERS = 4_000  # a crisis is told in the first lines; the rest is not read by the model


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode()) & _MASK


# CRC-32 carries on from a running value, so the bucket of a feature's prefix and a slice of the
# word, crc32(slice, crc32(prefix)), is that of the whole gram without building it as a string.
_WORD, _STEM, _CHARACTERS = zlib.crc32(b"w "), zlib.crc32(b"s "), zlib.crc32(b"c")
_PAIR, _ACROSS = zlib.crc32(b"b "), zlib.crc32(b"x")


@lru_cache(maxsize=200_000)
def _word_features(token: str) -> tuple[int, ...]:
    """The word, its stem and its character 3-5-grams (cached: words repeat)."""
    if not token.isascii():  # a byte slice would cut a character in two
        return _plain_word_features(token)
    crc32 = zlib.crc32
    buckets = [crc32(token.encode(), _WORD) & _MASK]
    if len(token) > 3:
        buckets.append(crc32(snowball_stem(token, "nl").encode(), _STEM) & _MASK)
    padded = b"<" + token.encode() + b">"
    for size in (3, 4, 5):
        buckets.extend([crc32(padded[start:start + size], _CHARACTERS) & _MASK
                        for start in range(0, len(padded) - size + 1)])
    return tuple(buckets)


def _plain_word_features(token: str) -> tuple[int, ...]:
    """`_word_features` gram by gram (any text; the reference its fast path is tested against)."""
    grams = ["w " + token]
    if len(token) > 3:
        grams.append("s " + snowball_stem(token, "nl"))
    padded = "<" + token + ">"
    for size in (3, 4, 5):
        grams.extend("c" + padded[start:start + size]
                     for start in range(0, len(padded) - size + 1))
    return tuple(_bucket(gram) for gram in grams)


@lru_cache(maxsize=200_000)
def _pair_features(first: str, second: str) -> tuple[int, ...]:
    """The word pair and its character 6- and 8-grams across the space between the two."""
    if not (first.isascii() and second.isascii()):
        return _plain_pair_features(first, second)
    crc32 = zlib.crc32
    joined = b" " + first.encode() + b" " + second.encode() + b" "
    middle = len(first) + 1
    buckets = [crc32(joined[1:-1], _PAIR) & _MASK]
    for size in (6, 8):
        first_start = max(0, middle - size + 2)
        last_start = min(middle - 1, len(joined) - size)
        buckets.extend([crc32(joined[start:start + size], _ACROSS) & _MASK
                        for start in range(first_start, last_start + 1)])
    return tuple(buckets)


def _plain_pair_features(first: str, second: str) -> tuple[int, ...]:
    """`_pair_features` gram by gram (any text; the reference its fast path is tested against)."""
    joined = " " + first + " " + second + " "
    middle = len(first) + 1
    grams = ["b " + first + " " + second]
    for size in (6, 8):
        first_start = max(0, middle - size + 2)
        last_start = min(middle - 1, len(joined) - size)
        grams.extend("x" + joined[start:start + size]
                     for start in range(first_start, last_start + 1))
    return tuple(_bucket(gram) for gram in grams)


def features(text: str, tokens: Sequence[str] | None = None) -> list[int]:
    """The hashed feature buckets of a message, one per occurrence."""
    if tokens is None:
        tokens = words(text[:MAX_CHARACTERS])
    buckets: list[int] = []
    previous = "^"
    for token in tokens:
        buckets.extend(_word_features(token))
        buckets.extend(_pair_features(previous, token))
        previous = token
    buckets.extend(_pair_features(previous, "$"))
    return buckets


def _tf_vector(buckets: Sequence[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if not buckets:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    index, counts = np.unique(np.asarray(buckets, dtype=np.int64), return_counts=True)
    return index, 1.0 + np.log(counts)


# Larger than any training set: leave-one-writer-out passes over the same messages in the same
# order, and an LRU cache smaller than one pass never hits (at 32,768 entries and the 36,756
# messages of 2026-12-07 it hit 0 times, 12 s of every model's 38).
@lru_cache(maxsize=1 << 17)
def _training_vector(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Cached: leave-one-writer-out trains many models on the same messages."""
    index, tf = _tf_vector(features(text))
    index.flags.writeable = False
    tf.flags.writeable = False
    return index, tf


@dataclass(frozen=True)
class Scored:
    score: float  # (binary logit + best category logit) / 2
    category: str


@dataclass
class CrisisModel:
    """Scoring weights and the thresholds chosen on held-out writers.

    `guard_threshold` (at most the concern threshold): a message scoring at or above it raises
    no signal, but is too close to one to be *answered* from the FAQ at once (the matcher offers
    suggestions instead). None: the concern threshold."""

    categories: tuple[str, ...]
    idf: npt.NDArray[np.float32]  # BUCKETS
    weights: npt.NDArray[np.float32]  # (1 + categories) x BUCKETS; row 0 is the binary head
    bias: npt.NDArray[np.float32]  # 1 + categories
    crisis_threshold: float
    concern_threshold: float
    meta: dict[str, object] = field(default_factory=dict)
    guard_threshold: float | None = None
    _transposed: npt.NDArray[np.float32] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Laid out bucket-major when the model is made (loaded or trained), not on the first
        # message scored: copying the weights takes ~20 ms, a parent's whole question budget.
        _ = self._by_bucket

    def vector(self, text: str, tokens: Sequence[str] | None = None
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        index, tf = _tf_vector(features(text, tokens))
        values = tf * self.idf[index]
        norm = math.sqrt(float(values @ values))
        return index, (values / norm if norm else values)

    def logits(self, text: str, tokens: Sequence[str] | None = None) -> npt.NDArray[np.float64]:
        index, values = self.vector(text, tokens)
        # bucket-major weights: a message's buckets are k short contiguous rows, not k scattered
        # reads in each of the heads' long rows
        return np.asarray(values @ self._by_bucket[index] + self.bias, dtype=np.float64)

    @property
    def _by_bucket(self) -> npt.NDArray[np.float32]:
        if self._transposed is None or self._transposed.shape[1] != self.weights.shape[0]:
            self._transposed = np.ascontiguousarray(self.weights.T)
        return self._transposed

    def score(self, text: str, tokens: Sequence[str] | None = None) -> Scored:
        """`tokens`: the message's `normalise.words`, if the caller has them already."""
        logits = self.logits(text, tokens)
        best = int(np.argmax(logits[1:]))
        return Scored(float((logits[0] + logits[1 + best]) / 2), self.categories[best])

    @property
    def guard(self) -> float:
        """The score at or above which the FAQ does not answer at once."""
        if self.guard_threshold is None:
            return self.concern_threshold
        return min(self.guard_threshold, self.concern_threshold)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            format=np.array(FORMAT),
            categories=np.array(json.dumps(list(self.categories))),
            idf=self.idf,
            weights=self.weights,
            bias=self.bias,
            thresholds=np.array([self.crisis_threshold, self.concern_threshold,
                                 self.guard]),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> CrisisModel:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT:
                raise ValueError(f"{path}: crisis model format {int(data['format'])}, "
                                 f"expected {FORMAT}; run `adviceline kb train-crisis`")
            thresholds = data["thresholds"]
            return cls(
                categories=tuple(json.loads(str(data["categories"]))),
                idf=data["idf"].astype(np.float32),
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                crisis_threshold=float(thresholds[0]),
                concern_threshold=float(thresholds[1]),
                meta=json.loads(str(data["meta"])),
                guard_threshold=float(thresholds[2]) if len(thresholds) > 2 else None,
            )


@dataclass(frozen=True)
class TrainingSettings:
    # inverse regularisation of every head. 1000, not 30 (2026-12-07, 50 writers in six folds,
    # model alone, each fold's question writers out of the background), with the caught policy
    # at 99.6 % (`ThresholdPolicy`): missed crises 84 -> 64 of 15,596 for concern on hard
    # negatives 4.6 -> 4.8 % and on ordinary questions 3.9 -> 4.2 %; at the same 64 misses C = 30
    # costs 5.8 % and 5.1 %
    c: float = 1000.0
    background_weight: float = 0.3  # weight of non-writer negatives (knowledge-base phrasings)
    min_documents: int = 2  # a bucket seen in fewer training messages gets no weight
    # weight of a corpus writer's hard negative (their crises weigh 1). 5, not 1 (2026-12-07, 28
    # writers in six folds, model alone): at the same 99.5 % caught, concern on hard negatives
    # 5.6 -> 4.3 % mean (10.3 -> 7.6 % worst), 10 -> 20 writers within 5 %, missed crises 48 -> 44
    hard_negative_weight: float = 5.0
    # weight of a question writer's ordinary question. 5, not 1 (2026-12-07, six folds over 28
    # crisis writers, each fold's question writers out of the background, at 99.5 % caught):
    # concern on the left-out question writers' ordinary questions 5.6 -> 3.6 % mean (8.5 -> 7.0 %
    # worst), in doubt 6.8 -> 5.3 %, missed crises 47 -> 48
    question_weight: float = 5.0


def training_digest(texts: Sequence[str], labels: Sequence[bool],
                    categories: Sequence[str | None], weights: Sequence[float],
                    settings: TrainingSettings) -> str:
    """A fingerprint of the training data and settings (to tell a stale shipped model)."""
    digest = hashlib.sha256(f"{FORMAT} {settings}".encode())
    for text, label, category, weight in zip(texts, labels, categories, weights, strict=True):
        digest.update(f"{text}\x00{label}\x00{category}\x00{weight}\x01".encode())
    return digest.hexdigest()[:16]


# What a forked head-fitting process reads: (matrix, labels, sample weights, C). Set only while
# `_fit_heads` runs; a fork inherits it without copying or pickling the matrix.
_HEAD_DATA: tuple[Any, npt.NDArray[np.bool_], npt.NDArray[np.float64], float] | None = None
PARALLEL_FROM = 5_000  # messages; a smaller set is fitted faster than processes start


def _fit_head(rows_mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.float64], float]:
    from sklearn.linear_model import LogisticRegression

    assert _HEAD_DATA is not None
    matrix, labels, sample_weight, c = _HEAD_DATA
    model = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000,
                               random_state=0)
    model.fit(matrix[rows_mask], labels[rows_mask], sample_weight=sample_weight[rows_mask])
    return model.coef_[0], float(model.intercept_[0])


def _fit_heads(data: tuple[Any, npt.NDArray[np.bool_], npt.NDArray[np.float64], float],
               masks: list[npt.NDArray[np.bool_]], processes: int
               ) -> list[tuple[npt.NDArray[np.float64], float]]:
    """One head per rows mask, in `processes` forked processes. Not threads: liblinear releases
    the GIL but shuffles with the C library's one global rand(), so heads fitted side by side in
    threads come out different on every run; a process has its own and gives the same numbers
    as fitting the heads one after another."""
    global _HEAD_DATA
    _HEAD_DATA = data
    try:
        if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return [_fit_head(mask) for mask in masks]
        with ProcessPoolExecutor(min(processes, len(masks)),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_fit_head, masks))
    finally:
        _HEAD_DATA = None


def train(texts: Sequence[str], labels: Sequence[bool], categories: Sequence[str | None],
          all_categories: Sequence[str], *, weights: Sequence[float] | None = None,
          settings: TrainingSettings | None = None, crisis_threshold: float = 0.0,
          concern_threshold: float = 0.0, processes: int | None = None) -> CrisisModel:
    """Fit the heads; thresholds are passed in (they are chosen on held-out writers).

    `processes`: how many processes fit the heads (default: one per CPU from `PARALLEL_FROM`
    messages on, else one); the model is the same whatever the number."""
    from scipy.sparse import csr_matrix

    settings = settings or TrainingSettings()
    sample_weight = np.asarray(weights if weights is not None else [1.0] * len(texts))
    rows: list[npt.NDArray[np.int64]] = []
    tfs: list[npt.NDArray[np.float64]] = []
    document_frequency = np.zeros(BUCKETS, dtype=np.float64)
    for text in texts:
        index, tf = _training_vector(text)
        rows.append(index)
        tfs.append(tf)
        document_frequency[index] += 1
    idf = np.where(document_frequency >= settings.min_documents,
                   np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0, 0.0)
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    data = np.concatenate(tfs) * idf[np.concatenate(rows)] if rows else np.zeros(0)
    matrix = csr_matrix((data, np.concatenate(rows) if rows else np.zeros(0, np.int64), indptr),
                        shape=(len(texts), BUCKETS))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = csr_matrix(matrix.multiply(1.0 / norms[:, None]))

    label_array = np.asarray(labels, dtype=bool)
    category_array = np.asarray([c or "" for c in categories])

    masks: list[npt.NDArray[np.bool_] | None] = [np.ones(len(texts), dtype=bool)]
    for category in all_categories:
        # None: nothing to learn this kind from, a head that never wins
        masks.append(~label_array | (category_array == category)
                     if (label_array & (category_array == category)).any() else None)
    fitted = _fit_heads((matrix, label_array, sample_weight, settings.c),
                        [m for m in masks if m is not None],
                        processes if processes is not None
                        else (os.cpu_count() or 1) if len(texts) >= PARALLEL_FROM else 1)
    heads = [fitted.pop(0) if mask is not None else (np.zeros(BUCKETS), NO_HEAD_BIAS)
             for mask in masks]
    return CrisisModel(
        categories=tuple(all_categories),
        idf=idf.astype(np.float32),
        weights=np.vstack([coef for coef, _ in heads]).astype(np.float32),
        bias=np.array([bias for _, bias in heads], dtype=np.float32),
        crisis_threshold=crisis_threshold,
        concern_threshold=concern_threshold,
        meta={"settings": str(settings),
              "digest": training_digest(texts, labels, categories, list(sample_weight), settings),
              "messages": len(texts), "crisis_messages": int(label_array.sum())},
    )
