"""A naive Bayes topic model trained on the knowledge base itself (never on questions from parents).

Every phrasing is a labelled example of its topic; the answers and the topic descriptions add
weaker counts. The posterior over topics says which topic's language a question is written in as a
whole, where the matcher's other evidence looks at phrasings one entry at a time.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from knowledge_base.index import Document, TermIndex

ANSWER_COUNT = 0.3  # a term in an answer counts this much against a term in a phrasing
TOPIC_TEXT_COUNT = 2.0  # and a term in the topic's title or description this much
SMOOTHING = 0.5  # additive (Lidstone) smoothing


class TopicModel:
    def __init__(self, index: TermIndex) -> None:
        self._topics = sorted(set(index.entry_topics))
        topic_number = {topic: n for n, topic in enumerate(self._topics)}
        counts: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(self._topics)))
        for document in index.documents:
            column = topic_number[index.entry_topics[document.entry]]
            for term in document.terms:
                counts[term][column] += 1.0
        described: set[str] = set()
        for entry_index, topic in enumerate(index.entry_topics):
            column = topic_number[topic]
            for term in index.answer_terms[entry_index]:
                counts[term][column] += ANSWER_COUNT
            if topic not in described:
                described.add(topic)
                for term in index.topic_terms[entry_index]:
                    counts[term][column] += TOPIC_TEXT_COUNT
        self._vocabulary_size = len(counts)
        self._totals = np.sum(list(counts.values()), axis=0) if counts else np.zeros(0)
        self._counts = dict(counts)
        denominator = self._totals + SMOOTHING * self._vocabulary_size
        self._log_probability = {
            term: np.log((row + SMOOTHING) / denominator) for term, row in counts.items()
        }
        self._topic_of_entry = np.array(
            [topic_number[t] for t in index.entry_topics], dtype=np.intp
        )

    def posterior(self, terms: list[str], left_out: Document | None = None) -> np.ndarray:
        """P(topic | terms), spread over entries (each entry gets its topic's probability)."""
        known = [term for term in terms if term in self._log_probability]
        if not known:
            return np.zeros(len(self._topic_of_entry))
        log_likelihood: np.ndarray = np.sum([self._log_probability[t] for t in known], axis=0)
        if left_out is not None:
            log_likelihood = self._without(log_likelihood, known, left_out)
        probability: np.ndarray = np.exp(log_likelihood - log_likelihood.max())
        probability /= probability.sum()
        per_entry: np.ndarray = probability[self._topic_of_entry]
        return per_entry

    def _without(
        self, log_likelihood: np.ndarray, known: list[str], left_out: Document
    ) -> np.ndarray:
        """The log-likelihood as if `left_out` had not been in its topic's counts."""
        column = int(self._topic_of_entry[left_out.entry])
        total = self._totals[column] - len(left_out.terms)
        denominator = total + SMOOTHING * self._vocabulary_size
        adjusted = log_likelihood.copy()
        adjusted[column] = sum(
            math.log((self._counts[t][column] - (t in left_out.terms) + SMOOTHING) / denominator)
            for t in known
        )
        return adjusted
