"""A topic classifier learnt from the knowledge base's own texts and the training questions.

Every entry question and phrasing is an example of its topic, and each topic's title and
description one more; `adviceline kb train-topics` adds the labelled in-scope questions of the
training question writers (the dev set and `devset/writers/`, never a held-out writer), so the
classifier also learns how parents put a topic in their own words, and their out-of-scope
questions as one more class, `OUTSIDE` (a parent's own health, a partner, a pet, a tax form),
whose probability belongs to no entry. Features are the matcher's
terms (lemmas, stems, concepts, ages) and the character 3-5-grams of the content words, tf-idf
weighted; a multinomial logistic regression (scikit-learn, lbfgs) weighs them against each other,
which the naive Bayes topic model and the 4-gram similarity cannot. Scoring needs only numpy.

Training takes seconds, so the trained weights are stored in `topic_classifier.npz` with a
fingerprint of the knowledge-base examples they were learnt from; a knowledge base whose examples
differ (an entry edited, a test's small knowledge base) is trained on, from its own texts only,
when the matcher is built, until `adviceline kb train-topics` stores the new weights.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from knowledge_base.index import Analysis, TermIndex
from knowledge_base.model import KnowledgeBase
from knowledge_base.ngrams import damped, running_sum

DEFAULT_CLASSIFIER_FILE = Path(__file__).parent / "topic_classifier.npz"
GRAM_SIZES = (3, 4, 5)
OUTSIDE = "(outside the knowledge base)"  # the class of the writers' out-of-scope questions
MIN_GRAM_EXAMPLES = 2  # a character gram in fewer examples is noise
REGULARISATION_C = 10.0
_WORD_CACHE_SIZE = 100_000
FEATURE_VERSION = 1  # change when the features change: stored weights then no longer fit


def character_grams(content_words: tuple[str, ...]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in content_words:
        counts.update(_word_grams(word))
    return counts


def _word_grams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[start : start + size]
            for size in GRAM_SIZES for start in range(len(padded) - size + 1)]


def _examples(kb: KnowledgeBase, index: TermIndex) -> list[tuple[str, Analysis]]:
    examples: list[tuple[str, Analysis]] = []
    for entry_id in sorted(kb.entries):
        entry = kb.entries[entry_id]
        for text in (entry.question, entry.question_en, *entry.phrasings):
            examples.append((entry.topic, index.analyse(text)))
    for topic_id in sorted({entry.topic for entry in kb.entries.values()}):
        topic = kb.topics[topic_id]
        examples.append((topic.id, index.analyse(f"{topic.title}. {topic.about}")))
    return examples


def question_examples(questions: Iterable[tuple[str, str]], kb: KnowledgeBase,
                      index: TermIndex) -> list[tuple[str, Analysis]]:
    """Labelled questions `(topic or OUTSIDE, text)` as examples (a topic the knowledge base
    lacks: left out)."""
    return [(topic, index.analyse(text)) for topic, text in questions
            if topic in kb.topics or topic == OUTSIDE]


def questions_fingerprint(questions: list[tuple[str, Analysis]]) -> str:
    """What the stored weights record of the labelled questions they learnt from."""
    return _fingerprint(questions)


def _fingerprint(examples: list[tuple[str, Analysis]]) -> str:
    digest = hashlib.sha256(f"{FEATURE_VERSION} {GRAM_SIZES} {REGULARISATION_C}".encode())
    for label, analysis in examples:
        digest.update(json.dumps([label, analysis.terms, analysis.words]).encode())
    return digest.hexdigest()


class TopicClassifier:
    """P(topic | question) from the learnt weights; build once per knowledge base."""

    def __init__(self, kb: KnowledgeBase, index: TermIndex,
                 stored: Path | None = DEFAULT_CLASSIFIER_FILE,
                 questions: Sequence[tuple[str, Analysis]] | None = None) -> None:
        """Stored weights when they fit `kb`'s examples, else trained here; `questions`
        (labelled question analyses, `question_examples`) are learnt from as well and then
        always trained on (the stored weights' questions may differ)."""
        examples = _examples(kb, index)
        self.fingerprint = _fingerprint(examples)
        weights = None
        if stored is not None and questions is None:
            weights = _load(stored, self.fingerprint)
        if weights is None:
            weights = _train([*examples, *(questions or ())], self.fingerprint,
                             questions=list(questions or ()))
        self._weights = weights
        self.trained_here = weights.get("trained_here") is not None
        # how many labelled questions it learnt from besides the knowledge base (0: none), and
        # their fingerprint (`questions_fingerprint`), so a test can tell stale shipped weights
        self.questions = int(weights["questions"]) if "questions" in weights else 0
        self.questions_fingerprint = (str(weights["questions_fingerprint"])
                                      if "questions_fingerprint" in weights else "")
        classes = [str(c) for c in weights["classes"]]
        self._term_column = {str(t): n for n, t in enumerate(weights["terms"])}
        offset = len(self._term_column)
        self._gram_column = {str(g): offset + n for n, g in enumerate(weights["grams"])}
        self._idf = weights["idf"]
        self._coef = weights["coef"].astype(np.float32)
        self._intercept = weights["intercept"]
        self._word_grams: dict[str, tuple[int, ...]] = {}
        class_number = {c: n for n, c in enumerate(classes)}
        self._class_of_entry = np.array(
            [class_number.get(t, -1) for t in index.entry_topics], dtype=np.intp
        )

    def save(self, path: Path = DEFAULT_CLASSIFIER_FILE) -> None:
        stored = {k: v for k, v in self._weights.items() if k != "trained_here"}
        with path.open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **stored)

    def posterior(self, analysis: Analysis) -> np.ndarray:
        """P(topic | question), spread over entries (each entry gets its topic's probability;
        what the OUTSIDE class takes goes to none)."""
        columns, values = self._features(analysis)
        logits = self._intercept.copy()
        if columns.size:
            logits += values @ self._coef[columns]
        logits -= logits.max()
        probability = np.exp(logits)
        probability /= probability.sum()
        per_entry: np.ndarray = np.where(
            self._class_of_entry >= 0, probability[self._class_of_entry], 0.0
        )
        return per_entry

    def _features(self, analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
        """`_features` of the question, with each word's gram columns cached (the same numbers:
        a question's grams counted in the same order)."""
        term_column = self._term_column
        terms = Counter(term_column[t] for t in analysis.terms if t in term_column)
        grams: list[int] = []
        for word in analysis.words:
            grams.extend(self._grams_of(word))
        term_columns, term_values = _unit_block(terms, self._idf)
        gram_columns, gram_values = _unit_block(Counter(grams), self._idf)
        return (np.concatenate([term_columns, gram_columns]),
                np.concatenate([term_values, gram_values]))

    def _grams_of(self, word: str) -> tuple[int, ...]:
        """The columns of the word's character grams the classifier knows, in order (cached:
        words repeat)."""
        found = self._word_grams.get(word)
        if found is None:
            gram_column = self._gram_column
            found = tuple(gram_column[g] for g in _word_grams(word) if g in gram_column)
            if len(self._word_grams) < _WORD_CACHE_SIZE:
                self._word_grams[word] = found
        return found


def _unit_block(counts: Counter[int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and damped tf-idf values of one block, scaled to unit length (as `_features`)."""
    columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
    values = damped(counts.values()) * idf[columns]
    norm = math.sqrt(running_sum(values * values)) or 1.0
    unit: np.ndarray = values / norm
    return columns, unit


def _features(analysis: Analysis, term_column: dict[str, int], gram_column: dict[str, int],
              idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column numbers and tf-idf values, each block (terms, grams) scaled to unit length."""
    all_columns: list[int] = []
    all_values: list[float] = []
    term_counts = Counter(analysis.terms)
    gram_counts = character_grams(analysis.words)
    for counts, column_of in ((term_counts, term_column), (gram_counts, gram_column)):
        columns = [column_of[k] for k in counts if k in column_of]
        values = [(1.0 + math.log(counts[k])) * float(idf[column_of[k]])
                  for k in counts if k in column_of]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        all_columns.extend(columns)
        all_values.extend(v / norm for v in values)
    return np.array(all_columns, dtype=np.intp), np.array(all_values)


def _train(examples: list[tuple[str, Analysis]], fingerprint: str,
           questions: list[tuple[str, Analysis]] | None = None) -> dict[str, np.ndarray]:
    """Weights for the examples; `fingerprint` is of the knowledge-base examples alone, and
    how many of the examples are labelled `questions`, and their fingerprint, are stored
    beside it."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    term_df: Counter[str] = Counter()
    gram_df: Counter[str] = Counter()
    for _label, analysis in examples:
        term_df.update(set(analysis.terms))
        gram_df.update(set(character_grams(analysis.words)))
    terms = sorted(term_df)
    grams = sorted(g for g, df in gram_df.items() if df >= MIN_GRAM_EXAMPLES)
    n = len(examples)
    # scikit-learn's smoothed idf, so the weights mean what TfidfVectorizer's would.
    idf = np.array([math.log((1 + n) / (1 + df)) + 1.0
                    for df in [term_df[t] for t in terms] + [gram_df[g] for g in grams]])
    term_column = {t: i for i, t in enumerate(terms)}
    gram_column = {g: len(terms) + i for i, g in enumerate(grams)}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, (_label, analysis) in enumerate(examples):
        example_columns, example_values = _features(analysis, term_column, gram_column, idf)
        rows.extend([row] * len(example_columns))
        columns.extend(example_columns.tolist())
        values.extend(example_values.tolist())
    matrix = csr_matrix((values, (rows, columns)), shape=(n, len(terms) + len(grams)))
    labels = [label for label, _analysis in examples]
    if len(set(labels)) < 2:  # one topic: nothing to tell apart
        return {"fingerprint": np.array(fingerprint), "classes": np.array(sorted(set(labels))),
                "terms": np.array(terms), "grams": np.array(grams), "idf": idf,
                "coef": np.zeros((len(idf), len(set(labels))), dtype=np.float16),
                "intercept": np.zeros(len(set(labels))), "trained_here": np.array(True)}
    model = LogisticRegression(C=REGULARISATION_C, max_iter=1000)
    model.fit(matrix, labels)
    classes = np.array([str(c) for c in model.classes_])
    coef = model.coef_.T.astype(np.float16)  # half the file; logits need no more precision
    intercept = model.intercept_.astype(float)
    if len(classes) == 2:  # scikit-learn keeps one column for two classes
        coef = np.hstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return {
        "fingerprint": np.array(fingerprint),
        "classes": classes,
        "terms": np.array(terms),
        "grams": np.array(grams),
        "idf": idf,
        "coef": coef,
        "intercept": intercept,
        "questions": np.array(len(questions or ())),
        "questions_fingerprint": np.array(questions_fingerprint(questions or [])),
        "trained_here": np.array(True),
    }


def _load(path: Path, fingerprint: str) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as stored:
        if str(stored["fingerprint"]) != fingerprint:
            return None
        return {key: stored[key] for key in stored.files}
