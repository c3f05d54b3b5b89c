"""Crisis detection: signs per category in Dutch and English (with typos); no look-alikes."""

from __future__ import annotations

import pytest

from knowledge_base.crisis import CATEGORIES, detect_crisis

POSITIVE: list[tuple[str, str]] = [
    # suicide and self-harm
    ("suicide_self_harm", "mijn dochter van 14 praat steeds over zelfmoord"),
    ("suicide_self_harm", "mijn zoon heeft zelfmoordgedachten, wat moet ik doen"),
    ("suicide_self_harm", "ze zei gisteren dat ze dood wil"),
    ("suicide_self_harm", "hij wil niet meer leven zegt hij"),
    ("suicide_self_harm", "mn puber krast zichzelf met een schaartje"),
    ("suicide_self_harm", "ik zag sneetjes op haar polsen"),
    ("suicide_self_harm", "ik zie het leven niet meer zitten"),
    ("suicide_self_harm", "ik zie het echt niet meer zitten allemaal"),
    ("suicide_self_harm", "ik wil er gewoon niet meer zijn"),
    ("suicide_self_harm", "hij zegt dat iedereen beter af is zonder hem"),
    ("suicide_self_harm", "ze heeft een hele strip paracetamol ingenomen"),
    ("suicide_self_harm", "hij heeft een briefje geschreven dat hij er een einde aan wil maken"),
    ("suicide_self_harm", "mijn zoon wil zelfmort plegen"),  # typo
    ("suicide_self_harm", "mijn dochter is suicidaal"),
    ("suicide_self_harm", "hij zegt dat hij niet meer wakker wil worden"),
    ("suicide_self_harm", "my son told me he wants to kill himself"),
    ("suicide_self_harm", "my daughter has been self harming for months"),
    ("suicide_self_harm", "she says she wishes she was dead"),
    ("suicide_self_harm", "I don't want to live anymore"),
    ("suicide_self_harm", "my teen is sucidal"),  # typo
    ("suicide_self_harm", "he keeps hiding and saving his pills"),
    # child abuse
    ("child_abuse", "mijn ex slaat de kinderen als ze bij hem zijn"),
    ("child_abuse", "haar stiefvader schopt haar als hij boos is"),
    ("child_abuse", "de oppas heeft mijn baby door elkaar geschud"),
    ("child_abuse", "mijn zoontje heeft blauwe plekken en durft niet naar huis"),
    ("child_abuse", "de buren slaan hun kinderen, ik hoor elke nacht klappen"),
    ("child_abuse", "hij sluit de kleine op in de kast als straf"),
    ("child_abuse", "my stepdad beats my little brother"),
    ("child_abuse", "her father hits her with a belt"),
    # sexual abuse
    ("sexual_abuse", "mijn dochter is misbruikt door een oom"),
    ("sexual_abuse", "de buurman zit aan haar piemel zegt mijn zoon"),
    ("sexual_abuse", "mijn dochter is aangerant op een feest"),
    ("sexual_abuse", "een oudere man wil via instagram afspreken met mijn dochter van 12"),
    ("sexual_abuse", "iemand chanteert mijn zoon met naaktfoto's"),
    ("sexual_abuse", "my daughter was molested by her coach"),
    ("sexual_abuse", "a 40 year old man keeps asking my son for photos"),
    # neglect
    ("neglect", "ik denk dat de kinderen van mijn zus verwaarloosd worden"),
    ("neglect", "de moeder laat de peuter de hele nacht alleen als ze uitgaat"),
    ("neglect", "my ex is drunk every time she has to look after the baby"),
    ("neglect", "er is al dagen geen eten in huis en de kinderen hebben honger"),
    # domestic violence
    ("domestic_violence", "mijn man slaat me als hij gedronken heeft"),
    ("domestic_violence", "mn vriend heeft me gisteren geschopt waar de kinderen bij waren"),
    ("domestic_violence", "ik ben bang voor mijn partner"),
    ("domestic_violence", "mijn ex dreigt me iets aan te doen"),
    ("domestic_violence", "my husband hit me again last night"),
    ("domestic_violence", "my boyfriend choked me by the throat"),
    ("domestic_violence", "er is huiselijk geweld bij ons thuis"),
    # a parent afraid of what they might do
    ("harm_fear", "ik ben bang dat ik mijn zoon iets aandoe"),
    ("harm_fear", "soms heb ik de neiging om de baby te schudden"),
    ("harm_fear", "ik heb mijn dochter vandaag geslagen en ik schrik van mezelf"),
    ("harm_fear", "ik heb het gevoel dat ik mijn baby iets ga aandoen"),
    ("harm_fear", "I'm scared I will hurt my baby"),
    ("harm_fear", "i nearly shook him last night"),
    # a child in danger right now
    ("child_in_danger", "mijn dochter van 6 is al een uur vermist"),
    ("child_in_danger", "ik kan mijn zoon nergens vinden in het park"),
    ("child_in_danger", "mijn zoon van 16 is vannacht niet thuisgekomen"),
    ("child_in_danger", "mijn peuter heeft een vaatwastablet ingeslikt"),
    ("child_in_danger", "mijn kind ademt niet meer goed en is blauw aangelopen"),
    ("child_in_danger", "my daughter is missing since this morning"),
    ("child_in_danger", "my toddler drank bleach"),
    ("child_in_danger", "mijn zoon wordt bedreigd met een mes"),
    (
        "child_in_danger",
        "mijn ex is met de kinderen vertrokken en ik weet niet waar ze zijn sinds vanochtend",
    ),
]

LOOKALIKES: list[str] = [
    "mijn peuter slaat zijn zusje als ze zijn speelgoed pakt",
    "hoe leg ik mijn kind uit dat opa dood is",
    "ik ben doodmoe van de nachten",
    "hij is doodsbang voor de hond van de buren",
    "tijdens het spelen roept hij ik maak je dood",
    "mijn zoon schiet in fortnite iedereen dood",
    "onze kat is dood en mijn dochter huilt veel",
    "mijn kind is bang dat ik dood ga",
    "my son killed it at his swimming lesson",
    "I'm dead tired of the bedtime battles",
    "mijn dochter van 4 zit aan haar plassertje, is dat normaal",
    "mijn zoon wordt op school geschopt door klasgenoten",
    "mijn dochter kan niet zonder haar telefoon leven",
    "hij raakt steeds zijn gymspullen kwijt",
    "mijn puber wil niet meer met ons mee op vakantie",
    "mijn zoon is op zoek naar een bijbaantje",
    "mag mijn zoon van 11 een uurtje alleen thuis blijven",
    "de juf zegt dat hij andere kinderen slaat",
    "mijn man slaapt bij de kinderen op de kamer",
    "ik krijg geen eten in haar, ze wil alleen pasta",
    "mijn zoon van 16 kwam dronken thuis van een feest",
    "mijn baby huilt zich helemaal kapot elke avond",
    "mijn puber maakt misbruik van mijn vertrouwen",
    "ik word zo boos op mijn kind dat ik ga schreeuwen",
    "mijn zoon neemt zijn adhd medicijnen niet in",
    "hij bijt andere kindjes op de opvang",
    "my toddler hits his sister when she takes his toys",
    "how do I explain to my child that grandma died",
    "she is scared of dying after grandpa's funeral",
    "mijn man vermoordt me als ik weer schoenen koop haha",
    "de buren klagen dat onze baby 's nachts huilt",
    "mijn zoon van 4 is bang voor het donker en wil niet alleen slapen",
    "ik schaam me dood als hij in de winkel gaat gillen",
    "ze zit in de puberteit en wil niet meer met mij praten",
]


@pytest.mark.parametrize(("category", "text"), POSITIVE)
def test_crisis_signs_are_detected(category: str, text: str) -> None:
    signal = detect_crisis(text)
    assert signal is not None, text
    assert signal.category == category, (text, signal)
    assert text not in signal.rule


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_are_not_flagged(text: str) -> None:
    assert detect_crisis(text) is None


def test_every_category_has_positive_cases_in_both_languages() -> None:
    english_words = {"my", "i", "I'm", "she", "he", "a", "her"}
    for category in CATEGORIES:
        cases = [text for cat, text in POSITIVE if cat == category]
        assert any(not set(text.split()) & english_words for text in cases), category
        assert any(set(text.split()) & english_words for text in cases), category


def test_empty_and_odd_input_is_not_a_crisis() -> None:
    for text in ("", "   ", "?!?!", "😀😀", "a" * 10_000):
        assert detect_crisis(text) is None
