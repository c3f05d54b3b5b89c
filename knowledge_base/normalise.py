"""Dutch-aware text normalisation: case and accents, sms-style writing, stop words, lemmas, stems.

`words()` turns a message into plain lowercase ascii words (contractions and sms spellings
expanded); `stem()` gives a word's lemma (simplemma) stemmed with Snowball (PyStemmer).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import simplemma
import Stemmer

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# Each with the strings one of which it cannot match without: most messages contain none of
# them, and `in` is much quicker than a regex search that finds nothing.
_APOSTROPHE = ("'",)
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"\bm'n\b"), " mijn ", _APOSTROPHE),
    (re.compile(r"\bz'n\b"), " zijn ", _APOSTROPHE),
    (re.compile(r"\bd'r\b"), " haar ", _APOSTROPHE),
    (re.compile(r"\bzo'n\b"), " zo een ", _APOSTROPHE),
    (re.compile(r"\b(can|won|ain)'t\b"), r" \1 not ", _APOSTROPHE),
    (re.compile(r"n't\b"), " not ", _APOSTROPHE),
    (re.compile(r"(?<![a-z])'t\b"), " het ", _APOSTROPHE),
    (re.compile(r"(?<![a-z])'n\b"), " een ", _APOSTROPHE),
    (
        re.compile(
            r"(?<![a-z])'?s\s+(?=(avonds|nachts|ochtends|morgens|middags|zomers|winters)\b)"
        ),
        " ",
        ("avonds", "nachts", "ochtends", "morgens", "middags", "zomers", "winters"),
    ),
    (re.compile(r"'(m|re|ve|ll|d)\b"), " ", _APOSTROPHE),
    (re.compile(r"\btime[- ]?outs?\b"), " timeout ", ("time",)),
    (re.compile(r"\bsocial[- ]media\b"), " socialmedia ", ("social",)),
    (re.compile(r"\balleen (?:nog )?maar\b"), " maar ", ("alleen",)),
    (re.compile(r"(\d)[,.]5\b"), r"\1 ", ("5",)),
    (re.compile(r"'"), "", _APOSTROPHE),
)
_REPEATS = re.compile(r"([a-z])\1{2,}")
_WORD = re.compile(r"[a-z]+|\d+")

# Spellings of chat and sms, mapped to the plain words. One token may become several.
SMS_SPELLINGS: Mapping[str, tuple[str, ...]] = {
    # Dutch
    "mn": ("mijn",),
    "mijn": ("mijn",),
    "m": ("mijn",),
    "zn": ("zijn",),
    "k": ("ik",),
    "kheb": ("ik", "heb"),
    "kben": ("ik", "ben"),
    "kweet": ("ik", "weet"),
    "kwil": ("ik", "wil"),
    "kmoet": ("ik", "moet"),
    "kga": ("ik", "ga"),
    "kvind": ("ik", "vind"),
    "kzou": ("ik", "zou"),
    "kdenk": ("ik", "denk"),
    "khad": ("ik", "had"),
    "kan": ("kan",),
    "tis": ("het", "is"),
    "ff": ("even",),
    "nie": ("niet",),
    "nt": ("niet",),
    "wa": ("wat",),
    "da": ("dat",),
    "wrm": ("waarom",),
    "wnr": ("wanneer",),
    "hoelang": ("hoe", "lang"),
    "gwn": ("gewoon",),
    "mss": ("misschien",),
    "jr": ("jaar",),
    "jrs": ("jaar",),
    "jaartje": ("jaar",),
    "mnd": ("maand",),
    "mndn": ("maanden",),
    "mnden": ("maanden",),
    "wk": ("week",),
    "wkn": ("weken",),
    "ipv": ("in", "plaats", "van"),
    "bv": ("borstvoeding",),
    "fv": ("flesvoeding",),
    "bijv": ("bijvoorbeeld",),
    "vd": ("van", "de"),
    "n": ("een",),
    "t": ("het",),
    "dr": ("er",),
    "hy": ("hij",),
    "egt": ("echt",),
    "ech": ("echt",),
    "nx": ("niks",),
    "nix": ("niks",),
    "iig": (
        "in",
        "ieder",
        "geval",
    ),
    "idd": ("inderdaad",),
    "zsm": ("zo", "snel", "mogelijk"),
    "svp": ("alstublieft",),
    "aub": ("alstublieft",),
    # English
    "cant": ("can", "not"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "wont": ("will", "not"),
    "isnt": ("is", "not"),
    "wouldnt": ("would", "not"),
    "couldnt": ("could", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "im": ("i", "am"),
    "ive": ("i", "have"),
    "u": ("you",),
    "ur": ("your",),
    "r": ("are",),
    "b4": ("before",),
    "cuz": ("because",),
    "coz": ("because",),
    "bc": ("because",),
    "wanna": ("want", "to"),
    "gonna": ("going", "to"),
    "dunno": ("do", "not", "know"),
    "pls": ("please",),
    "plz": ("please",),
    "ppl": ("people",),
    "thx": ("thanks",),
    "tnx": ("thanks",),
    "msg": ("message",),
    "pic": ("picture",),
    "pics": ("pictures",),
    "yo": ("years", "old"),
    "yrs": ("years",),
    "yr": ("year",),
    "mos": ("months",),
    "mo": ("months",),
    "wks": ("weeks",),
}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS_NL: frozenset[str] = _word_set(
    """
    de het een en of van in op te ten ter dat die dit deze is zijn was waren ben bent ik je
    jij u hij zij ze we wij mijn me mij jouw jou haar hun hem ons onze jullie er aan met voor
    als maar om dan ook nog wel al heel erg zo wat hoe wie waar wanneer waarom welke welk naar
    bij uit tot door over tegen na kan kun kunnen kunt moet moeten moest mag mogen heb hebt
    heeft hebben had hadden word wordt worden werd zou zouden doe doet doen deed gaat gaan ga
    ging vaak altijd nooit niet geen meer even echt gewoon nou toch eigenlijk misschien iets
    alles niets niks elke iedere ieder andere ander zelf steeds soms best beetje hier daar nu
    dus want omdat terwijl sinds hallo hoi beste groet groetjes bedankt dank alvast vraag
    vragen tip tips advies ideeen idee iemand weet weten vind vinden denk denken graag oke ok
    ja zeer veel weinig wil willen wilt wou zorgen zorg normaal zich hen hoor allemaal krijg
    krijgt krijgen zegt zeggen keer daarom hele alstublieft inderdaad bijvoorbeeld lol haha
    hihi xd jaar jarige jarig oud oude maanden maand mnd weken week dag dagen laatste tijd
    ineens opeens sowieso elk ooit mee hoeveel per weer morgen vandaag
    """
)
STOP_WORDS_EN: frozenset[str] = _word_set(
    """
    the a an and or of to in on at for with is are was were be been being am i my me you your
    he she his her him it its we our they their them this that these those what how why when
    where who which whom do does did doing have has had having can could should would will
    shall may might must not no nor dont doesnt didnt cant couldnt wont isnt arent wasnt im
    ive id so very really just too also any some all more much many as by from about up out if
    then than there here get gets got getting tips tip advice please hi hello thanks thank
    anyone someone something know think way ok okay yes still always never often even lot lots
    because into over again want wants wanted going year years old every keep keeps kept take
    takes taking took day days come comes coming came make makes making made say says said ask
    asks asked back whenever whatever one two three since around after before lately now ever
    only well like need needs tell told let lets try tried trying things thing time times
    """
)

# Function words that tell Dutch from English; words both languages share are left out.
_LANGUAGE_MARKERS_NL: frozenset[str] = _word_set(
    """
    de het een en van ik je jij mijn hij zij ze wij niet wat hoe waarom moet kan heeft hebben
    zijn met voor ook maar dat die dit als naar bij nog wel geen zoon dochter kind kinderen mn
    wil doen krijg krijgt steeds heel erg zo er hem haar ons onze wordt worden jaar maanden
    """
)
_LANGUAGE_MARKERS_EN: frozenset[str] = _word_set(
    """
    the and my i you he she is are not what how why should can has have with for but that this
    when son daughter child children kid kids year years old months does do doesnt dont won't
    wont get gets will won a of to it him her our your very really
    """
)


def fold(text: str) -> str:
    """Lowercase, strip accents (é -> e, ï -> i) and unify apostrophes."""
    lowered = text.translate(_APOSTROPHES).lower()
    if lowered.isascii():  # NFKD leaves ascii as it is, and it has no combining marks
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The message as plain ascii words, contractions and sms spellings expanded."""
    return list(_words(text))


# The crisis detector and the matcher's index both read a message's words: the last few
# messages' words are kept, so a message is split once.
@lru_cache(maxsize=8)
def _words(text: str) -> tuple[str, ...]:
    folded = fold(text)
    for pattern, replacement, needs in _CONTRACTIONS:
        if any(needed in folded for needed in needs):
            folded = pattern.sub(replacement, folded)
    # a run of three letters lies inside one word: no run in the text, none in its words
    repeats = _REPEATS.search(folded) is not None
    result: list[str] = []
    for word in _WORD.findall(folded):
        if repeats and _REPEATS.search(word):
            word = _shorten_repeats(word)
        result.extend(SMS_SPELLINGS.get(word, (word,)))
    return tuple(result)


def _shorten_repeats(word: str) -> str:
    """ "heeeeel" -> "heel", "nieeet" -> "niet": letters typed three or more times for emphasis."""
    double = _REPEATS.sub(r"\1\1", word)
    single = _REPEATS.sub(r"\1", word)
    for candidate in (double, single):
        if candidate in SMS_SPELLINGS or any(
            candidate in stop_words for stop_words in (STOP_WORDS_NL, STOP_WORDS_EN)
        ):
            return candidate
    double_known = is_known_word(double, "nl") or is_known_word(double, "en")
    if not double_known and (is_known_word(single, "nl") or is_known_word(single, "en")):
        return single
    return double


def language_markers(tokens: Iterable[str]) -> tuple[int, int]:
    """How many Dutch and how many English function words the tokens have."""
    dutch = english = 0
    for token in tokens:
        dutch += token in _LANGUAGE_MARKERS_NL
        english += token in _LANGUAGE_MARKERS_EN
    return dutch, english


def detect_language(tokens: Iterable[str]) -> str:
    """ "en" when clearly more English than Dutch function words, else "nl" (the usual case)."""
    dutch, english = language_markers(tokens)
    return "en" if english > dutch else "nl"


def is_stop_word(word: str, language: str) -> bool:
    """Stop words of both languages count in either: parents mix them ("thanks", "ok", "oke")."""
    return word in STOP_WORDS_NL or word in STOP_WORDS_EN


_AGE_PATTERN = re.compile(
    r"(\d{1,2})\s*(?:-|\s)?\s*(jaar|jarige|jarig|jr|years?|yrs?|yo|year-old|maanden|maand|mnd|"
    r"months?|mo|weken|week|wk|weeks?)\b"
)
# "zoon van 7", "dochter (3)", "my son, 9": a bare number right after a child means years.
_CHILD_AGE_PATTERN = re.compile(
    r"\b(?:zoon|zoontje|dochter|dochtertje|kind|kindje|meisje|jongen|jongetje|peuter|kleuter|"
    r"tiener|puber|son|daughter|kid|child|boy|girl|toddler)\s*(?:van\s*|\(\s*|,\s*|is\s*)?"
    r"(\d{1,2})\b(?!\s*(?:jaar|jarige|jarig|jr|years?|yrs?|yo|year-old|maanden|maand|mnd|months?|"
    r"mo|weken|week|wk|weeks?|uur|keer|min|minuten|euro|x|kg|cm|%)\b)"
)
_DECIMAL = re.compile(r"(\d)[,.]\d\b")  # "2,5 jaar" counts as 2


def age_groups(text: str) -> list[str]:
    """Age groups named by numbers in the message ("van 2 jaar", "8 maanden", "14yo")."""
    groups: list[str] = []
    folded = _DECIMAL.sub(r"\1", fold(text))
    found = _AGE_PATTERN.findall(folded)
    found.extend((number, "jaar") for number in _CHILD_AGE_PATTERN.findall(folded))
    for number_text, unit in found:
        number = int(number_text)
        if unit.startswith(("w", "maand", "mnd", "mo")):
            groups.append("baby" if unit.startswith("w") or number < 12 else "peuter")
        elif number < 1:
            groups.append("baby")
        elif number < 4:
            groups.append("peuter")
        elif number == 4:
            groups.extend(("peuter", "schoolkind"))
        elif number < 12:
            groups.append("schoolkind")
        elif number <= 21:
            groups.append("tiener")
    return groups


_STEMMERS = {"nl": Stemmer.Stemmer("dutch"), "en": Stemmer.Stemmer("english")}
_SIMPLEMMA_LANGUAGE = {"nl": "nl", "en": "en"}


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """Lemma (simplemma) then Snowball stem (PyStemmer), accents folded; cached."""
    try:
        lemma = simplemma.lemmatize(word, lang=_SIMPLEMMA_LANGUAGE[language])
    except (ValueError, KeyError):
        lemma = word
    lemma = fold(lemma).replace("_", "")
    return str(_STEMMERS[language].stemWord(lemma))


def snowball_stem(word: str, language: str) -> str:
    """The Snowball stem alone, without the lemma step."""
    return str(_STEMMERS[language].stemWord(word))


def is_known_word(word: str, language: str) -> bool:
    """Whether the language's lemma dictionary knows the word (gibberish and names are not)."""
    try:
        return bool(simplemma.is_known(word, lang=_SIMPLEMMA_LANGUAGE[language]))
    except (ValueError, KeyError):
        return False
