"""The matcher's quick paths give the very numbers of the plain computations they replaced.

Each quick path (hashing by running CRC, per-word caches, bincount and cumsum instead of a loop of
numpy additions, a letter-count filter before rapidfuzz) must decide exactly as before: these
tests compare it with the plain computation, float for float, on real and awkward questions.
"""

from __future__ import annotations

import itertools
import json
import math
import unicodedata

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from knowledge_base import DEFAULT_DEVSET, Matcher
from knowledge_base.crisis_model import (
    _pair_features,
    _plain_pair_features,
    _plain_word_features,
    _word_features,
    features,
)
from knowledge_base.crisis_rules import RULES, rule_hit
from knowledge_base.matcher import MIN_PHRASING_IDF
from knowledge_base.ngrams import grams
from knowledge_base.normalise import (
    _APOSTROPHES,
    _CONTRACTIONS,
    _REPEATS,
    _WORD,
    SMS_SPELLINGS,
    _shorten_repeats,
    fold,
    words,
)
from knowledge_base.topic_classifier import _features

AWKWARD = (
    "Mijn zoon’s avonds heeeeeel boos, m'n dochter z'n dingen can't won't",
    "café naïef ÉÉN İstanbul ﬁne straße x\u0301y — 2,5 jaar",
    "tiiiime-out time-out social media alleen nog maar, 's nachts 2,5 uur",
    "ADD of ADHD? mijn kind (7) luistert nie",
    "",
    "???",
)


def _questions() -> list[str]:
    lines = DEFAULT_DEVSET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines[::5] if line.strip()] + list(AWKWARD)


QUESTIONS = _questions()


def _plain_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _plain_words(text: str) -> list[str]:
    folded = _plain_fold(text)
    for pattern, replacement, _needs in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    result: list[str] = []
    for word in _WORD.findall(folded):
        if _REPEATS.search(word):
            word = _shorten_repeats(word)
        result.extend(SMS_SPELLINGS.get(word, (word,)))
    return result


def test_words_are_those_of_every_contraction_and_the_full_unicode_fold() -> None:
    for text in QUESTIONS:
        assert fold(text) == _plain_fold(text)
        assert words(text) == _plain_words(text)
    assert words("m'n kind") == ["mijn", "kind"]  # the contractions still apply


def test_crisis_features_hash_like_the_plain_grams() -> None:
    tokens = sorted({t for text in QUESTIONS for t in words(text)} | {"^", "$", "één", "ß"})
    assert any(not t.isascii() for t in tokens)
    for token in tokens:
        assert _word_features(token) == _plain_word_features(token)
    for first, second in itertools.product(tokens[::7], tokens[::5]):
        assert _pair_features(first, second) == _plain_pair_features(first, second)
    for text in QUESTIONS:
        plain: list[int] = []
        previous = "^"
        for token in words(text):
            plain.extend(_plain_word_features(token) + _plain_pair_features(previous, token))
            previous = token
        plain.extend(_plain_pair_features(previous, "$"))
        assert features(text) == plain


def test_crisis_rules_fire_as_when_each_rule_searched_alone() -> None:
    alarming = ["ik wil dood", "mijn man slaat mij elke dag", "hij heeft een batterij ingeslikt",
                "mijn baby ademt niet meer", "ik ben bang dat ik hem iets aandoe",
                "ze krast zichzelf in haar armen", "mijn zoon van 3 is kwijt in de winkel"]
    fired = 0
    for text in QUESTIONS + alarming:
        prepared = " ".join(words(text))
        plain = next((rule.name for rule in RULES
                      if rule.pattern.search(prepared)
                      and (rule.also is None or rule.also.search(prepared))
                      and not (rule.unless and rule.unless.search(prepared))), None)
        hit = rule_hit(text)
        assert (hit.name if hit else None) == plain, text
        fired += plain is not None
    assert fired >= len(alarming)


def test_repair_finds_what_rapidfuzz_finds_among_all_candidates(real_matcher: Matcher) -> None:
    surface = real_matcher.index._surface
    lexicon = surface.words[:: max(1, len(surface.words) // 150)]
    misspelt = {w[:i] + w[i + 1 :] for w in lexicon for i in (1, len(w) // 2)}
    misspelt |= {w[:i] + w[i + 1] + w[i] + w[i + 2 :] for w in lexicon if len(w) > 4
                 for i in (1, 2)}
    misspelt |= {w + "e" for w in lexicon} | {"qzxv", "slaapregresie", "huiltt", "xxxxxxxx"}
    filtered = 0
    for word, cutoff in itertools.product(sorted(misspelt), (80.0, 90.0)):
        candidates = surface.candidates(word)
        filtered += len(candidates) >= surface.FILTER_FROM
        plain = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
        quick = surface.closest(word, cutoff)
        assert (quick and quick[:2]) == (plain and plain[:2]), word
    assert filtered > 100  # the letter filter itself was tried, not only short windows


def test_ngram_similarity_adds_like_the_plain_loop(real_matcher: Matcher) -> None:
    ngrams = real_matcher._ngrams
    for text in QUESTIONS:
        content = real_matcher.index.analyse(text).words
        per_topic = np.zeros(ngrams._topic_weights.shape[1])
        norm = 0.0
        for gram, count in grams(content).items():
            weight = (1.0 + math.log(count)) * ngrams._idf.get(gram, 0.0)
            if weight <= 0.0:
                continue
            norm += weight * weight
            per_topic += weight * ngrams._topic_weights[ngrams._gram_number[gram]]
        plain = (per_topic[ngrams._entry_topic] / math.sqrt(norm) if norm
                 else np.zeros(len(ngrams._entry_topic)))
        assert np.array_equal(ngrams.similarity(content), plain)


def test_classifier_features_are_the_training_features(real_matcher: Matcher) -> None:
    classifier = real_matcher._classifier
    assert classifier is not None
    for text in QUESTIONS:
        analysis = real_matcher.index.analyse(text)
        columns, values = classifier._features(analysis)
        plain_columns, plain_values = _features(
            analysis, classifier._term_column, classifier._gram_column, classifier._idf)
        assert np.array_equal(columns, plain_columns)
        assert np.array_equal(values, plain_values)


@pytest.mark.parametrize("text", QUESTIONS[:40])
def test_entry_evidence_adds_term_by_term_like_the_plain_loop(real_matcher: Matcher,
                                                               text: str) -> None:
    index = real_matcher.index
    terms = [t for t in index.analyse(text).terms if t in index.idf]
    evidence = real_matcher._evidence
    plain = np.zeros(len(index.entry_ids))
    for term in terms:
        column = evidence._columns.get(term)
        if column is not None:
            plain[column[0]] += column[1]
    assert np.array_equal(evidence.total(terms), plain)

    phrasings = real_matcher._phrasings
    matched = np.zeros(len(index.documents))
    for term in terms:
        if index.idf[term] >= MIN_PHRASING_IDF and term in phrasings._postings:
            matched[phrasings._postings[term]] += index.idf[term]
    total = sum(index.idf[t] for t in terms) + 1.0
    hit = np.flatnonzero(matched)
    best = np.zeros(len(index.entry_ids))
    covered = matched[hit] / total
    present = matched[hit] / phrasings._document_weight[hit]
    np.maximum.at(best, phrasings._document_entry[hit],
                  2 * covered * present / (covered + present))
    assert np.array_equal(phrasings.best(terms, total, None), best)
