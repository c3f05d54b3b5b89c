"""The matcher's precomputed view of the entries: analysed phrasings, term weights, typo repair.

A phrasing or question becomes a set of terms (lemma + stem, synonym concept, age group). Terms are
weighted by how few entries use them (idf). A word of the parent that no phrasing has is repaired
when it is a misspelling of a known word (rapidfuzz) or split when it is a compound of known words.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from knowledge_base.model import KnowledgeBase
from knowledge_base.normalise import (
    age_groups,
    detect_language,
    is_known_word,
    is_stop_word,
    stem,
    words,
)
from knowledge_base.synonyms import SYNONYM_GROUPS

AGE_TERM_PREFIX = "age:"
CONCEPT_PREFIX = "c:"
_MIN_REPAIR_LENGTH = 5
_MIN_COMPOUND_PART = 3


@lru_cache(maxsize=1)
def synonym_map() -> dict[tuple[str, str], str]:
    """(language, stem) -> concept term, from SYNONYM_GROUPS."""
    mapping: dict[tuple[str, str], str] = {}
    for concept, (dutch, english) in SYNONYM_GROUPS.items():
        for language, spec in (("nl", dutch), ("en", english)):
            for word in spec.split():
                for part in (word.replace("_", ""), ):
                    mapping.setdefault((language, stem(part, language)), CONCEPT_PREFIX + concept)
    return mapping


def word_term(word: str, language: str) -> str:
    """The term of one word: its synonym concept, else its stem."""
    stemmed = stem(word, language)
    return synonym_map().get((language, stemmed), stemmed)


@dataclass(frozen=True)
class Analysis:
    language: str
    terms: tuple[str, ...]  # distinct, in order of first appearance
    unknown: tuple[str, ...]  # words no phrasing has and that could not be repaired


@dataclass(frozen=True)
class Document:
    entry: int  # index into TermIndex.entry_ids
    terms: frozenset[str]
    weight: float  # sum of idf of its terms
    text: str  # its terms joined, for rapidfuzz scorers
    source: str | None  # the phrasing it was made from; None for the entry's own questions


class TermIndex:
    """Terms of every phrasing of every entry, with idf weights; built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.entry_ids: tuple[str, ...] = tuple(sorted(kb.entries))
        self.entry_topics: tuple[str, ...] = tuple(kb.entries[e].topic for e in self.entry_ids)
        texts_per_entry: list[list[tuple[str, str, bool]]] = []
        lexicon: set[str] = set()
        for entry_id in self.entry_ids:
            entry = kb.entries[entry_id]
            texts = [(entry.question, "nl", False), (entry.question_en, "en", False)]
            texts.extend(
                (phrasing, detect_language(words(phrasing)), True) for phrasing in entry.phrasings
            )
            texts_per_entry.append(texts)
            for text, _language, _is_phrasing in texts:
                lexicon.update(words(text))
            lexicon.update(words(entry.answer_nl))
        # Surface words of the phrasings: misspelt words are repaired towards these.
        self._lexicon = frozenset(word for word in lexicon if len(word) >= _MIN_COMPOUND_PART)
        raw_docs: list[tuple[int, tuple[str, ...], str | None]] = []
        for entry_index, texts in enumerate(texts_per_entry):
            for text, language, is_phrasing in texts:
                terms = self._document_terms(text, language)
                raw_docs.append((entry_index, terms, text if is_phrasing else None))
        self.vocabulary: frozenset[str] = frozenset(t for _, terms, _ in raw_docs for t in terms)
        entry_terms: list[set[str]] = [set() for _ in self.entry_ids]
        for entry_index, terms, _source in raw_docs:
            entry_terms[entry_index].update(terms)
        document_frequency: dict[str, int] = defaultdict(int)
        for terms_of_entry in entry_terms:
            for term in terms_of_entry:
                document_frequency[term] += 1
        count = max(len(self.entry_ids), 1)
        self.idf: dict[str, float] = {
            term: math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        self.max_idf = max(self.idf.values(), default=1.0)
        self.entry_terms: tuple[frozenset[str], ...] = tuple(frozenset(t) for t in entry_terms)
        self.documents: tuple[Document, ...] = tuple(
            Document(
                entry=entry_index,
                terms=frozenset(terms),
                weight=sum(self.idf[t] for t in set(terms)),
                text=" ".join(sorted(set(terms))),
                source=source,
            )
            for entry_index, terms, source in raw_docs
            if terms
        )
        postings: dict[str, list[int]] = defaultdict(list)
        for doc_index, document in enumerate(self.documents):
            for term in document.terms:
                postings[term].append(doc_index)
        self.postings: dict[str, tuple[int, ...]] = {t: tuple(d) for t, d in postings.items()}
        self.entry_documents: tuple[tuple[int, ...], ...] = tuple(
            tuple(i for i, d in enumerate(self.documents) if d.entry == e)
            for e in range(len(self.entry_ids))
        )
        self._surface_by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(self._lexicon):
            self._surface_by_length[len(word)].append(word)
        self._repair_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    # analysis -------------------------------------------------------------------------------------
    def _document_terms(self, text: str, language: str) -> tuple[str, ...]:
        terms: list[str] = []
        for word in words(text):
            if is_stop_word(word, language) or word.isdigit():
                continue
            terms.append(word_term(word, language))
            terms.extend(self._compound_parts(word, language))
        terms.extend(AGE_TERM_PREFIX + group for group in age_groups(text))
        return tuple(dict.fromkeys(terms))

    def _compound_parts(self, word: str, language: str) -> list[str]:
        """Terms of the two known words a Dutch compound is made of ("slaapprobleem")."""
        if language != "nl" or len(word) < 2 * _MIN_COMPOUND_PART + 1:
            return []
        best: list[str] = []
        for split in range(len(word) - _MIN_COMPOUND_PART, _MIN_COMPOUND_PART - 1, -1):
            head, tail = word[:split], word[split:]
            if tail not in self._lexicon:
                continue
            for candidate in (head, head[:-1] if head.endswith(("s", "e")) else None):
                if candidate and len(candidate) >= _MIN_COMPOUND_PART and candidate in self._lexicon:
                    best = [word_term(candidate, language), word_term(tail, language)]
                    return best
        return best

    def analyse(self, text: str) -> Analysis:
        """The parent's message as terms, with misspellings and compounds repaired."""
        tokens = words(text)
        language = detect_language(tokens)
        terms: list[str] = []
        unknown: list[str] = []
        for word in tokens:
            if is_stop_word(word, language) or word.isdigit():
                continue
            repaired = self._repair(word, language)
            if repaired:
                terms.extend(repaired)
            else:
                unknown.append(word)
        terms.extend(AGE_TERM_PREFIX + group for group in age_groups(text))
        return Analysis(language, tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(unknown)))

    def _repair(self, word: str, language: str) -> tuple[str, ...]:
        key = (word, language)
        cached = self._repair_cache.get(key)
        if cached is None:
            cached = self._repair_uncached(word, language)
            if len(self._repair_cache) < 100_000:
                self._repair_cache[key] = cached
        return cached

    def _repair_uncached(self, word: str, language: str) -> tuple[str, ...]:
        term = word_term(word, language)
        if term in self.vocabulary:
            return (term,)
        other = "en" if language == "nl" else "nl"
        other_term = word_term(word, other)
        if other_term in self.vocabulary and other_term.startswith(CONCEPT_PREFIX):
            return (other_term,)
        parts = [t for t in self._compound_parts(word, "nl") if t in self.vocabulary]
        if parts:
            return tuple(parts)
        if len(word) >= _MIN_REPAIR_LENGTH:
            known = is_known_word(word, language)
            cutoff = 90.0 if known else 80.0
            if not known or len(word) >= 7:
                candidates: list[str] = []
                for length in range(len(word) - 2, len(word) + 3):
                    candidates.extend(self._surface_by_length.get(length, ()))
                match = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
                if match:
                    for lang in (language, other):
                        repaired = word_term(match[0], lang)
                        if repaired in self.vocabulary:
                            return (repaired,)
        if term in self.idf:
            return (term,)
        return ()

    def weight(self, term: str) -> float:
        return self.idf.get(term, 0.0)

    def documents_with(self, terms: Iterable[str]) -> dict[int, list[str]]:
        """Document index -> the given terms it contains."""
        hits: dict[int, list[str]] = defaultdict(list)
        for term in terms:
            for doc_index in self.postings.get(term, ()):
                hits[doc_index].append(term)
        return hits

    def topics(self) -> Sequence[str]:
        return self.entry_topics
