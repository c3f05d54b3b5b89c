"""Crisis detection: signs of acute danger to a child or parent, checked before any FAQ matching.

The rules are concept patterns over the normalised words of a message (Dutch and English): a
self-harm verb near a self-reference, an adult near a violence verb, a child near "vermist", or
concepts found together in one sentence or message. Misspelt words are first mapped to the words
of these patterns (rapidfuzz), but only when the word is not a real word itself, so "slaapt" never
becomes "slaat". A small list of look-alikes ("doodmoe", "ik maak je dood" in a game) is blanked
out before the rules run. Recall comes first: in doubt a message is a crisis, so that an adviser
reads it at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from knowledge_base.normalise import fold, is_known_word, words

CATEGORIES: tuple[str, ...] = (
    "child_abuse",
    "sexual_abuse",
    "neglect",
    "domestic_violence",
    "suicide_self_harm",
    "harm_fear",
    "child_in_danger",
)


@dataclass(frozen=True)
class CrisisSignal:
    category: str  # one of CATEGORIES
    rule: str  # the name of the rule that fired, never the parent's text


_LEXICON: set[str] = set()


@dataclass(frozen=True)
class _Tokens:
    """Which words (whole, or by prefix) a word class needs: a quick test before any regex."""

    whole: frozenset[str]
    prefixes: frozenset[str]

    def present(self, whole: set[str], prefixes: set[str]) -> bool:
        return not self.whole.isdisjoint(whole) or not self.prefixes.isdisjoint(prefixes)


_WORD_CLASSES: dict[str, _Tokens] = {}


def _words(spec: str) -> str:
    """A regex alternation from space-separated words; "x*" means any word starting with x."""
    alternatives = []
    whole: set[str] = set()
    prefixes: set[str] = set()
    for word in spec.split():
        if word.endswith("*"):
            _LEXICON.add(word[:-1])
            prefixes.add(word[:-1])
            alternatives.append(re.escape(word[:-1]) + r"[a-z0-9]*")
        else:
            first = word.split("_")[0]  # a phrase needs at least its first word
            _LEXICON.add(first)
            whole.add(first)
            alternatives.append(re.escape(word).replace("_", " "))
    pattern = r"\b(?:" + "|".join(alternatives) + r")\b"
    _WORD_CLASSES[pattern] = _Tokens(frozenset(whole), frozenset(prefixes))
    return pattern


def _gap(most: int) -> str:
    """Up to `most` words in between, never across a sentence break."""
    return r"(?: [a-z0-9]+){0," + str(most) + "} "


# Word classes -------------------------------------------------------------------------------------
_CLAUSE_WORDS = (
    "dat die zegt zei zeggen vertelt vertelde vindt vond denkt vraagt vroeg en omdat als want "
    "wanneer of maar toen that says said told tells thinks asks asked and because when if or but"
)


def _tight_gap(most: int) -> str:
    """Up to `most` words in between within one clause: "de juf zegt dat hij slaat" stays apart."""
    clause = "|".join(_CLAUSE_WORDS.split())
    return r"(?: (?!(?:" + clause + r")\b)[a-z0-9]+){0," + str(most) + "} "


SELF = _words(
    "zichzelf zich mezelf mijzelf zichzelve haarzelf hemzelf myself himself herself "
    "themselves themself"
)
_CHILD_NOUNS = (
    "kind* kindje kinderen zoon* dochter* baby* peuter* kleuter* tiener* puber* meisje* jongen* "
    "jongetje* meid stiefzoon* stiefdochter* pleegkind* jongste oudste broertje* zusje* "
    "child children kid kids son sons daughter* babies toddler* teen teenager* girl boy brother "
    "sister"
)
CHILD = _words(_CHILD_NOUNS + " hem haar ze hen him her them")
MY_CHILD = r"\b(?:mijn|ons|onze|my|our|de|het|haar|zijn|his)(?: [a-z0-9]+){0,1} " + _words(
    _CHILD_NOUNS
)
_PARTNER_NOUNS = (
    "man echtgenoot echtgenote vrouw partner vriend vriendin ex expartner exman exvrouw "
    "husband wife boyfriend girlfriend exhusband exwife"
)
PARTNER = r"(?:\b(?:mijn|m|mn|my)(?: [a-z0-9]+){0,1} " + _words(_PARTNER_NOUNS) + r"|\bex\b)"
_UNAMBIGUOUS_ADULTS = (
    "stiefvader stiefmoeder stiefpapa stiefmama opa oma oom tante juf meester leraar leerkracht "
    "docent trainer coach oppas buurman buurvrouw schoonvader schoonmoeder volwassene "
    "pleegvader pleegmoeder vader moeder papa mama husband boyfriend girlfriend dad father "
    "stepdad stepfather stepmother stepmom uncle aunt grandpa grandfather grandma grandmother "
    "teacher babysitter neighbour neighbor adult"
)
ADULT = (
    r"\b(?:(?:mijn|m|mn|haar|zijn|hun|onze|de|my|her|his|their|our|the|a|een|an)"
    r"(?: [a-z0-9]+){0,1} )?"
    + _words(_UNAMBIGUOUS_ADULTS)
    + r"|\b(?:mijn|m|mn|haar|zijn|hun|onze|de|my|her|his|their|our|the|a|een|an)"
    r"(?: [a-z0-9]+){0,1} "
    + _words("man vrouw partner ex expartner exman exvrouw wife mum mom mother")
    + "|"
    + PARTNER
)
ADULT = f"(?:{ADULT})"
HIT = _words(
    "slaat sla slaan sloeg sloegen geslagen schopt schoppen schopte geschopt trapt trappen trapte "
    "getrapt mishandelt mishandelen mishandelde mishandeld wurgt wurgen wurgde gewurgd stompt "
    "stompen stompte gestompt knijpt kneep geknepen duwt duwde geduwd smijt smeet gesmeten "
    "bedreigt bedreigde bedreigd dreigt dreigde gedreigd verwondt verwond "
    "hits hit hitting beats beat beating beaten kicks kicked kicking punches punched punching "
    "chokes choked choking strangles strangled hurts hurt hurting abuses abused abusing threatens "
    "threatened slaps slapped slapping shoves shoved"
)
ME = _words("mij me ons mijzelf mezelf us")
WISH = _words("wil wilt willen wou wilde wilden wens wenst wenste")
DEATH_NL = r"\bdood(?:gaan|ga|gaat|te gaan|zijn|te zijn)?\b"
DEATH_EXCLUDED_AFTER = r"(?! (?:maken|maak|maakt|schieten|schiet|slaan|sla|knuffelen|knuffelt))"
CUT = _words(
    "snijdt snijden sneed snijd snij krast krassen kraste brandt beschadigt beschadigen "
    "beschadigde verwondt verwonden cut cuts cutting burns burning harms harming harm "
    "scratches scratching"
)
PILLS = _words(
    "pillen pil tabletten medicijn* medicatie paracetamol slaappil* antidepressiva pillendoos* "
    "pills tablets medication meds painkillers"
)
MANY = (
    r"\b(?:veel|alle|hele|strip|doos|potje|pot|handvol|teveel|te veel|overdosis|many|all|"
    r"bunch|handful|bottle|box|too many|whole)\b"
)
SWALLOWED = _words("ingeslikt geslikt opgegeten ingenomen swallowed took taken")
SWALLOWED_POISON = _words(
    "ingeslikt geslikt opgegeten gedronken gegeten drinkt gedronken swallowed drank drunk ate eaten"
)
POISON = _words(
    "schoonmaakmiddel bleek chloor ontstopper vaatwastablet vaatwastabletten wasmiddel "
    "wasmiddelcapsule batterij knoopcelbatterij terpentine lampenolie rattengif gif "
    "bleach detergent battery poison"
)
FEAR = _words("bang angst vrees afraid scared frightened terrified fear")
GENITALS = _words(
    "piemel vagina geslachtsdeel geslachtsdelen plassertje kruis borsten penis private privates "
    "genitals"
)
NUDE = _words("naaktfoto* naakt* nudes nude sexfoto* seksfoto* sexting")
BLACKMAIL = _words(
    "chanteert chanteren chantage gechanteerd afpersen afgeperst afpersing blackmail blackmailed "
    "blackmailing sextortion"
)


@dataclass(frozen=True)
class _Rule:
    """Fires when every pattern matches: in one sentence, or anywhere in the message.

    `anchor` is the rule's most telling part, tried on the whole message first: most messages
    fail there, which keeps detection fast.
    """

    name: str
    category: str
    patterns: tuple[re.Pattern[str], ...]
    whole_message: bool = False
    anchor: re.Pattern[str] | None = None
    anchor_tokens: _Tokens | None = None

    def fires(
        self, sentences: list[str], message: str, whole: set[str], prefixes: set[str]
    ) -> bool:
        if self.anchor_tokens is not None:
            if not self.anchor_tokens.present(whole, prefixes):
                return False
        elif self.anchor is not None and not self.anchor.search(message):
            return False
        if self.whole_message:
            return all(pattern.search(message) for pattern in self.patterns)
        return any(all(p.search(sentence) for p in self.patterns) for sentence in sentences)


def _is_generic(part: str) -> bool:
    """Word classes that occur in most messages (people, pronouns) and the gaps between words."""
    return part in _GENERIC_PARTS or part.startswith(("(?: [a-z0-9]+)", "(?: (?!"))


def _anchor(parts: tuple[str, ...]) -> re.Pattern[str] | None:
    telling = [part for part in parts if not _is_generic(part)]
    return re.compile(telling[0]) if telling and len(parts) > 1 else None


def _anchor_tokens(parts: tuple[str, ...]) -> _Tokens | None:
    """The word test of the first telling part that is a plain word class, if any."""
    for part in parts:
        if not _is_generic(part) and part in _WORD_CLASSES:
            return _WORD_CLASSES[part]
    return None


def _rule(name: str, category: str, *parts: str) -> _Rule:
    """A rule whose parts must follow each other in one sentence; each part is its own group."""
    pattern = re.compile("".join(f"(?:{part})" for part in parts))
    return _Rule(
        name, category, (pattern,), anchor=_anchor(parts), anchor_tokens=_anchor_tokens(parts)
    )


def _together(name: str, category: str, *patterns: str, whole_message: bool = False) -> _Rule:
    """A rule whose patterns must all occur, in any order, in one sentence (or the message)."""
    ordered = sorted(patterns, key=_is_generic)  # the telling patterns first: all() stops early
    return _Rule(
        name,
        category,
        tuple(re.compile(p) for p in ordered),
        whole_message,
        anchor=_anchor(tuple(ordered)),
        anchor_tokens=_anchor_tokens(tuple(ordered)),
    )


CHILD_WORD = _words(_CHILD_NOUNS)
YOUNG_CHILD = (
    _words("baby babys peuter peuters dreumes kleuter kleine kleintje toddler infant newborn")
    + r"|\bvan [0-4](?: jaar)?\b|\b[0-4] (?:jaar|years?|yo)\b"
    + r"|\b\d+ (?:maanden|months|weken|weeks)\b"
)
NEIGHBOUR = _words(
    "buren overburen bovenburen onderburen buurjongen* buurmeisje* buurkind* buurvrouw buurman "
    "neighbours neighbors neighbour neighbor hiernaast naast_ons next_door"
)
VIOLENCE_SIGN = _words(
    "klappen geslagen mishandeld blauwe_plekken blauwe_plek striemen beaten bruises bruised "
    "welts slaan_hem slaan_haar being_hit gets_hit"
)
DRUNK = _words("dronken drunk stoned high bezopen lam wasted onder_invloed")
CAREGIVER = _words(
    "mama papa moeder vader ouders ex man vrouw partner oppas mother father mom mum dad "
    "parents babysitter stiefvader stiefmoeder"
)
TIME_SPAN = _words(
    "uur uren minuten sinds vanochtend vanmiddag vanavond vannacht gisteren gisteravond "
    "dagen nacht hours hour minutes since yesterday tonight days overnight"
)
WEAPON = _words("mes messen wapen pistool vuurwapen knife knives gun weapon")
NONPARENT_ADULT = (
    _words(
        "stiefvader stiefpapa oom buurman trainer coach oppas stepfather stepdad uncle babysitter "
        "neighbour neighbor"
    )
    + r"|\b(?:mijn|mn|m|my) (?:nieuwe |new )?(?:vriend|boyfriend)\b"
)
ADULT_STRANGER = (
    _words("volwassen* volwassene oudere older grown adult onbekende stranger")
    + r"|\b[2-9]\d(?: jaar| year| years)?(?: oude| old)? (?:man|men|guy|vrouw|woman)\b"
    + r"|\bman van [2-9]\d\b"
)
CONTACT = _words(
    "afspreken ontmoeten meet meeting fotos foto pictures photos pics naakt* nude* webcam "
    "cadeautjes gifts geheim secret"
)

_GENERIC_PARTS: frozenset[str] = frozenset(
    (
        ADULT,
        CHILD,
        MY_CHILD,
        PARTNER,
        SELF,
        ME,
        CHILD_WORD,
        YOUNG_CHILD,
        CAREGIVER,
        CHILD_WORD + r"|\b(?:hem|haar|him|her)\b",
        PARTNER + r"|\bex\b",
        NONPARENT_ADULT,
    )
)

_RULES: tuple[_Rule, ...] = (
    # suicide and self-harm -----------------------------------------------------------------------
    _rule(
        "suicide_word",
        "suicide_self_harm",
        _words(
            "zelfmoord* suicid* suicide suicidal suicidaal zelfdoding* zelfbeschadig* "
            "zelfbeschadiging zelfverwond* automutilatie levensmoe* "
            "doodswens* selfharm overdosis overdose* 113 08000113"
        ),
    ),
    _rule("self_harm_phrase", "suicide_self_harm", r"\bself harm|\bmet zelf beschadig"),
    _rule("death_wish", "suicide_self_harm", WISH, _tight_gap(2), DEATH_NL, DEATH_EXCLUDED_AFTER),
    _rule("death_wish_after", "suicide_self_harm", DEATH_NL, r" (?:[a-z]+ )?", WISH),
    _rule("rather_dead", "suicide_self_harm", r"\bliever (?:[a-z]+ )?dood\b"),
    _rule(
        "not_want_to_live",
        "suicide_self_harm",
        r"\bniet (?:[a-z]+ ){0,2}meer (?:[a-z]+ )?(?:te )?(?:leven|bestaan)\b"
        r"|\bgeen zin (?:meer )?(?:in )?(?:het|mijn|zijn|haar|dit) leven\b"
        r"|\bleven (?:heeft |is )?(?:geen zin|zinloos|niet (?:meer )?(?:de moeite )?waard)\b"
        r"|\bhet leven niet (?:meer )?(?:zitten|ziet)\b"
        r"|\bzie(?:t|n)? het (?:[a-z]+ )?niet meer zitten\b"
        r"|\b(?:wil|wilt|willen|wou|wilde) (?:[a-z]+ ){0,2}er (?:[a-z]+ )?niet meer "
        r"(?:[a-z]+ )?zijn\b"
        r"|\ber niet meer (?:wil|wilt|willen) zijn\b"
        r"|\b(?:wil|wilt|willen|wou|wilde) (?:[a-z]+ ){0,2}niet meer wakker (?:worden|te worden)\b"
        r"|\b(?:niet meer|nooit meer) wakker (?:[a-z]+ )?(?:wil|wilt|willen|hoeft|hoef) (?:te )?"
        r"worden\b",
    ),
    _rule("self_injury", "suicide_self_harm", CUT, _tight_gap(2), SELF),
    _rule("self_injury_before", "suicide_self_harm", SELF, _tight_gap(2), CUT),
    _rule(
        "self_injury_marks",
        "suicide_self_harm",
        _words("sneetjes snijwonden krassen littekens cuts scars"),
        _gap(3),
        _words("armen arm pols polsen bovenbenen wrist wrists arms thighs"),
    ),
    _rule(
        "kill_self",
        "suicide_self_harm",
        _words("kill killing killed end ending ended take taking"),
        r" (?:[a-z]+ )?",
        _words("myself himself herself themselves themself life"),
    ),
    _rule(
        "want_to_die_en",
        "suicide_self_harm",
        _words("want wants wanted wanting wanna"),
        r" to (?:[a-z]+ )?",
        _words("die dying"),
    ),
    _rule(
        "wish_dead_en",
        "suicide_self_harm",
        r"\bwish(?:es|ed)? (?:[a-z]+ ){0,2}(?:was|were|is|be) (?:dead|never born)\b"
        r"|\bwish(?:es|ed)? to die\b",
    ),
    _rule("better_off_dead_en", "suicide_self_harm", r"\b(?:rather|better off) (?:be )?dead\b"),
    _rule(
        "not_want_to_live_en",
        "suicide_self_harm",
        r"\b(?:not|no) (?:[a-z]+ ){0,2}(?:to )?live (?:anymore|any more)\b"
        r"|\bno reason to live\b|\b(?:not|no longer) want to (?:live|be alive|be here anymore)\b"
        r"|\bnever wake up\b",
    ),
    _rule("pills_many", "suicide_self_harm", MANY, _gap(3), PILLS, r".{0,40}?", SWALLOWED),
    _rule("pills_many_after", "suicide_self_harm", SWALLOWED, _gap(2), MANY, _gap(3), PILLS),
    _rule(
        "harm_self_idiom",
        "suicide_self_harm",
        SELF,
        r" (?:[a-z]+ )?(?:iets|wat) (?:[a-z]+ )?(?:aandoen|aan doen|aangedaan|aan te doen)\b",
    ),
    _rule(
        "hang_self",
        "suicide_self_harm",
        _words("ophangen opgehangen verhangen verhangt"),
        _gap(1),
        SELF,
    ),
    _rule(
        "hang_self_before",
        "suicide_self_harm",
        SELF,
        _gap(1),
        _words("ophangen opgehangen verhangen verhangt"),
    ),
    _rule(
        "jump_self",
        "suicide_self_harm",
        r"\b(?:voor de trein|van het dak|van de flat|van een brug) (?:[a-z]+ )?(?:springen|"
        r"springt|gooien|werpen)\b",
    ),
    # sexual abuse --------------------------------------------------------------------------------
    _rule(
        "sexual_abuse_word",
        "sexual_abuse",
        _words(
            "misbruikt misbruik misbruiken misbruikte aangerand aanranding aanrandt verkracht "
            "verkrachting verkrachten ontucht groomt gegroomd groomed incest molested molesting "
            "molests molestation raped rape raping sexually_abused sexual_abuse sextortion "
            "ongewenst_aangeraakt ongepast_aangeraakt seksueel_overschrijdend"
        ),
    ),
    _rule(
        "inappropriate_touch",
        "sexual_abuse",
        _words("aangeraakt aanraakt aanraken betast betasten betastte touched touches touching"),
        _gap(3),
        _words("ongepast ongewenst inappropriately"),
    ),
    _rule(
        "adult_genitals",
        "sexual_abuse",
        ADULT,
        _tight_gap(4),
        _words(
            "zit zat zitten zaten zit_aan touches touched touching laat liet toont toonde "
            "showed shows betast"
        ),
        _gap(4),
        GENITALS,
    ),
    _rule(
        "nude_blackmail",
        "sexual_abuse",
        NUDE,
        _gap(8),
        BLACKMAIL + "|" + _words("dreigt dreigde volwassen volwassene adult"),
    ),
    _rule(
        "blackmail_nude",
        "sexual_abuse",
        BLACKMAIL,
        _gap(8),
        NUDE + "|" + _words("fotos foto pictures photos pics filmpje video"),
    ),
    _rule(
        "older_stranger",
        "sexual_abuse",
        _words("volwassen volwassene oudere older grown"),
        r" (?:[a-z]+ )?",
        _words("man mannen vrouw jongen men guy stranger"),
        _gap(10),
        _words("seks* sex* naakt* nude* afspreken ontmoeten meet sexual sexueel seksueel"),
    ),
    # domestic violence ---------------------------------------------------------------------------
    _rule(
        "domestic_violence_word",
        "domestic_violence",
        _words("huiselijk_geweld partnergeweld domestic_violence domestic_abuse veilig_thuis"),
    ),
    _rule("partner_hits_me", "domestic_violence", PARTNER, _tight_gap(4), HIT, _gap(2), ME),
    _rule("partner_me_hit", "domestic_violence", PARTNER, _tight_gap(3), ME, _tight_gap(3), HIT),
    _rule("afraid_of_partner", "domestic_violence", FEAR, r" (?:voor|of) ", PARTNER),
    _rule(
        "partner_threatens_kill",
        "domestic_violence",
        PARTNER,
        _gap(8),
        r"(?:\bvermoord\w*|\bdood (?:maken|te maken|maakt|maak)|\bkill (?:me|you|us))\b",
    ),
    _rule("partner_hits_child", "child_abuse", PARTNER, _tight_gap(4), HIT, _gap(3), CHILD),
    # child abuse ---------------------------------------------------------------------------------
    _rule(
        "child_abuse_word",
        "child_abuse",
        _words(
            "kindermishandeling mishandeld mishandelt mishandelen mishandeling child_abuse "
            "abused abusing"
        ),
    ),
    _rule("adult_hits_child", "child_abuse", ADULT, _tight_gap(4), HIT, _gap(3), CHILD),
    _rule(
        "adult_child_hit",
        "child_abuse",
        ADULT,
        _tight_gap(3),
        _words(_CHILD_NOUNS + " hem haar ze"),
        _tight_gap(3),
        HIT,
    ),
    _rule(
        "child_hit_by_adult",
        "child_abuse",
        CHILD,
        _gap(4),
        _words("geslagen geschopt getrapt gewurgd hit beaten kicked"),
        _gap(2),
        r"(?:door|by) ",
        ADULT,
    ),
    _rule(
        "hit_at_home",
        "child_abuse",
        _words("geslagen geschopt getrapt mishandeld beaten"),
        _tight_gap(2),
        _words("thuis"),
    ),
    _rule(
        "afraid_to_go_home",
        "child_abuse",
        r"\b(?:bang|durft niet|afraid|scared)(?: [a-z]+){0,2} (?:om )?(?:naar huis (?:te gaan|"
        r"te komen)?|thuis te komen|to go home)\b",
    ),
    _rule(
        "bruises_adult",
        "child_abuse",
        _words("blauwe_plek blauwe_plekken bruises bruised"),
        _gap(10),
        ADULT,
    ),
    _rule(
        "adult_bruises",
        "child_abuse",
        ADULT,
        _gap(10),
        _words("blauwe_plek blauwe_plekken bruises bruised"),
    ),
    _rule(
        "shaken_baby",
        "child_abuse",
        _words("geschud shook shaken shaking"),
        _gap(3),
        _words("baby babys kind"),
    ),
    _rule(
        "baby_shaken", "child_abuse", _words("baby babys"), _gap(4), _words("geschud shook shaken")
    ),
    _rule("door_elkaar_geschud", "child_abuse", r"\bdoor elkaar (?:geschud|schud|schudden)\b"),
    # harm fear: a parent afraid of what they might do ---------------------------------------------
    _rule(
        "fear_of_hurting",
        "harm_fear",
        r"\b(?:bang|angst|vrees)(?: [a-z]+){0,3} (?:dat )?ik (?:[a-z]+ ){0,4}"
        r"(?:iets aan ?doe|iets aandoe|wat aandoe|pijn doe|ga slaan|zal slaan|sla|ga schudden|"
        r"schud|kwaad doe|iets ergs doe|iets aan zal doen|iets aan ga doen|ga doen)\b",
    ),
    _rule(
        "fear_of_hurting_en",
        "harm_fear",
        r"\b(?:afraid|scared|terrified|fear|worried|frightened)(?: [a-z]+){0,3} (?:that )?i "
        r"(?:[a-z]+ ){0,3}(?:hurt|harm|shake|hit|snap)\b",
    ),
    _rule(
        "will_harm_child",
        "harm_fear",
        r"\bik (?:[a-z]+ ){0,3}(?:iets|wat) (?:ga |zal |zou |kan )?(?:aandoe|aandoen|aan doe|"
        r"aan doen|aan zal doen|aan ga doen)\b",
    ),
    _rule(
        "urge_to_hurt",
        "harm_fear",
        r"\b(?:ik|i) (?:[a-z]+ ){0,3}(?:neiging|drang|zin|urge|tempted|gedachten|gedachtes|"
        r"gedachte|thoughts|beelden)(?: [a-z]+){0,2} "
        r"(?:om |to )?(?:[a-z]+ ){0,2}(?:te slaan|te schudden|iets aan te doen|pijn te doen|"
        r"hit|shake|hurt|harm)\b",
    ),
    _rule(
        "almost_hurt",
        "harm_fear",
        r"\b(?:ik|i) (?:[a-z]+ ){0,3}(?:bijna|almost|nearly)(?: [a-z]+){0,3} (?:geslagen|"
        r"geschud|hit|shook|hurt|slapped)\b",
    ),
    _rule(
        "might_hurt",
        "harm_fear",
        r"\b(?:i|ik) (?:might|could|will|kan|ga|zou|would) (?:[a-z]+ ){0,2}(?:hurt|harm|shake|"
        r"iets aandoen|pijn doen|iets aan doen)\b",
    ),
    _rule(
        "parent_hit_child",
        "harm_fear",
        r"\b(?:ik|i) (?:heb|had|have|ve) (?:[a-z]+ ){0,5}(?:geslagen|geschud|geschopt|"
        r"hit|shook|shaken|slapped|kicked)\b|\b(?:ik|i) (?:sloeg|schudde|shook|slapped|kicked) "
        r"(?:[a-z]+ ){0,2}(?:hem|haar|mijn|my|the|him|her|ons|our)\b",
    ),
    _rule(
        "lose_control",
        "harm_fear",
        r"\b(?:bang|afraid|scared)(?: [a-z]+){0,3} (?:dat )?(?:ik|i) (?:[a-z]+ ){0,3}"
        r"(?:controle verlies|mezelf niet (?:meer )?in de hand|lose control)\b",
    ),
    # neglect -------------------------------------------------------------------------------------
    _rule(
        "neglect_word",
        "neglect",
        _words("verwaarloosd verwaarloost verwaarlozing verwaarlozen neglect neglected neglecting"),
    ),
    _rule(
        "no_food_given",
        "neglect",
        r"\b(?:krijgt|krijgen|kreeg|kregen) (?:al dagen |thuis |daar )(?:geen|niks|niets|"
        r"nauwelijks) (?:te )?eten\b|\bhonger (?:laten )?lijden\b|\bgeen eten (?:in huis )?"
        r"voor (?:de|mijn|onze) (?:kinderen|baby|kids)\b",
    ),
    _rule(
        "left_alone_young",
        "neglect",
        _words("baby peuter dreumes toddler babys"),
        _gap(6),
        r"(?:alleen (?:thuis )?(?:gelaten|achtergelaten)|left alone|alone at home)\b",
    ),
    _rule(
        "drunk_caring",
        "neglect",
        ADULT,
        _gap(3),
        _words("dronken stoned drunk high zat"),
        _gap(8),
        _words("kinderen kids baby oppassen past zorgt zorgen rijdt auto driving car"),
    ),
    # child in danger now -------------------------------------------------------------------------
    _rule(
        "child_missing",
        "child_in_danger",
        MY_CHILD,
        _gap(4),
        r"(?:is|zijn|raakte|al|sinds|has|have|went|gone|been)(?: [a-z0-9]+){0,4} "
        r"(?:vermist|zoek|weggelopen|verdwenen|spoorloos|onvindbaar|ontvoerd|missing|"
        r"disappeared|run away|ran away|kidnapped|abducted)\b(?! (?:op|van|aan|naar))",
    ),
    _rule(
        "child_lost",
        "child_in_danger",
        r"\b(?:ben|zijn) (?:mijn|ons|onze|m|de) (?:[a-z]+ )?",
        _words(_CHILD_NOUNS),
        r" kwijt\b",
    ),
    _rule(
        "child_is_lost",
        "child_in_danger",
        MY_CHILD,
        r" (?:is|zijn) (?:al |sinds |nu |ineens |opeens |helemaal )?kwijt\b",
    ),
    _rule(
        "cannot_find_child",
        "child_in_danger",
        r"\b(?:kan|kunnen|cant|cannot|can not|couldnt|vind|vinden)(?: [a-z]+){0,2} ",
        MY_CHILD,
        r"(?: [a-z]+){0,2} (?:niet|nergens|meer)?(?: meer)? ?(?:vinden|find|found)\b",
    ),
    _rule(
        "not_come_home",
        "child_in_danger",
        r"\b(?:niet|nog steeds niet) (?:[a-z]+ ){0,2}(?:thuisgekomen|thuis gekomen|"
        r"teruggekomen|terug gekomen|komen opdagen)\b"
        r"|\b(?:didnt|hasnt|has not|did not|never) (?:[a-z]+ ){0,2}(?:come|came) (?:back )?home\b",
    ),
    _rule(
        "do_not_know_where",
        "child_in_danger",
        r"\b(?:weet|weten|know)(?: [a-z]+){0,2} (?:niet|not) (?:waar|where) (?:[a-z]+ ){1,3}"
        r"(?:is|zit|zijn|zitten|uithangt|uithangen|was|waren)\b(?: [a-z]+){0,6} "
        r"(?:sinds|al|uur|uren|nacht|gisteren|since|hours|night|yesterday)\b",
    ),
    _rule("poison_swallowed", "child_in_danger", SWALLOWED_POISON, _gap(4), POISON),
    _rule("poison_before", "child_in_danger", POISON, _gap(4), SWALLOWED_POISON),
    _rule(
        "pills_swallowed_child",
        "child_in_danger",
        _words("peuter dreumes baby kleuter toddler"),
        _gap(8),
        PILLS,
        _gap(4),
        _words("ingeslikt geslikt opgegeten gegeten swallowed ate eaten"),
    ),
    _rule(
        "child_swallowed_pills",
        "child_in_danger",
        _words("peuter dreumes baby kleuter toddler"),
        _gap(6),
        _words("ingeslikt geslikt opgegeten gegeten swallowed ate eaten"),
        _gap(4),
        PILLS,
    ),
    _rule(
        "not_breathing",
        "child_in_danger",
        r"\b(?:ademt niet|ademt niet meer|not breathing|"
        r"stopped breathing|bewusteloos|unconscious|niet meer wakker te krijgen|"
        r"blauw aangelopen|stuiptrekkingen)\b",
    ),
    _rule(
        "weapon_threat",
        "child_in_danger",
        _words("mes messen wapen pistool knife gun weapon"),
        _gap(5),
        _words("bedreigt bedreigd dreigt dreigde bedreigde threatened threatens steken stak"),
    ),
    _rule(
        "threat_weapon",
        "child_in_danger",
        _words("bedreigt bedreigd dreigt dreigde bedreigde threatened threatens"),
        _gap(6),
        _words("mes messen wapen pistool knife gun weapon"),
    ),
    # broader concepts, found together in one sentence or in the message -----------------------
    _rule(
        "better_off_without",
        "suicide_self_harm",
        r"\bbeter af (?:[a-z]+ ){0,2}zonder (?:mij|me|haar|hem|ons)\b|\bzonder (?:mij|me|haar|hem) "
        r"(?:[a-z]+ ){0,2}beter af\b|\bbetter off without (?:me|her|him|us)\b"
        r"|\bniemand (?:zal|zou) (?:mij|me|haar|hem) (?:missen|mist)\b"
        r"|\bnobody (?:will|would) miss\b",
    ),
    _rule(
        "goodbye_signs",
        "suicide_self_harm",
        _words(
            "afscheidsbrief* afscheidsbericht* suicide_note goodbye_letter goodbye_note "
            "sorry_voor_alles sorry_for_everything"
        )
        + r"|\b(?:geeft|gaf|weggeven|gives|giving|gave) (?:[a-z]+ ){0,3}(?:spullen|bezittingen|"
        r"things|stuff|belongings) (?:[a-z]+ )?(?:weg|away)\b",
    ),
    _rule(
        "end_it",
        "suicide_self_harm",
        r"\b(?:er )?een (?:eind|einde) aan (?:[a-z]+ ){0,2}(?:te )?(?:maken|maakt)\b"
        r"|\ber een punt achter "
        r"(?:te )?zetten\b|\bend it all\b|\bend it\b(?! (?:with|between))|\bend (?:my|his|her) "
        r"(?:own )?life\b",
    ),
    _together(
        "jump_from_height",
        "suicide_self_harm",
        r"\b(?:van|from|off|vanaf) (?:het|de|een|the|a|his|her) (?:[a-z]+ )?(?:balkon|dak|flat|"
        r"brug|gebouw|raam|balcony|roof|bridge|building|window)\b",
        _words("springen springt spring sprong jump jumps jumping jumped"),
    ),
    _rule(
        "train",
        "suicide_self_harm",
        r"\b(?:voor|onder) (?:de|een) trein\b|\bin front of (?:a|the) train\b",
    ),
    _rule(
        "kill_self_nl",
        "suicide_self_harm",
        SELF,
        r" (?:[a-z]+ ){0,2}(?:te )?(?:vermoorden|doodmaken|dood maken|dood te maken|"
        r"van kant (?:te )?maken|om het leven (?:te )?brengen|verdrinken|ophangen)\b",
    ),
    _together(
        "pills_stockpile",
        "suicide_self_harm",
        PILLS,
        _words(
            "klaarliggen klaargelegd klaar_liggen klaar_gelegd verzamelt verzameld "
            "verzamelen spaart gespaard sparen saving saved stockpiling stockpile "
            "hoarding hoards"
        ),
    ),
    _together(
        "pills_death",
        "suicide_self_harm",
        PILLS,
        r"\bdood\b|\bdie\b|\bdodelijk\b|\blethal\b|\boverdos",
    ),
    _rule(
        "disappear_forever",
        "suicide_self_harm",
        r"\b(?:verdwijnen|disappear)(?: [a-z]+){0,2} (?:voor altijd|forever|for good)\b"
        r"|\bvoor altijd (?:verdwijnen|slapen|weg (?:zijn|gaan))\b|\bsleep forever\b",
    ),
    _rule(
        "cut_body",
        "suicide_self_harm",
        _words("snijdt snijden sneed snijd krast krassen kraste cuts cutting cut"),
        _gap(3),
        _words("arm armen pols polsen benen bovenbenen buik arms wrist wrists legs thighs"),
    ),
    _together("neighbour_violence", "child_abuse", NEIGHBOUR, VIOLENCE_SIGN, whole_message=True),
    _together(
        "neighbour_home_alone",
        "neglect",
        NEIGHBOUR,
        r"\balleen thuis\b|\bhome alone\b|\balone at home\b|\bverwaarloosd\b|\bhonger\b",
        whole_message=True,
    ),
    _rule(
        "not_dare_go_home",
        "child_abuse",
        r"\bniet (?:meer )?(?:naar huis|thuis) (?:durft|durven|durfde)\b|\bdurft (?:[a-z]+ )?niet "
        r"(?:meer )?(?:naar huis|thuis)\b",
    ),
    _together(
        "locked_up",
        "child_abuse",
        r"\b(?:opsluit|opsluiten|opgesloten|sluit (?:[a-z]+ ){0,3}op|locks? (?:[a-z]+ ){0,3}in|"
        r"locked (?:[a-z]+ ){0,3}in|shuts? (?:[a-z]+ ){0,3}in)\b",
        _words("kelder kast schuur hok zolder kooi basement cupboard closet shed cage garage"),
    ),
    _rule("welts", "child_abuse", _words("striemen striem welts sigarettenbrandwonden")),
    _together(
        "hit_with_object",
        "child_abuse",
        HIT,
        r"\b(?:met|with) (?:een|de|het|a|the|his|her|zijn|haar) (?:riem|stok|pollepel|"
        r"slipper|broeksriem|belt|stick|spoon|cable|kabel|snoer)\b",
    ),
    _together(
        "grabbed_throat",
        "domestic_violence",
        ADULT,
        _words("keel nek hals throat neck"),
        _words(
            "gegrepen grijpt greep dichtgeknepen dichtgedrukt dichtknijpt knijpt kneep "
            "gewurgd wurgt wurgde grabbed grabs squeezed squeezes choked chokes "
            "strangled"
        ),
        whole_message=True,
    ),
    _rule(
        "threatens_harm",
        "domestic_violence",
        r"\b(?:dreigt|dreigde|bedreigt|bedreigde|threatens|threatened|threatening)(?: [a-z]+){0,3} "
        r"(?:iets aan te doen|te vermoorden|dood te maken|pijn te doen|te steken|kill|hurt|harm|"
        r"stab)\b",
    ),
    _together(
        "partner_weapon", "domestic_violence", PARTNER + r"|\bex\b", WEAPON, whole_message=True
    ),
    _rule(
        "adult_touches_child",
        "sexual_abuse",
        ADULT,
        _tight_gap(4),
        _words(
            "aanraakt aangeraakt aanraken betast betastte betasten touches touched touching "
            "fondles fondled"
        ),
    ),
    _together(
        "adult_genitals_touch",
        "sexual_abuse",
        ADULT,
        r"\baan (?:zijn |haar |mijn |m |z |de |het )?(?:" + GENITALS + ")",
    ),
    _together(
        "night_room_adult",
        "sexual_abuse",
        NONPARENT_ADULT,
        _words("kamer slaapkamer bed badkamer douche room bedroom bathroom shower"),
        r"\bnachts\b|\bnacht\b|\bnight\b|\bdeur (?:[a-z]+ )?(?:dicht|op slot)\b|\bdoor "
        r"(?:closed|shut|locked)\b|\blocks the door\b|\bgeheim|\bsecret",
        whole_message=True,
    ),
    _together(
        "adult_secret",
        "sexual_abuse",
        ADULT,
        r"\bgeheim|\bsecret",
        _words(
            "aanraakt aangeraakt aanraken kusjes zoenen zoent kietelen naakt* fotos "
            "touch touches touched touching kiss kisses kissing nude naked"
        ),
        whole_message=True,
    ),
    _together(
        "adult_stranger_contact", "sexual_abuse", ADULT_STRANGER, CONTACT, whole_message=True
    ),
    _together(
        "nude_adult", "sexual_abuse", NUDE, ADULT_STRANGER + "|" + BLACKMAIL, whole_message=True
    ),
    _together(
        "alone_young_child",
        "neglect",
        YOUNG_CHILD,
        r"\b(?:laat|liet|laten|gelaten|achtergelaten|leaves|left)\b(?: [a-z0-9]+){0,6} "
        r"(?:alleen|alone)\b",
        _words(
            "hele_dag hele_nacht dagen nachten stappen uitgaan feest dronken drunk kroeg "
            "all_day all_night days party altijd always urenlang"
        ),
        whole_message=True,
    ),
    _together(
        "no_food_hungry",
        "neglect",
        r"\bgeen eten\b|\b(?:niks|niets) te eten\b|\bnothing to eat\b|\bno food\b",
        r"\bhonger\b|\bhungry\b|\b(?:niks|niets|nothing) (?:meer )?(?:gegeten|gehad|eaten)\b|"
        r"\bnot eaten\b|\bsinds gisteren\b|\bdagen\b|\bdays\b",
        whole_message=True,
    ),
    _together(
        "drunk_caregiver",
        "neglect",
        DRUNK,
        CAREGIVER,
        _words(
            "alleen alone past_op oppassen zorgt zorgen rijdt auto driving car kleine "
            "baby peuter toddler"
        ),
        whole_message=True,
    ),
    _together(
        "missing_for_time",
        "child_in_danger",
        CHILD_WORD + r"|\b(?:hem|haar|him|her)\b",
        _words("vermist zoek kwijt missing spoorloos onvindbaar disappeared")
        + r"|\bnergens (?:te )?(?:vinden|gevonden)\b|\b(?:cant|can not|cannot) find\b",
        TIME_SPAN + r"|\bhelp\b|\banywhere\b|\bnergens\b",
        whole_message=True,
    ),
    _rule(
        "cannot_find_them",
        "child_in_danger",
        r"\b(?:kan|kunnen|can|could) (?:not |niet )?(?:[a-z]+ )?(?:find|vinden) "
        r"(?:him|her|them|hem|haar)\b(?: [a-z]+)* ?(?:niet|nergens|anywhere)?",
    ),
    _together(
        "not_home_for_time",
        "child_in_danger",
        CHILD_WORD,
        r"\bniet (?:meer )?thuis\b(?! (?:blijven|slapen|eten))|\bnot (?:been )?home\b",
        _words(
            "dagen nacht sinds gisteren gisteravond vannacht days since night yesterday overnight"
        ),
    ),
    _together(
        "alone_outside_at_night",
        "child_in_danger",
        CHILD_WORD + "|" + _words("jongetje meisje kleine peuter kleuter"),
        r"\balleen (?:op straat|buiten|over straat)\b|\bzwerft\b|\balone (?:on|in|outside)\b|"
        r"\bwandering\b",
        _words("niemand pyjama verdwaald huilend nobody pyjamas pajamas lost crying"),
        whole_message=True,
    ),
    _rule(
        "unsafe_at_home",
        "child_in_danger",
        r"\b(?:niet veilig|onveilig|not safe|unsafe)(?: [a-z]+){0,2} (?:thuis|home)\b",
    ),
)

# Look-alikes: everyday phrases with crisis words. They are blanked before the rules run.
_EXCLUSIONS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # "dood" as an intensifier: doodmoe, dood op, doodsbang, dood vervelen, ...
        r"\bdood (?:moe|op|ziek|bang|eng|stil|gewoon|normaal|leuk|zonde|nerveus|zenuwachtig|"
        r"serieus|jammer)\b",
        r"\bverveelt? (?:zich|zichzelf|me|mij) (?:dood|een ongeluk)\b",
        r"\b(?:lacht|lachen|lach|schrok|schrik|schrikt|schrokken) (?:me|mij|zich|ons)? ?dood\b",
        # a child who threatens in a game or in anger: "ik maak je dood", "ik schiet je dood"
        r"\b(?:maak|maakt|schiet|schieten|sla|slaat) (?:je|jou|jullie|hem|haar|iedereen|"
        r"ze|mama|papa|de [a-z]+) (?:[a-z]+ )?dood\b",
        r"\b(?:wil|wilt) (?:je|jou|jullie|hem|haar|iedereen|ze|mama|papa) (?:[a-z]+ )?dood "
        r"(?:maken|schieten|slaan)\b",
        r"\bkill (?:you|him|her|them|everyone|mum|mom|dad|his|her)\b",
        # hyperbole: "mijn man vermoordt me als ik weer iets koop", "she'll kill me if I'm late"
        r"\bvermoordt? (?:me|mij|ons|je) (?:[a-z]+ )?(?:als|wanneer|if)\b",
        r"\b(?:will|gonna|going to|ll) kill (?:me|us) (?:[a-z]+ )?(?:if|when)\b",
        # English everyday "kill" / "die"
        r"\b(?:killed it|killing it|killing me|kills me|dying to|die laughing|bored to death|"
        r"scared to death|dead tired)\b",
        # fear of death or of someone dying: a normal childhood fear
        r"\b(?:bang|angst|afraid|scared|worried)(?: [a-z]+){0,3} (?:dat |om |that |of )?"
        r"(?:(?:ik|jij|je|hij|zij|ze|papa|mama|opa|oma|wij|we|i|you|he|she)(?: [a-z]+)? )?"
        r"(?:dood (?:gaat|gaan|ga|te gaan)|doodgaat|doodgaan|doodga|die|dying)\b",
        r"\bwil niet dat (?:ik|jij|je|hij|zij|ze|papa|mama|opa|oma|wij|we)(?: [a-z]+){0,2} dood",
        # "op zoek naar", "misbruik maken van" (taking advantage)
        r"\bop zoek\b",
        r"\bmisbruik (?:maken|maakt|maak|gemaakt) van\b|\b(?:maakt|maken|maak|gemaakt) "
        r"(?:[a-z]+ ){0,2}misbruik\b|\bmisbruikt? (?:mijn|ons|zijn|haar|het) vertrouwen\b",
        r"\b(?:alcohol|drugs|middelen|drank)misbruik\b|\bmisbruik van (?:alcohol|drugs|middelen)\b",
        # games and fiction
        r"\b(?:spel|spelletje|game|games|fortnite|minecraft|film|boek|verhaal|tekenfilm)"
        r"(?: [a-z]+){0,4} (?:dood|vermoord|killed|kill|die|dies)\b",
    )
)

_FUZZY_MIN_LENGTH = 5
_FUZZY_CUTOFF = 80.0


@lru_cache(maxsize=1)
def _lexicon() -> tuple[str, ...]:
    return tuple(sorted(word for word in _LEXICON if len(word) >= _FUZZY_MIN_LENGTH))


@lru_cache(maxsize=50_000)
def _canonical(token: str) -> str:
    """The lexicon word a misspelt token stands for; real words and numbers stay as they are."""
    if len(token) < _FUZZY_MIN_LENGTH or token.isdigit() or token in _LEXICON:
        return token
    if is_known_word(token, "nl") or is_known_word(token, "en"):
        return token
    match = process.extractOne(token, _lexicon(), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
    return match[0] if match else token


_SENTENCE_BREAK = re.compile(r"[.!?;:,\"\n\r]+|\s[-–]\s")
MAX_CHARACTERS = 20_000


def crisis_text(text: str) -> str:
    """The message as the rules see it: canonical words, sentences separated by " | "."""
    sentences = _SENTENCE_BREAK.split(fold(text[:MAX_CHARACTERS]))
    parts = []
    for sentence in sentences:
        tokens = [_canonical(token) for token in words(sentence)]
        if tokens:
            parts.append(" ".join(tokens))
    return " " + " | ".join(parts) + " "


def detect_crisis(text: str) -> CrisisSignal | None:
    """The first crisis rule that fires on the message, or None."""
    prepared = crisis_text(text)
    for exclusion in _EXCLUSIONS:
        prepared = exclusion.sub(" _ ", prepared)
    sentences = prepared.split(" | ")
    whole = set(prepared.split())
    prefixes = {token[:end] for token in whole for end in range(2, len(token) + 1)}
    for rule in _RULES:
        if rule.fires(sentences, prepared, whole, prefixes):
            return CrisisSignal(rule.category, rule.name)
    return None
