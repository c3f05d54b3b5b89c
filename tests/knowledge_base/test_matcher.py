"""Matcher outcomes on the real knowledge base, the JSON line format, and robustness on any text."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base import Matcher, MatcherSettings
from knowledge_base.crisis import NoCrisisCheck
from knowledge_base.matcher import OUTCOMES

# Paraphrases written for these tests (not taken from the entries or the dev set).
PARAPHRASES: list[tuple[str, str]] = [
    ("mijn zoon van 7 plast nog elke nacht in bed", "bedplassen"),
    ("hoe lang mag een kind van 10 per dag gamen", "schermtijd"),
    ("mijn dochter van 3 wil haar speen niet opgeven", "speen-duimen"),
    ("hoe kan ik mijn gegevens laten verwijderen", "privacy"),
]


def test_a_paraphrase_is_answered_from_its_topic(real_matcher: Matcher) -> None:
    for text, topic in PARAPHRASES:
        decision = real_matcher.decide(text)
        assert decision.outcome == "answer", (text, decision)
        assert decision.topic == topic, (text, decision)
        assert decision.entry is not None
        assert real_matcher.kb.entry(decision.entry).topic == topic


def test_an_entry_question_answers_with_that_entry(real_matcher: Matcher) -> None:
    answered = [
        entry
        for entry in real_matcher.kb.entries.values()
        if real_matcher.decide(entry.question).entry == entry.id
    ]
    assert len(answered) >= 0.9 * len(real_matcher.kb.entries)


def test_gibberish_and_chit_chat_are_routed(real_matcher: Matcher) -> None:
    for text in ("asdkjh qwpoeiru zxmcnv", "hallo, hoe gaat het met jullie?", "thanks!", "ok"):
        assert real_matcher.decide(text).outcome == "route", text


def test_out_of_scope_questions_are_not_answered(real_matcher: Matcher) -> None:
    for text in (
        "wat is de hoofdstad van frankrijk",
        "hoeveel kinderbijslag krijg ik per kwartaal",
        "mijn auto maakt een raar geluid bij het remmen",
    ):
        assert real_matcher.decide(text).outcome != "answer", text


def test_a_question_on_two_topics_is_answered_at_once_only_when_the_classifier_is_sure(
    real_matcher: Matcher,
) -> None:
    text = "mijn peuter wil niet eten en niet slapen"
    # The FAQ side alone: the forty-, forty-four- and fifty-writer crisis models put this
    # everyday question just over their concern thresholds (-3.58 against -3.75, -3.56 against
    # -3.68, -5.07 against -5.39; README, "Crisis safety"), and what is pinned
    # here is the classifier's rule for two topics, not a crisis model's view of one question.
    faq_side = Matcher(real_matcher.kb, real_matcher.settings, crisis=NoCrisisCheck())
    decision = faq_side.decide(text)
    assert decision.runner_up is not None
    assert {decision.topic, decision.runner_up.topic} == {"eten", "slapen-kind"}
    assert decision.candidates[0].topic == decision.topic
    # The topic classifier decides whether one topic clearly leads; in doubt, suggestions.
    doubtful = Matcher(real_matcher.kb, replace(real_matcher.settings, classifier_min_belief=0.999),
                       crisis=NoCrisisCheck())
    held = doubtful.decide(text)
    assert held.outcome == "suggest" and held.topic == decision.topic


def test_crisis_comes_before_matching(real_matcher: Matcher) -> None:
    decision = real_matcher.decide("mijn man slaat me en ik ben bang, de kinderen zijn thuis")
    assert decision.outcome == "crisis"
    assert decision.crisis is not None and decision.crisis.category == "domestic_violence"
    assert decision.entry is None and decision.topic is None
    line = decision.to_json()
    assert line["decision"] == "crisis"
    assert line["crisis"] == decision.crisis.to_json()
    assert line["crisis"]["level"] == "crisis" and "slaat" not in str(line["crisis"])


def test_to_json_has_the_match_line_format(real_matcher: Matcher) -> None:
    line = real_matcher.decide("mijn zoon van 7 plast nog elke nacht in bed").to_json()
    assert {"decision", "topic", "entry", "score", "candidates"} <= set(line)
    assert line["decision"] == "answer"
    assert isinstance(line["score"], float)
    candidates = line["candidates"]
    assert isinstance(candidates, list) and 1 <= len(candidates) <= 5
    assert candidates[0] == {"entry": line["entry"], "topic": line["topic"], "score": line["score"]}
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)


def test_language_is_detected(real_matcher: Matcher) -> None:
    assert real_matcher.decide("my toddler throws tantrums in the shop").language == "en"
    assert real_matcher.decide("mijn peuter krijgt driftbuien in de winkel").language == "nl"


def test_thresholds_come_from_settings(real_matcher: Matcher) -> None:
    strict = Matcher(real_matcher.kb, MatcherSettings(answer_threshold=1000.0))
    decision = strict.decide("mijn zoon van 7 plast nog elke nacht in bed")
    assert decision.outcome == "suggest"
    assert decision.topic == "bedplassen"
    lenient = Matcher(
        real_matcher.kb,
        MatcherSettings(suggest_threshold=0.0, answer_threshold=0.0, answer_margin=0.0),
    )
    assert lenient.decide("wat is de hoofdstad van frankrijk").outcome != "route"


def test_the_answer_decision_reads_full_scores(real_matcher: Matcher) -> None:
    text = "mijn zoon van 7 plast nog elke nacht in bed"
    decision = real_matcher.decide(text)
    assert decision.runner_up is not None
    # shown scores stop at 100; the decision reads the full ones
    assert decision.strength >= decision.score
    assert decision.lead > 0.0
    full_runner_up = decision.strength - decision.lead
    assert decision.runner_up.score == min(full_runner_up, 100.0)
    at_strength = MatcherSettings(answer_threshold=decision.strength, answer_margin=decision.lead)
    assert Matcher(real_matcher.kb, at_strength).decide(text).outcome == "answer"
    above_strength = MatcherSettings(answer_threshold=decision.strength + 0.5, answer_margin=0.0)
    assert Matcher(real_matcher.kb, above_strength).decide(text).outcome == "suggest"
    wider_lead = MatcherSettings(answer_threshold=0.0, answer_margin=decision.lead + 0.5)
    assert Matcher(real_matcher.kb, wider_lead).decide(text).outcome == "suggest"


def test_an_answer_at_once_needs_the_topic_classifier_to_agree(real_matcher: Matcher) -> None:
    # written for this test: its words lean to homework, its best entry is exam stress
    split = "hoe help ik mijn kind met huiswerk als hij faalangst heeft"
    agreed = "mijn zoon van 7 plast nog elke nacht in bed"
    open_settings = MatcherSettings(answer_threshold=0.0, answer_margin=0.0)
    gated = Matcher(real_matcher.kb, open_settings, crisis=real_matcher.crisis)
    ungated = Matcher(real_matcher.kb, replace(open_settings, classifier_must_agree=False),
                      crisis=real_matcher.crisis)
    assert ungated.decide(split).outcome == "answer"
    held = gated.decide(split)
    assert held.outcome == "suggest"
    assert held.topic == ungated.decide(split).topic
    assert gated.decide(agreed).outcome == "answer"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_decide_never_raises_on_any_text(text: str) -> None:
    decision = _MATCHER.decide(text)
    assert decision.outcome in OUTCOMES
    assert decision.language in ("nl", "en")
    assert len(decision.candidates) <= 5
    if decision.outcome in ("answer", "suggest"):
        assert decision.entry is not None and decision.candidates


def test_decide_handles_long_and_odd_input(real_matcher: Matcher) -> None:
    for text in ("", " ", "?!.,", "😀" * 50, "slapen " * 2000, "x" * 10_000, "\x00\n\t"):
        assert real_matcher.decide(text).outcome in OUTCOMES


def _real_matcher() -> Matcher:
    from knowledge_base import load_knowledge_base

    return Matcher(load_knowledge_base())


_MATCHER = _real_matcher()
