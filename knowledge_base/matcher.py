"""Decide what to do with a parent's question: answer, suggest, route, crisis or concern.

Crisis detection runs first: a `crisis` or a `concern` (a possible risk) is never answered, nor
is a message the detector is in doubt about (suggestions instead).
Then every entry gets a score 0..100 that blends idf-weighted term evidence (its best phrasing,
all its phrasings, its answer, its topic's description) with the character 4-gram similarity of
the question to its topic. Words the knowledge base does not know count against every entry, so
out-of-scope questions score low.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge_base.crisis import CrisisDetecting, CrisisSignal, load_detector
from knowledge_base.index import AGE_TERM_PREFIX, Analysis, TermIndex
from knowledge_base.model import AGE_GROUPS, KnowledgeBase
from knowledge_base.ngrams import TopicNgrams
from knowledge_base.topic_classifier import TopicClassifier
from knowledge_base.topic_model import TopicModel

OUTCOMES: tuple[str, ...] = ("answer", "suggest", "route", "crisis", "concern")
MAX_CANDIDATES = 5
MAX_MATCH_CHARACTERS = 2_000
MIN_PHRASING_IDF = 0.3


@dataclass(frozen=True)
class MatcherSettings:
    # The answer decision reads the full scores (a strong match can pass 100): answer when the
    # best entry's full score is at least answer_threshold and it leads the best entry of any
    # other topic by answer_margin.
    answer_threshold: float = 70.0
    suggest_threshold: float = 30.0  # shown score (0..100) at/above which we suggest
    answer_margin: float = 0.0
    max_suggestions: int = 3
    min_answer_terms: int = 2  # a one-word message ("test", "slapen") is never answered at once
    unknown_word_weight: float = 2.0  # weight of a word no entry knows (idf runs 0.1-4.6)
    phrasing_weight: float = 0.3  # evidence from the best single phrasing
    phrasings_weight: float = 0.5  # from all phrasings of the entry together
    answer_weight: float = 0.1  # from the entry's answer text
    topic_weight: float = 0.1  # from the topic's title and description
    phrasing_saturation: float = 1.0  # tf / (tf + this): a term in many phrasings counts more
    ngram_weight: float = 0.5  # character 4-gram similarity to the topic's text (0..1, scaled)
    topic_model_weight: float = 0.2  # naive Bayes probability of the entry's topic (0..1, scaled)
    age_mismatch_penalty: float = 5.0  # points off when the question names an age the entry lacks
    # Logistic-regression probability of the entry's topic (0..1, scaled), times the share of the
    # question's weight the knowledge base knows to this power: a question mostly about things
    # the entries never mention gets little from a classifier that must pick some topic.
    classifier_weight: float = 0.5
    classifier_coverage_power: float = 2.0
    # Answer at once only when the topic classifier's own first topic is the best entry's topic,
    # with at least classifier_min_belief of its probability (above 0.5, that topic also
    # outweighs its class of out-of-scope questions); otherwise suggest (two signals that
    # disagree on the topic are a close call, and so is a classifier in doubt).
    classifier_must_agree: bool = True
    classifier_min_belief: float = 0.7


@dataclass(frozen=True)
class Candidate:
    entry: str
    topic: str
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: str  # "answer" | "suggest" | "route" | "crisis" | "concern"
    entry: str | None
    topic: str | None
    score: float
    runner_up: Candidate | None
    candidates: tuple[Candidate, ...]
    crisis: CrisisSignal | None
    language: str
    # The best entry's full score (past 100 for a strong match) and its lead over the best entry
    # of another topic in full scores: what the answer decision reads.
    strength: float = 0.0
    lead: float = 0.0

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
            "crisis": self.crisis.to_json() if self.crisis else None,
        }


class Matcher:
    """Matches questions against one knowledge base snapshot; build once, call decide() often."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings | None = None,
                 crisis: CrisisDetecting | None = None,
                 classifier: TopicClassifier | None = None) -> None:
        """`classifier`: a topic classifier built for `kb` (default: the stored weights, or
        trained on `kb`'s texts when they no longer fit); `kb eval` passes one that never
        learnt from the writer it measures."""
        self.kb = kb
        self.crisis = crisis or load_detector()
        self.settings = settings or MatcherSettings()
        self.index = TermIndex(kb)
        self._evidence = _EvidenceMatrix(self.index, self.settings)
        self._phrasings = _PhrasingMatrix(self.index)
        self._ngrams = TopicNgrams(kb, self.index)
        self._topic_model = TopicModel(self.index)
        self._classifier = (
            (classifier or TopicClassifier(kb, self.index))
            if self.settings.classifier_weight else None
        )
        self._entry_ages = {
            age: np.array([age in kb.entries[e].ages for e in self.index.entry_ids], dtype=bool)
            for age in AGE_GROUPS
        }
        self._entry_number = {e: n for n, e in enumerate(self.index.entry_ids)}
        self._topic_number = {t: n for n, t in enumerate(sorted(set(self.index.entry_topics)))}
        self._topic_of_entry = np.array(
            [self._topic_number[t] for t in self.index.entry_topics], dtype=np.intp
        )

    def with_settings(self, settings: MatcherSettings) -> Matcher:
        """This matcher (index, models and topic classifier shared) deciding with `settings`."""
        twin = copy.copy(self)
        twin.settings = settings
        if _evidence_weights(settings) != _evidence_weights(self.settings):
            twin._evidence = _EvidenceMatrix(self.index, settings)
        if not settings.classifier_weight:
            twin._classifier = None
        elif twin._classifier is None:
            twin._classifier = TopicClassifier(self.kb, self.index)
        return twin

    def with_classifier(self, classifier: TopicClassifier) -> Matcher:
        """This matcher with another topic classifier (built for the same knowledge base)."""
        twin = copy.copy(self)
        twin._classifier = classifier if self.settings.classifier_weight else None
        return twin

    def decide(self, text: str, context: str | None = None) -> Decision:
        """Crisis detection first (with the parent's previous message as `context`), then
        matching; safe on any text (never raises for it)."""
        if not isinstance(text, str):
            text = ""
        crisis = self.crisis.detect(text, context)
        analysis = self.index.analyse(text[:MAX_MATCH_CHARACTERS])
        scores, topic_belief = self._scores(analysis)
        candidates = tuple(self._ranked(scores, MAX_CANDIDATES)) if scores is not None else ()
        best = candidates[0] if candidates else None
        runner_up = self._best_of_other_topic(scores, best) if scores is not None else None
        strength, lead = self._strength(scores, best, runner_up)
        if crisis is not None:
            return Decision(
                crisis.level,
                None,
                None,
                best.score if best else 0.0,
                runner_up,
                candidates,
                crisis,
                analysis.language,
                strength,
                lead,
            )
        if best is None:
            return Decision("route", None, None, 0.0, None, (), None, analysis.language)
        outcome = self._outcome(best, strength, lead)
        if outcome == "answer" and len(analysis.terms) < self.settings.min_answer_terms:
            outcome = "suggest"
        if outcome == "answer" and not self._classifier_agrees(topic_belief, best):
            outcome = "suggest"
        if outcome == "answer" and self.crisis.in_doubt(text, context):
            # close to a crisis signal: the parent picks from suggestions (or, without buttons,
            # an adviser answers) rather than getting an answer the detector might have stopped
            outcome = "suggest"
        return Decision(
            outcome,
            best.entry,
            best.topic,
            best.score,
            runner_up,
            candidates,
            None,
            analysis.language,
            strength,
            lead,
        )

    def _strength(self, scores: np.ndarray | None, best: Candidate | None,
                  runner_up: Candidate | None) -> tuple[float, float]:
        """The best entry's full score and its full-score lead over the best other topic.

        Shown scores stop at 100, so two strong topics (130 and 101) would look tied; their full
        scores still tell a clear winner from a close call (measured leaving each training
        writer out: more right answers at once at the same precision, README "Measured").
        """
        if scores is None or best is None:
            return 0.0, 0.0
        entry_number = self._entry_number[best.entry]
        strength = float(scores[entry_number])
        if runner_up is None:
            return strength, strength
        return strength, strength - float(scores[self._entry_number[runner_up.entry]])

    def _classifier_agrees(self, topic_belief: np.ndarray | None, best: Candidate) -> bool:
        """Whether the topic classifier ranks the best entry's topic first, with at least
        `classifier_min_belief` (true without a classifier).

        Measured leaving each training writer out: fewer wrong answers at once for as many right
        ones (README "Measured")."""
        if topic_belief is None or not self.settings.classifier_must_agree:
            return True
        first = int(np.argmax(topic_belief))
        return (self.index.entry_topics[first] == best.topic
                and float(topic_belief[first]) >= self.settings.classifier_min_belief)

    def _outcome(self, best: Candidate, strength: float, lead: float) -> str:
        settings = self.settings
        if strength >= settings.answer_threshold and lead >= settings.answer_margin:
            return "answer"
        if best.score >= settings.suggest_threshold:
            return "suggest"
        return "route"

    def rank(
        self, analysis: Analysis, exclude_document: int | None = None, limit: int | None = None
    ) -> list[Candidate]:
        """Entries with any evidence for the question, best first (the best `limit` when given).

        `exclude_document` leaves one phrasing out (the leave-one-out check).
        """
        scores = self.scores(analysis, exclude_document)
        return [] if scores is None else self._ranked(scores, limit)

    def scores(self, analysis: Analysis, exclude_document: int | None = None) -> np.ndarray | None:
        """Every entry's score (see `_scores`)."""
        return self._scores(analysis, exclude_document)[0]

    def _scores(self, analysis: Analysis, exclude_document: int | None = None
                ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Every entry's score (0..100, a strong match more), in TermIndex.entry_ids order.

        None when the question has no term the knowledge base knows. Second, the topic
        classifier's P(topic | question) per entry (None without a classifier).

        A score blends kinds of evidence, each the share of the question's weight it explains:
        the entry's best phrasing (both ways: question covered and phrasing covered), all its
        phrasings together (terms many phrasings share count more), its answer text and its
        topic's description; plus the character 4-gram similarity to its topic. Unknown words
        weigh in the question's total, so questions about things the knowledge base does not
        cover score low.
        """
        settings = self.settings
        idf = self.index.idf
        terms = [t for t in analysis.terms if t in idf]
        total = sum(idf[t] for t in terms) + settings.unknown_word_weight * len(analysis.unknown)
        if not terms or total <= 0:
            return None, None
        evidence = self._evidence.total(terms)
        if exclude_document is not None:
            self._leave_out(evidence, terms, exclude_document)
        best_phrasing = self._phrasings.best(terms, total, exclude_document)
        blended = (
            settings.phrasing_weight * best_phrasing
            + evidence / total
            + settings.ngram_weight * self._ngrams.similarity(analysis.words)
        )
        if settings.topic_model_weight:
            left_out = None if exclude_document is None else self.index.documents[exclude_document]
            blended += settings.topic_model_weight * self._topic_model.posterior(terms, left_out)
        # Left out of the leave-one-out check: the classifier learnt from the very phrasing.
        topic_belief = None
        if self._classifier is not None and exclude_document is None:
            known = sum(idf[t] for t in terms) / total
            topic_belief = self._classifier.posterior(analysis)
            blended += (settings.classifier_weight * known**settings.classifier_coverage_power
                        * topic_belief)
        scores = 100.0 * blended
        ages = {t[len(AGE_TERM_PREFIX) :] for t in analysis.terms if t.startswith(AGE_TERM_PREFIX)}
        if ages and settings.age_mismatch_penalty:
            scores -= settings.age_mismatch_penalty * self._lacks_ages(ages)
        return np.maximum(scores, 0.0), topic_belief

    def _lacks_ages(self, ages: set[str]) -> np.ndarray:
        """1.0 for entries meant for none of the given age groups, else 0.0."""
        fits = np.zeros(len(self.index.entry_ids), dtype=bool)
        for age in ages:
            column = self._entry_ages.get(age)
            if column is not None:
                fits |= column
        return (~fits).astype(float)

    def _ranked(self, scores: np.ndarray, limit: int | None) -> list[Candidate]:
        if limit is not None and limit < len(scores):
            top = np.argpartition(-scores, limit)[:limit]
            order = top[np.argsort(-scores[top], kind="stable")]
        else:
            order = np.argsort(-scores, kind="stable")
        return [self._candidate(int(i), scores) for i in order if scores[i] > 0.0]

    def _best_of_other_topic(self, scores: np.ndarray, best: Candidate | None) -> Candidate | None:
        if best is None:
            return None
        others = np.where(self._topic_of_entry != self._topic_number[best.topic], scores, -1.0)
        index = int(np.argmax(others))
        return self._candidate(index, scores) if others[index] > 0.0 else None

    def _candidate(self, entry_index: int, scores: np.ndarray) -> Candidate:
        index = self.index
        # Strong matches can go past 100; they are shown as 100, but ranked and decided on by
        # their full score (Decision.strength and .lead).
        return Candidate(
            index.entry_ids[entry_index],
            index.entry_topics[entry_index],
            min(float(scores[entry_index]), 100.0),
        )

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


def _evidence_weights(settings: MatcherSettings) -> tuple[float, ...]:
    return (settings.phrasings_weight, settings.phrasing_saturation, settings.answer_weight,
            settings.topic_weight)


class _EvidenceMatrix:
    """For every term, its weighted evidence per entry (sparse), summed over a question's terms."""

    def __init__(self, index: TermIndex, settings: MatcherSettings) -> None:
        per_term: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for entry_index in range(len(index.entry_ids)):
            for term, count in index.entry_tf[entry_index].items():
                per_term[term][entry_index] += (
                    settings.phrasings_weight
                    * index.idf[term]
                    * count
                    / (count + settings.phrasing_saturation)
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
        columns = [column for column in map(self._columns.get, terms) if column is not None]
        if not columns:
            return np.zeros(self._entries)
        # bincount adds in the order given, term after term: the same floats as adding each
        # term's column in turn
        return np.bincount(np.concatenate([entries for entries, _ in columns]),
                           np.concatenate([values for _, values in columns]),
                           minlength=self._entries)


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
        # Near-universal terms ("kind") barely move a score but touch most phrasings.
        used = [term for term in terms
                if self._idf[term] >= MIN_PHRASING_IDF and term in self._postings]
        if used:
            # in the order of the terms, as adding each term's postings in turn would
            postings = [self._postings[term] for term in used]
            matched: np.ndarray = np.bincount(
                np.concatenate(postings),
                np.repeat([self._idf[term] for term in used], [len(p) for p in postings]),
                minlength=len(self._document_entry),
            )
        else:
            matched = np.zeros(len(self._document_entry))
        if exclude_document is not None:
            matched[exclude_document] = 0.0
        hit = np.flatnonzero(matched)
        best = np.zeros(self._entries)
        if hit.size:
            covered = matched[hit] / total
            present = matched[hit] / self._document_weight[hit]
            np.maximum.at(
                best, self._document_entry[hit], 2 * covered * present / (covered + present)
            )
        return best
