"""The matcher's precomputed view of the entries: analysed phrasings, term weights, typo repair.

A phrasing or question becomes a set of terms (lemma + stem, synonym concept, age group). Terms are
weighted by how few entries use them (idf). Besides the phrasings, each entry has two weaker bags of
terms: its own answer text and its topic's title and description. A word of the parent that no
entry has is repaired when it is a misspelling of a known word (rapidfuzz) or split when it is a
Dutch compound of known words ("slaapregressie").
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import simplemma
from rapidfuzz import fuzz, process

from knowledge_base.crisis_lines import expand_lines
from knowledge_base.model import KnowledgeBase
from knowledge_base.normalise import (
    age_groups,
    detect_language,
    fold,
    is_known_word,
    is_stop_word,
    language_markers,
    snowball_stem,
    stem,
    words,
)
from knowledge_base.synonyms import SYNONYM_GROUPS
from knowledge_base.topic_words import TOPIC_WORDS

AGE_TERM_PREFIX = "age:"
CONCEPT_PREFIX = "c:"
_MIN_REPAIR_LENGTH = 5
_MIN_COMPOUND_PART = 4
_REPAIR_CACHE_SIZE = 100_000
VICTIM_TERM = CONCEPT_PREFIX + "gepest"
_CAPITALS = re.compile(r"\b[A-Z]{2,6}\b")
HIT_TERM = CONCEPT_PREFIX + "slaan"
# Passive auxiliaries: the word after them that the lexicon reads as hitting ("wordt ... geslagen",
# "gets kicked") makes the child the one who is hit, as when bullied, not the one who hits.
_PASSIVE_AUXILIARIES = frozenset(
    ["wordt", "worden", "werd", "werden", "is", "was", "gets", "got", "being"]
)
_PASSIVE_REACH = 6  # words between the auxiliary and its participle


def _topic_words(topic: str) -> str:
    return TOPIC_WORDS.get(topic, "").replace("_", " ")


@dataclass(frozen=True)
class _SynonymMaps:
    surface: dict[tuple[str, str], str]  # (language, folded word) -> concept
    lemma_stem: dict[tuple[str, str], str]  # (language, lemma stem) of base-form members
    plain_stem: dict[tuple[str, str], str]  # (language, Snowball stem without lemma)
    phrases: dict[tuple[str, str, str], str]  # (language, word, next word) -> concept


@lru_cache(maxsize=1)
def _synonym_maps() -> _SynonymMaps:
    surface: dict[tuple[str, str], str] = {}
    lemma_stem: dict[tuple[str, str], str] = {}
    plain_stem: dict[tuple[str, str], str] = {}
    phrases: dict[tuple[str, str, str], str] = {}
    for concept, (dutch, english) in SYNONYM_GROUPS.items():
        term = CONCEPT_PREFIX + concept
        for language, spec in (("nl", dutch), ("en", english)):
            for member in spec.split():
                parts = [fold(part) for part in member.split("_")]
                if len(parts) == 2:
                    # A phrase fixes the sense its words lack alone ("passed away"); it also
                    # counts written as one word ("opening_hours" as "openinghours").
                    phrases.setdefault((language, parts[0], parts[1]), term)
                word = "".join(parts)
                surface.setdefault((language, word), term)
                plain_stem.setdefault((language, snowball_stem(word, language)), term)
                # Only base forms by stem: "gegevens" lemmatises to "geven" and would catch "geeft".
                if fold(simplemma.lemmatize(word, lang=language)) == word:
                    lemma_stem.setdefault((language, stem(word, language)), term)
    return _SynonymMaps(surface, lemma_stem, plain_stem, phrases)


@lru_cache(maxsize=200_000)
def word_term(word: str, language: str) -> str:
    """The term of one word in one language: its synonym concept in that language's word list,
    else its lemma stem. Lists are per language because a word can be a false friend: Dutch
    "add" is the attention disorder, English "add" a verb."""
    maps = _synonym_maps()
    concept = maps.surface.get((language, word))
    if concept is None:
        concept = maps.lemma_stem.get((language, stem(word, language)))
    if concept is None:
        concept = maps.plain_stem.get((language, snowball_stem(word, language)))
    return concept if concept is not None else stem(word, language)


def _hit_by_others(tokens: list[str], language: str) -> bool:
    """Whether a passive names the child as hit: grammar over the lexicon, no word list."""
    for position, token in enumerate(tokens):
        if token in _PASSIVE_AUXILIARIES:
            following = tokens[position + 1 : position + 1 + _PASSIVE_REACH]
            if any(word_term(word, language) == HIT_TERM and _participle(word, language)
                   for word in following):
                return True
    return False


def _participle(word: str, language: str) -> bool:
    # Dutch past participles of these verbs start with ge- ("geslagen"); "wordt fysiek, duwen"
    # is a copula and an infinitive. English ones are not -ing forms ("is hitting").
    return word.startswith("ge") if language == "nl" else not word.endswith("ing")


def _other(language: str) -> str:
    return "en" if language == "nl" else "nl"


def _unsure(tokens: list[str]) -> bool:
    """Whether the function words leave the language open (none, or as many of each)."""
    dutch, english = language_markers(tokens)
    return dutch == english


@lru_cache(maxsize=200_000)
def _borrowed_concept(word: str, language: str, unsure: bool) -> str | None:
    """The other language's concept for a word the question's language does not know
    ("zakgeld" in a question read as English), or for any word when the language is unsure
    ("toddler night waking"). A word the language knows keeps its own sense: English "add"."""
    if not unsure and is_known_word(word, language):
        return None
    # The word itself or its lemma, not a stem: "youtubers" is not "youtube".
    other = _other(language)
    surface = _synonym_maps().surface
    lemma = fold(simplemma.lemmatize(word, lang=other))
    return surface.get((other, word)) or surface.get((other, lemma))


# English particles that make a verb into another word: "open up" is talking, not opening hours.
_PARTICLES = frozenset({"up", "out", "away"})


def phrasal_verbs(tokens: list[str], language: str) -> list[str]:
    """English tokens with each phrasal verb as one word ("open up" -> "openup").

    A verb whose word list already names its sense keeps it ("wakes up" stays sleep), and a
    phrasal verb a word list names is that concept ("passed away" -> grief). Dutch has no such
    pairs (its separable verbs are one word, or split across a clause). "Off" and "down" stay apart:
    "turn off the xbox" is still about stopping.
    """
    if language != "en" or len(tokens) < 2:
        return tokens
    merged: list[str] = []
    skip = False
    for word, following in itertools.pairwise([*tokens, ""]):
        if skip:
            skip = False
            continue
        if (following in _PARTICLES and not is_stop_word(word, language) and not word.isdigit()
                and not word_term(word, language).startswith(CONCEPT_PREFIX)):
            surface = _synonym_maps().surface
            joined = word + following
            if (language, joined) not in surface:  # "threw up", "throwing up": one word
                joined = fold(simplemma.lemmatize(word, lang=language)) + following
            merged.append(joined)
            skip = True
        else:
            merged.append(word)
    return merged


def phrase_terms(tokens: list[str], language: str) -> list[str]:
    """Concepts named by two words together ("passed away", "opening hours")."""
    phrases = _synonym_maps().phrases
    found: list[str] = []
    for first, second in itertools.pairwise(tokens):
        concept = phrases.get((language, first, second))
        if concept is not None:
            found.append(concept)
    return found


def abbreviations(text: str) -> frozenset[str]:
    """Words written in capitals ("ADD", "BSO"): abbreviations, read in either language."""
    return frozenset(fold(token) for token in _CAPITALS.findall(text))


@dataclass(frozen=True)
class Analysis:
    language: str
    terms: tuple[str, ...]  # distinct, in order of first appearance
    unknown: tuple[str, ...]  # words no entry has and that could not be repaired
    words: tuple[str, ...] = ()  # the content words as written (folded), for character n-grams


@dataclass(frozen=True)
class Document:
    entry: int  # index into TermIndex.entry_ids
    terms: frozenset[str]
    weight: float  # sum of idf of its terms
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
            lexicon.update(words(expand_lines(entry.answer_nl, "nl")))
            lexicon.update(words(expand_lines(entry.answer_en, "en")))
        for topic in kb.topics.values():
            lexicon.update(words(topic.title))
            lexicon.update(words(topic.about))
            lexicon.update(words(_topic_words(topic.id)))
        lexicon = {w for w in lexicon if not w.isdigit() and not is_stop_word(w, "nl")}
        # Terms any text of the knowledge base uses: the parts a compound may be split into.
        self._part_terms: frozenset[str] = frozenset(
            word_term(w, lang)
            for w in lexicon
            for lang in ("nl", "en")
            if len(w) >= _MIN_COMPOUND_PART
        )

        raw_docs: list[tuple[int, tuple[str, ...], str | None]] = []
        for entry_index, texts in enumerate(texts_per_entry):
            for text, language, is_phrasing in texts:
                terms = self._text_terms(text, language, _unsure(words(text)))
                raw_docs.append((entry_index, terms, text if is_phrasing else None))
        entry_tf: list[dict[str, int]] = [defaultdict(int) for _ in self.entry_ids]
        for entry_index, terms, _source in raw_docs:
            for term in terms:
                entry_tf[entry_index][term] += 1
        self.answer_terms: tuple[frozenset[str], ...] = tuple(
            frozenset(self._text_terms(expand_lines(kb.entries[e].answer_nl, "nl"), "nl"))
            | frozenset(self._text_terms(expand_lines(kb.entries[e].answer_en, "en"), "en"))
            for e in self.entry_ids
        )
        topic_terms = {
            topic.id: frozenset(self._text_terms(topic.title, "nl"))
            | frozenset(self._text_terms(topic.about, "en"))
            | frozenset(self._text_terms(_topic_words(topic.id), "nl"))
            | frozenset(self._text_terms(_topic_words(topic.id), "en"))
            for topic in kb.topics.values()
        }
        self.topic_terms: tuple[frozenset[str], ...] = tuple(
            topic_terms.get(topic, frozenset()) for topic in self.entry_topics
        )

        # Document frequency over everything an entry says (phrasings, answer, topic): the
        # longer texts give steadier weights than the phrasings alone.
        document_frequency: dict[str, int] = defaultdict(int)
        for entry_index, tf in enumerate(entry_tf):
            for term in set(tf) | self.answer_terms[entry_index] | self.topic_terms[entry_index]:
                document_frequency[term] += 1
        count = max(len(self.entry_ids), 1)
        self.idf: dict[str, float] = {
            term: math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        self.max_idf = max(self.idf.values(), default=1.0)
        self.vocabulary: frozenset[str] = frozenset(t for tf in entry_tf for t in tf)
        self.entry_tf: tuple[dict[str, int], ...] = tuple(dict(tf) for tf in entry_tf)
        self.documents: tuple[Document, ...] = tuple(
            Document(
                entry=entry_index,
                terms=frozenset(terms),
                weight=sum(self.idf[t] for t in set(terms)),
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
        # Entries whose answer or topic text has a term, for the weaker evidence.
        extra: dict[str, set[int]] = defaultdict(set)
        for entry_index in range(len(self.entry_ids)):
            for term in self.answer_terms[entry_index] | self.topic_terms[entry_index]:
                extra[term].add(entry_index)
        self.extra_postings: dict[str, tuple[int, ...]] = {t: tuple(e) for t, e in extra.items()}
        self._known_terms = self.vocabulary | frozenset(extra)
        self._surface = _Surface(w for w in lexicon if len(w) >= _MIN_REPAIR_LENGTH - 2)
        self._repair_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    # analysis -------------------------------------------------------------------------------------
    def _text_terms(self, text: str, language: str, unsure: bool = False) -> tuple[str, ...]:
        terms: list[str] = []
        tokens = phrasal_verbs(words(text), language)
        for word in tokens:
            if is_stop_word(word, language) or word.isdigit() or len(word) < 2:
                continue
            term = word_term(word, language)
            if not term.startswith(CONCEPT_PREFIX):
                term = _borrowed_concept(word, language, unsure) or term
            terms.append(term)
            terms.extend(self._compound_parts(word, language))
        terms.extend(phrase_terms(tokens, language))
        terms.extend(AGE_TERM_PREFIX + group for group in age_groups(text))
        return tuple(dict.fromkeys(terms))

    def _compound_parts(self, word: str, language: str) -> list[str]:
        """Terms of the two known words a Dutch compound is made of ("slaapregressie")."""
        if language != "nl" or len(word) < 2 * _MIN_COMPOUND_PART:
            return []
        for split in range(_MIN_COMPOUND_PART, len(word) - _MIN_COMPOUND_PART + 1):
            head, tail = word[:split], word[split:]
            tail_term = word_term(tail, "nl")
            if tail_term not in self._part_terms or is_stop_word(tail, "nl"):
                continue
            heads = [head]
            if head.endswith(("s", "e")) and len(head) > _MIN_COMPOUND_PART:
                heads.append(head[:-1])
            for candidate in heads:
                head_term = word_term(candidate, "nl")
                if head_term in self._part_terms and not is_stop_word(candidate, "nl"):
                    return [head_term, tail_term]
        return []

    def analyse(self, text: str) -> Analysis:
        """The parent's message as terms, with misspellings and compounds repaired."""
        tokens = words(text)
        language = detect_language(tokens)
        unsure = _unsure(tokens)
        tokens = phrasal_verbs(tokens, language)
        capitals = abbreviations(text)
        terms: list[str] = []
        unknown: list[str] = []
        content: list[str] = []
        for word in tokens:
            if is_stop_word(word, language) or word.isdigit() or len(word) < 2:
                continue
            content.append(word)
            repaired = self._repair(word, language)
            if not any(t.startswith(CONCEPT_PREFIX) for t in repaired):
                concept = _borrowed_concept(word, language, unsure)
                if concept is not None and concept in self._known_terms:
                    repaired = (concept,)
            if word in capitals:
                repaired = self._abbreviation(word, language) or repaired
            if repaired:
                terms.extend(repaired)
            else:
                unknown.append(word)
        terms.extend(t for t in phrase_terms(tokens, language) if t in self._known_terms)
        terms.extend(AGE_TERM_PREFIX + group for group in age_groups(text))
        if _hit_by_others(tokens, language):
            terms.append(VICTIM_TERM)
        return Analysis(
            language, tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(unknown)), tuple(content)
        )

    def _abbreviation(self, word: str, language: str) -> tuple[str, ...]:
        """A word in capitals as the concept either language's list names it by ("ADD")."""
        for lang in (language, "en" if language == "nl" else "nl"):
            term = word_term(word, lang)
            if term.startswith(CONCEPT_PREFIX) and term in self._known_terms:
                return (term,)
        return ()

    def _repair(self, word: str, language: str) -> tuple[str, ...]:
        key = (word, language)
        cached = self._repair_cache.get(key)
        if cached is None:
            cached = self._repair_uncached(word, language)
            if len(self._repair_cache) < _REPAIR_CACHE_SIZE:
                self._repair_cache[key] = cached
        return cached

    def _repair_uncached(self, word: str, language: str) -> tuple[str, ...]:
        term = word_term(word, language)
        if term in self._known_terms:
            return (term,)
        other = "en" if language == "nl" else "nl"
        # A word the knowledge base does not use in the question's language may be borrowed
        # from the other one ("meltdowns" in a Dutch question).
        other_term = word_term(word, other)
        if other_term in self._known_terms:
            return (other_term,)
        parts = [t for t in self._compound_parts(word, "nl") if t in self._known_terms]
        if len(parts) == 2:
            return tuple(parts)
        if len(word) >= _MIN_REPAIR_LENGTH:
            # A real word is left alone unless the match is very close: "slaapt" is not "slaat".
            known = is_known_word(word, language) or is_known_word(word, other)
            if not known or len(word) >= 7:
                match = self._surface.closest(word, 90.0 if known else 80.0)
                if match:
                    for lang in (language, other):
                        repaired = word_term(match[0], lang)
                        if repaired in self._known_terms:
                            return (repaired,)
        return ()


_OTHER_CHARACTER = 26  # the histogram's column for anything but a-z


def _letter_row(character: str) -> int:
    return ord(character) - 97 if "a" <= character <= "z" else _OTHER_CHARACTER


class _Surface:
    """The knowledge base's words, for repairing a misspelt one: the closest by rapidfuzz's
    `ratio` among words at most two letters longer or shorter.

    Two words with an Indel distance d share at least (len1 + len2 - d) / 2 letters counted with
    their multiplicity, so a word sharing fewer letters than a ratio of `cutoff` needs cannot
    reach it: one numpy pass over the letter counts leaves rapidfuzz a few dozen words instead of
    thousands. The survivors keep their order, so the match is the one rapidfuzz finds in all.
    """

    # Below this many candidates rapidfuzz alone is as quick as the letter filter.
    FILTER_FROM = 1_000

    def __init__(self, surface_words: Iterable[str]) -> None:
        self.words: tuple[str, ...] = tuple(sorted(set(surface_words), key=lambda w: (len(w), w)))
        self._lengths = np.array([len(w) for w in self.words], dtype=np.intp)
        self._letters = np.zeros((_OTHER_CHARACTER + 1, len(self.words)), dtype=np.int16)
        for column, word in enumerate(self.words):
            for character, count in Counter(word).items():
                self._letters[_letter_row(character), column] += count

    def candidates(self, word: str) -> tuple[str, ...]:
        """Every word of length len(word) - 2 .. len(word) + 2, shortest first, then a-z."""
        start, stop = self._window(word)
        return self.words[start:stop]

    def _window(self, word: str) -> tuple[int, int]:
        start = int(np.searchsorted(self._lengths, len(word) - 2, side="left"))
        stop = int(np.searchsorted(self._lengths, len(word) + 2, side="right"))
        return start, stop

    def closest(self, word: str, cutoff: float) -> tuple[str, float, int] | None:
        """rapidfuzz's `extractOne(word, self.candidates(word), scorer=fuzz.ratio,
        score_cutoff=cutoff)`: (word, score, position among the survivors) or None."""
        start, stop = self._window(word)
        if stop - start < self.FILTER_FROM:
            return process.extractOne(word, self.words[start:stop], scorer=fuzz.ratio,
                                      score_cutoff=cutoff)
        counts = Counter(word)
        rows = [_letter_row(character) for character in counts]
        need = np.array(list(counts.values()), dtype=np.int16)[:, None]
        shared = np.minimum(self._letters[rows, start:stop], need).sum(axis=0)
        # ratio >= cutoff means d <= (1 - cutoff / 100) * (len1 + len2); half a letter of slack
        # against rounding (the counts are whole)
        both = len(word) + self._lengths[start:stop]
        most_distance = (1.0 - cutoff / 100.0) * both
        possible = np.flatnonzero(2 * shared >= both - most_distance - 0.5)
        return process.extractOne(word, [self.words[start + i] for i in possible],
                                  scorer=fuzz.ratio, score_cutoff=cutoff)
