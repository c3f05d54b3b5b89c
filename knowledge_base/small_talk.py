"""Small talk: a message that is only a greeting, thanks, goodbye or "ok" is not a question.

`small_talk(text)` says which kind a message is, or None when it holds anything else. Only the
whole message counts, built from a short list of words and phrases (Dutch and English, chat
spellings and stretched letters such as "hoiii" included), so a message with any other word,
a worry or a crisis word in it, is never small talk.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

SmallTalk = Literal["greeting", "thanks", "goodbye", "ok", "no"]

# Each phrase is a run of words; longer phrases are tried first.
_PHRASES: dict[str, SmallTalk] = {}
for _kind, _phrases in (
    ("greeting", (
        "hallo", "hoi", "dag", "hey", "hee", "hai", "hi", "hello", "hiya", "yo", "hallootjes",
        "goedemorgen", "goedemiddag", "goedenavond", "goedendag", "goeiemorgen",
        "goeiemiddag", "goeienavond", "goeiedag", "goede morgen", "goede middag",
        "goede avond", "good morning", "good afternoon", "good evening", "morning", "morgen",
        "is daar iemand", "is er iemand", "iemand daar", "iemand aanwezig", "is er iemand aanwezig",
        "anybody there", "anyone there", "is anyone there", "is anybody there", "hello anyone",
        "ik heb een vraag", "ik heb een vraagje", "ik heb een paar vragen", "mag ik iets vragen",
        "mag ik een vraag stellen", "ik wil iets vragen", "ik wil een vraag stellen", "vraagje",
        "i have a question", "can i ask something", "can i ask a question",
        "may i ask a question", "quick question")),
    ("thanks", (
        "dank", "bedankt", "dankjewel", "dankjwl", "dankuwel", "dank je", "dank je wel",
        "dank u", "dank u wel", "dankje", "dankjewel", "thanks", "thank you", "thank u",
        "thankyou", "thx", "thnx", "tnx", "ty", "tyvm", "merci", "top bedankt",
        "super bedankt", "heel erg bedankt", "hartelijk dank", "many thanks", "cheers")),
    ("goodbye", (
        "doei", "doeg", "dag dag", "tot ziens", "tot later", "tot de volgende keer", "fijne dag",
        "fijne avond", "fijn weekend", "een fijne dag", "groetjes", "groet", "mvg",
        "met vriendelijke groet", "bye", "bye bye", "goodbye", "good bye", "see you",
        "have a nice day", "have a good day", "take care")),
    ("ok", (
        "ok", "oke", "okay", "okey", "okido", "oki", "k", "kk", "ja", "jaja", "ja hoor", "yes",
        "yep", "yeah", "prima", "top", "super", "fijn", "mooi", "helder", "duidelijk",
        "begrepen", "goed", "is goed", "allright", "alright", "great", "cool", "perfect",
        "nice", "got it", "i see", "ah", "aha", "ah oke", "oh", "oh oke", "ik snap het",
        "ik begrijp het", "dat helpt", "dat is duidelijk", "dat is fijn", "thats clear",
        "that helps")),
    ("no", (
        "nee", "nee hoor", "neen", "no", "nope", "nah", "nee dank je", "nee bedankt",
        "no thanks", "no thank you", "verder niet", "nee verder niet", "that's all",
        "thats all", "dat was het", "dat was alles")),
):
    for _phrase in _phrases:
        _PHRASES.setdefault(_phrase, _kind)  # type: ignore[arg-type]

# Words that may stand around small talk without changing it: who is addressed, and what the
# thanks are for. They never make a message small talk on their own.
_ADDRESS = {"allemaal", "iedereen", "daar", "there", "all", "everyone", "everybody", "cjg",
            "mevrouw", "meneer", "team", "advieslijn", "hoor", "he", "nogmaals", "again",
            "alvast", "echt", "heel", "erg", "hartelijk", "very", "much", "so", "lot", "lots",
            "a", "voor", "je", "jullie", "u", "uw", "de", "het", "hulp", "antwoord",
            "antwoorden", "advies", "tip", "tips", "info", "informatie", "uitleg", "reactie",
            "snelle", "fijne", "for", "the", "your", "help", "answer", "advice", "reply",
            "quick", "tot", "zover"}
_THANKS_ONLY = {"voor", "je", "jullie", "u", "uw", "de", "het", "hulp", "antwoord",
                "antwoorden", "advies", "tip", "tips", "info", "informatie", "uitleg", "reactie",
                "snelle", "fijne", "for", "the", "your", "help", "answer", "advice", "reply",
                "quick"}
_MAX_WORDS = 12
_LONGEST = max(len(phrase.split()) for phrase in _PHRASES)
_SQUEEZED: dict[str, SmallTalk] = {}
for _phrase, _kind in _PHRASES.items():
    _SQUEEZED.setdefault(re.sub(r"(.)\1+", r"\1", _phrase), _kind)
_PRIORITY: tuple[SmallTalk, ...] = ("thanks", "goodbye", "no", "greeting", "ok")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", "")
    return re.findall(r"[a-z]+", text) if not re.search(r"\d", text) else ["#"]


def _kind_of(phrase: str) -> SmallTalk | None:
    found = _PHRASES.get(phrase)
    if found is None:
        # Stretched letters ("hoiii", "dankjeeee", "byeee"): compare with runs squeezed.
        found = _SQUEEZED.get(re.sub(r"(.)\1+", r"\1", phrase))
    return found


def small_talk(text: str) -> SmallTalk | None:
    """The kind of small talk `text` is, or None when it says anything more."""
    words = _words(text)
    if not words or len(words) > _MAX_WORDS:
        return None
    kinds: set[SmallTalk] = set()
    extras: set[str] = set()
    position = 0
    while position < len(words):
        for size in range(min(_LONGEST, len(words) - position), 0, -1):
            kind = _kind_of(" ".join(words[position:position + size]))
            if kind is not None:
                kinds.add(kind)
                position += size
                break
        else:
            if words[position] not in _ADDRESS:
                return None
            extras.add(words[position])
            position += 1
    if not kinds:
        return None
    if extras & _THANKS_ONLY and "thanks" not in kinds:
        return None   # "hallo, hulp" is not a greeting
    return next(kind for kind in _PRIORITY if kind in kinds)
