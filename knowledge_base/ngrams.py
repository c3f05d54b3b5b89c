"""Character 4-gram similarity between a question and each topic's text.

Stems and synonyms miss what parents write as new compounds, odd inflections or half-words
("speelafspraakjes", "peuterpuberteit"); shared letter sequences still link them to the topic
that uses those words. Each topic is one tf-idf vector of the 4-grams of its phrasings (and,
weaker, its answers); a question's score per entry is the cosine with the entry's topic.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from knowledge_base.index import TermIndex
from knowledge_base.model import KnowledgeBase
from knowledge_base.normalise import is_stop_word, words

GRAM = 4
ANSWER_SHARE = 0.2  # an answer's 4-grams count this much against a phrasing's


def grams(content_words: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in content_words:
        padded = f"<{word}>"
        for start in range(max(1, len(padded) - GRAM + 1)):
            counts[padded[start : start + GRAM]] += 1
    return counts


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
        self._columns = {
            gram: (np.array(rows, dtype=np.intp), np.array(values))
            for gram, (rows, values) in columns.items()
        }
        self._topics = len(topics)
        self._entry_topic = np.array([topic_row[t] for t in index.entry_topics], dtype=np.intp)

    def similarity(self, content_words: Sequence[str]) -> np.ndarray:
        """Cosine of the question's 4-grams with each entry's topic, per entry."""
        per_topic = np.zeros(self._topics)
        norm = 0.0
        for gram, count in grams(content_words).items():
            weight = (1.0 + math.log(count)) * self._idf.get(gram, 0.0)
            if weight <= 0.0:
                continue
            norm += weight * weight
            column = self._columns.get(gram)
            if column is not None:
                per_topic[column[0]] += weight * column[1]
        if norm == 0.0:
            return np.zeros(len(self._entry_topic))
        return per_topic[self._entry_topic] / math.sqrt(norm)
