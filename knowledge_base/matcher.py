"""Decide what to do with a parent's question: answer, suggest entries, route to an adviser, or crisis.

Crisis detection runs first. Then each entry gets a score 0..100 from its best phrasing (idf-weighted
term overlap in both directions, blended with a rapidfuzz token score) and from its phrasings
together (how much of the question the entry's vocabulary explains). Words the knowledge base does
not know count against every entry, so out-of-scope questions score low.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge_base.crisis import CrisisSignal, detect_crisis
from knowledge_base.index import Analysis, TermIndex
from knowledge_base.ngrams import TopicNgrams
from knowledge_base.model import KnowledgeBase

OUTCOMES: tuple[str, ...] = ("answer", "suggest", "route", "crisis")
MAX_CANDIDATES = 5
MAX_MATCH_CHARACTERS = 2_000
MIN_PHRASING_IDF = 0.3


@dataclass(frozen=True)
class MatcherSettings:
    answer_threshold: float = 60.0  # score 0..100 at/above which (with the margin) we answer
    suggest_threshold: float = 25.0  # at/above which we suggest
    answer_margin: float = 20.0  # best must beat the best entry of another topic by this much
    max_suggestions: int = 3
    unknown_word_weight: float = 2.0  # weight of a word no entry knows (idf runs 0.1-4.6)
    phrasing_weight: float = 0.3  # evidence from the best single phrasing
    phrasings_weight: float = 0.5  # from all phrasings of the entry together
    answer_weight: float = 0.1  # from the entry's answer text
    topic_weight: float = 0.1  # from the topic's title and description
    phrasing_saturation: float = 1.0  # tf / (tf + this): a term in many phrasings counts more
    ngram_weight: float = 0.5  # character 4-gram similarity to the topic's text (0..1, scaled)


@dataclass(frozen=True)
class Candidate:
    entry: str
    topic: str
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: str  # "answer" | "suggest" | "route" | "crisis"
    entry: str | None
    topic: str | None
    score: float
    runner_up: Candidate | None
    candidates: tuple[Candidate, ...]
    crisis: CrisisSignal | None
    language: str

    def to_json(self) -> dict[str, object]:
        """The `adviceline match` output line."""
        return {
            "decision": self.outcome,
            "topic": self.topic,
            "entry": self.entry,
            "score": round(self.score, 2),
            "candidates": [
                {"entry": c.entry, "topic": c.topic, "score": round(c.score, 2)}
                for c in self.candidates
            ],
            "language": self.language,
            "crisis": (
                {"category": self.crisis.category, "rule": self.crisis.rule} if self.crisis else None
            ),
        }


class Matcher:
    """Matches questions against one knowledge base snapshot; build once, call decide() often."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatcherSettings()
        self.index = TermIndex(kb)
        self._evidence = _EvidenceMatrix(self.index, self.settings)
        self._phrasings = _PhrasingMatrix(self.index)
        self._ngrams = TopicNgrams(kb, self.index)

    def decide(self, text: str) -> Decision:
        if not isinstance(text, str):
            text = ""
        crisis = detect_crisis(text)
        analysis = self.index.analyse(text[:MAX_MATCH_CHARACTERS])
        ranked = self.rank(analysis)
        candidates = tuple(ranked[:MAX_CANDIDATES])
        best = candidates[0] if candidates else None
        runner_up = next((c for c in ranked if best and c.topic != best.topic), None)
        if crisis is not None:
            return Decision("crisis", None, None, best.score if best else 0.0, runner_up,
                            candidates, crisis, analysis.language)
        if best is None:
            return Decision("route", None, None, 0.0, None, (), None, analysis.language)
        outcome = self._outcome(best, runner_up)
        return Decision(outcome, best.entry, best.topic, best.score, runner_up, candidates, None,
                        analysis.language)

    def _outcome(self, best: Candidate, runner_up: Candidate | None) -> str:
        settings = self.settings
        margin = best.score - (runner_up.score if runner_up else 0.0)
        if best.score >= settings.answer_threshold and margin >= settings.answer_margin:
            return "answer"
        if best.score >= settings.suggest_threshold:
            return "suggest"
        return "route"

    def rank(self, analysis: Analysis, exclude_document: int | None = None) -> list[Candidate]:
        """Entries sharing any term with the question, best first.

        An entry's score blends four kinds of evidence, each the share of the question's weight
        it explains: its best phrasing (both ways: question covered and phrasing covered), all
        its phrasings together (terms many phrasings share count more), its answer text and its
        topic's description. Unknown words weigh in the question's total, so questions about
        things the knowledge base does not cover score low. `exclude_document` leaves one
        phrasing out (the leave-one-out check).
        """
        index = self.index
        settings = self.settings
        idf = index.idf
        terms = [t for t in analysis.terms if t in idf]
        total = sum(idf[t] for t in terms) + settings.unknown_word_weight * len(analysis.unknown)
        if not terms or total <= 0:
            return []
        evidence = self._evidence.total(terms)  # phrasings together + answer + topic, per entry
        if exclude_document is not None:
            self._leave_out(evidence, terms, exclude_document)
        best_phrasing = self._phrasings.best(terms, total, exclude_document)
        scores = 100.0 * (
            settings.phrasing_weight * best_phrasing
            + evidence / total
            + settings.ngram_weight * self._ngrams.similarity(analysis.words)
        )
        order = np.argsort(-scores, kind="stable")
        ranked: list[Candidate] = []
        for entry_index in order:
            score = float(scores[entry_index])
            if score <= 0.0:
                break
            ranked.append(
                Candidate(index.entry_ids[entry_index], index.entry_topics[entry_index], score)
            )
        return ranked

    def _leave_out(self, evidence: np.ndarray, terms: list[str], exclude_document: int) -> None:
        """Take one phrasing's share out of its entry's evidence (for the leave-one-out check)."""
        index = self.index
        document = index.documents[exclude_document]
        tf = index.entry_tf[document.entry]
        saturation = self.settings.phrasing_saturation
        for term in terms:
            count = tf.get(term, 0)
            if term in document.terms and count > 0:
                before = count / (count + saturation)
                after = (count - 1) / (count - 1 + saturation)
                evidence[document.entry] -= (
                    self.settings.phrasings_weight * index.idf[term] * (before - after)
                )


class _EvidenceMatrix:
    """For every term, its weighted evidence per entry (sparse), summed over a question's terms."""

    def __init__(self, index: TermIndex, settings: MatcherSettings) -> None:
        per_term: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for entry_index in range(len(index.entry_ids)):
            for term, count in index.entry_tf[entry_index].items():
                per_term[term][entry_index] += (
                    settings.phrasings_weight * index.idf[term]
                    * count / (count + settings.phrasing_saturation)
                )
            for term in index.answer_terms[entry_index]:
                per_term[term][entry_index] += settings.answer_weight * index.idf[term]
            for term in index.topic_terms[entry_index]:
                per_term[term][entry_index] += settings.topic_weight * index.idf[term]
        self._entries = len(index.entry_ids)
        self._columns = {
            term: (np.fromiter(values, dtype=np.intp), np.fromiter(values.values(), dtype=float))
            for term, values in per_term.items()
        }

    def total(self, terms: list[str]) -> np.ndarray:
        result = np.zeros(self._entries)
        for term in terms:
            column = self._columns.get(term)
            if column is not None:
                result[column[0]] += column[1]
        return result


class _PhrasingMatrix:
    """Each phrasing's terms, for the best single phrasing per entry (an idf-weighted F-score)."""

    def __init__(self, index: TermIndex) -> None:
        self._idf = index.idf
        self._entries = len(index.entry_ids)
        self._document_entry = np.array([d.entry for d in index.documents], dtype=np.intp)
        self._document_weight = np.array([d.weight for d in index.documents]) + 1e-9
        self._postings = {
            term: np.array(documents, dtype=np.intp) for term, documents in index.postings.items()
        }

    def best(self, terms: list[str], total: float, exclude_document: int | None) -> np.ndarray:
        matched = np.zeros(len(self._document_entry))
        for term in terms:
            # Near-universal terms ("kind") barely move a score but touch most phrasings.
            if self._idf[term] >= MIN_PHRASING_IDF and term in self._postings:
                matched[self._postings[term]] += self._idf[term]
        if exclude_document is not None:
            matched[exclude_document] = 0.0
        hit = np.flatnonzero(matched)
        best = np.zeros(self._entries)
        if hit.size:
            covered = matched[hit] / total
            present = matched[hit] / self._document_weight[hit]
            np.maximum.at(best, self._document_entry[hit], 2 * covered * present / (covered + present))
        return best
