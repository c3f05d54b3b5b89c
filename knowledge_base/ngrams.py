"""Character 4-gram similarity between a question and each topic's text.

Stems and synonyms miss what parents write as new compounds, odd inflections or half-words
("speelafspraakjes", "peuterpuberteit"); shared letter sequences still link them to the topic
that uses those words. Each topic is one tf-idf vector of the 4-grams of its phrasings (and,
weaker, its answers); a question's score per entry is the cosine with the entry's topic.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence

import numpy as np

from knowledge_base.index import TermIndex
from knowledge_base.model import KnowledgeBase
from knowledge_base.normalise import is_stop_word, words

GRAM = 4
ANSWER_SHARE = 0.2  # an answer's 4-grams count this much against a phrasing's
_WORD_CACHE_SIZE = 100_000
# 1 + log(count) for the counts a question has, computed once with math.log: the same floats as
# computing each in the loop (numpy's own log may differ in the last bit).
_DAMPED = np.array([0.0] + [1.0 + math.log(count) for count in range(1, 4_096)])


def damped(counts: Collection[int]) -> np.ndarray:
    """1 + log(count) of each count (a count of 0 gives 0)."""
    array = np.fromiter(counts, dtype=np.intp, count=len(counts))
    if array.size and int(array.max()) >= len(_DAMPED):
        return np.array([1.0 + math.log(c) if c else 0.0 for c in counts])
    damped_counts: np.ndarray = _DAMPED[array]
    return damped_counts


def running_sum(values: np.ndarray) -> float:
    """values[0] + values[1] + ... added in order, as a Python loop adds them (np.sum adds
    pairwise, so its last bit can differ)."""
    return float(np.cumsum(values)[-1]) if values.size else 0.0


def grams(content_words: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in content_words:
        counts.update(_word_grams(word))
    return counts


def _word_grams(word: str) -> list[str]:
    padded = f"<{word}>"
    return [padded[start : start + GRAM] for start in range(max(1, len(padded) - GRAM + 1))]


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if not is_stop_word(w, "nl") and not w.isdigit() and len(w) > 1]


class TopicNgrams:
    def __init__(self, kb: KnowledgeBase, index: TermIndex) -> None:
        topics = sorted({entry.topic for entry in kb.entries.values()})
        topic_row = {topic: row for row, topic in enumerate(topics)}
        per_topic: dict[str, defaultdict[str, float]] = {t: defaultdict(float) for t in topics}
        for entry in kb.entries.values():
            counts = per_topic[entry.topic]
            for text in (entry.question, entry.question_en, *entry.phrasings):
                for gram, count in grams(_content_words(text)).items():
                    counts[gram] += count
            for text in (entry.answer_nl, entry.answer_en):
                for gram, count in grams(_content_words(text)).items():
                    counts[gram] += ANSWER_SHARE * count
        document_frequency: Counter[str] = Counter()
        for counts in per_topic.values():
            document_frequency.update(counts.keys())
        self._idf = {gram: math.log(len(topics) / df) for gram, df in document_frequency.items()}
        columns: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for topic, counts in per_topic.items():
            vector = {
                gram: (1.0 + math.log(count)) * self._idf[gram]
                for gram, count in counts.items()
                if count >= 1 and self._idf[gram] > 0
            }
            norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
            for gram, value in vector.items():
                columns[gram][0].append(topic_row[topic])
                columns[gram][1].append(value / norm)
        # Every gram that carries weight (idf > 0) gets a number; its row holds its weight in
        # each topic's unit vector (zero where the topic lacks it, or has it only in answers).
        self._gram_number = {
            gram: number
            for number, gram in enumerate(g for g, idf in self._idf.items() if idf > 0)
        }
        self._gram_idf = np.array([self._idf[g] for g in self._gram_number])
        self._topic_weights = np.zeros((len(self._gram_number), len(topics)))
        for gram, (rows, values) in columns.items():
            self._topic_weights[self._gram_number[gram], rows] = values
        self._word_grams: dict[str, tuple[int, ...]] = {}
        self._entry_topic = np.array([topic_row[t] for t in index.entry_topics], dtype=np.intp)

    def similarity(self, content_words: Sequence[str]) -> np.ndarray:
        """Cosine of the question's 4-grams with each entry's topic, per entry."""
        numbers: list[int] = []
        for word in content_words:
            numbers.extend(self._grams_of(word))
        if not numbers:
            return np.zeros(len(self._entry_topic))
        counts = Counter(numbers)  # in order of first appearance, as the grams were
        grams_present = np.fromiter(counts, dtype=np.intp, count=len(counts))
        weight = damped(counts.values()) * self._gram_idf[grams_present]
        # Each topic's sum over the grams in their order (a gram the topic lacks adds 0.0):
        # the same floats as adding gram by gram.
        per_topic = np.cumsum(self._topic_weights[grams_present] * weight[:, None], axis=0)[-1]
        norm = running_sum(weight * weight)
        similarity: np.ndarray = per_topic[self._entry_topic] / math.sqrt(norm)
        return similarity

    def _grams_of(self, word: str) -> tuple[int, ...]:
        """The numbers of the word's weighty 4-grams, in order (cached: words repeat)."""
        found = self._word_grams.get(word)
        if found is None:
            found = tuple(self._gram_number[gram] for gram in _word_grams(word)
                          if gram in self._gram_number)
            if len(self._word_grams) < _WORD_CACHE_SIZE:
                self._word_grams[word] = found
        return found
