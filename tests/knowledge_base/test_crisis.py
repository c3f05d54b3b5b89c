"""Crisis detection: the model and the rules together, three outcomes, context, and honest
measurement (a held-out writer tunes nothing). The corpus itself is not pinned here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import load_knowledge_base
from knowledge_base.corpus import (
    DEFAULT_CORPUS,
    QUESTIONS,
    LabelledMessage,
    background_messages,
    load_writers,
    question_writer_questions,
)
from knowledge_base.crisis import (
    CATEGORIES,
    DEFAULT_MODEL_FILE,
    CrisisDetector,
    CrisisSignal,
    detect_crisis,
    load_detector,
)
from knowledge_base.crisis_eval import (
    ThresholdPolicy,
    Trainer,
    corpus_trainer,
    evaluate_test_writer,
    evaluate_writer,
    fit_shipped_model,
    format_reports,
    leave_one_writer_out,
    ordinary_alarms,
    ordinary_alarms_left_out,
)
from knowledge_base.crisis_model import NO_HEAD_BIAS, CrisisModel, TrainingSettings, train
from knowledge_base.crisis_rules import rule_hit

# A toy corpus for the library's behaviour; the real one is knowledge_base/safeguarding.
TOY_CRISIS = {
    "domestic_violence": ["mijn man slaat me als hij gedronken heeft",
                          "hij duwde me tegen de muur waar de kinderen bij waren",
                          "mijn partner sluit ons op in huis en pakt mijn telefoon af"],
    "child_in_danger": ["mijn peuter is weg, ik kan hem nergens vinden op de kermis",
                        "de baby is slap en reageert nauwelijks na het vallen",
                        "mijn kind heeft een knoopcelbatterij doorgeslikt"],
}
TOY_OTHERS = ["hoe krijg ik mijn peuter aan het slapen", "mijn kind eet geen groente",
              "hoeveel zakgeld geef je een kind van tien", "mijn zoon gamet te veel",
              "de baby huilt veel in de avond", "mijn dochter wil niet naar school",
              "hoe leer ik mijn kind fietsen", "mijn man en ik zijn het oneens over bedtijden"]


def toy_model(crisis_threshold: float = 0.0, concern_threshold: float = -1.0,
              all_categories: tuple[str, ...] = tuple(TOY_CRISIS),
              processes: int | None = None) -> CrisisModel:
    texts, labels, categories = [], [], []
    for category, examples in TOY_CRISIS.items():
        for text in examples:
            texts.append(text)
            labels.append(True)
            categories.append(category)
    for text in TOY_OTHERS:
        texts.append(text)
        labels.append(False)
        categories.append(None)
    return train(texts, labels, categories, all_categories, settings=TrainingSettings(
        min_documents=1), crisis_threshold=crisis_threshold, concern_threshold=concern_threshold,
        processes=processes)


def test_heads_fitted_in_processes_are_the_heads_fitted_one_after_another() -> None:
    # the neglect head has no examples: it stays a head that never wins, in its place
    kinds = (*TOY_CRISIS, "neglect")
    alone, forked = toy_model(all_categories=kinds, processes=1), toy_model(
        all_categories=kinds, processes=2)
    assert np.array_equal(alone.weights, forked.weights)
    assert np.array_equal(alone.bias, forked.bias)
    assert forked.bias[1 + kinds.index("neglect")] == NO_HEAD_BIAS
    assert forked.bias[1 + kinds.index("child_in_danger")] != NO_HEAD_BIAS


def test_model_scores_crisis_text_above_ordinary_text_and_names_the_category() -> None:
    model = toy_model()
    crisis = model.score("mn man slaat me weer, hij had gedronken")
    ordinary = model.score("hoe krijg ik mijn kind aan het eten")
    assert crisis.score > ordinary.score
    assert crisis.category == "domestic_violence"
    assert model.score("mijn peuter is kwijt op de kermis").category == "child_in_danger"


def test_thresholds_give_three_outcomes() -> None:
    model = toy_model()
    low, high = (model.score(t).score for t in ("mijn kind eet geen groente",
                                                "mijn man slaat me als hij gedronken heeft"))
    assert high > low
    middle = (low + high) / 2
    # crisis above the crisis threshold, concern between the two, nothing below
    assert CrisisDetector(toy_model(middle, low - 1), rules=False).detect(
        "mijn man slaat me als hij gedronken heeft").level == "crisis"
    signal = CrisisDetector(toy_model(high + 1, middle), rules=False).detect(
        "mijn man slaat me als hij gedronken heeft")
    assert signal is not None and signal.level == "concern"
    assert CrisisDetector(toy_model(high + 1, high + 0.5), rules=False).detect(
        "mijn kind eet geen groente") is None


def test_rules_are_a_floor_under_the_model() -> None:
    never = toy_model(crisis_threshold=1e9, concern_threshold=1e9)
    detector = CrisisDetector(never)
    signal = detector.detect("ik wil niet meer leven")
    assert signal is not None and signal.level == "crisis"
    assert signal.rule == "not_want_to_live" and signal.category == "suicide_self_harm"
    concern = detector.detect("he says he will kill me")
    assert concern is not None and concern.level == "concern"
    assert CrisisDetector(never, rules=False).detect("ik wil niet meer leven") is None


@pytest.mark.parametrize(("text", "rule", "level"), [
    ("ik wil dood", "wants_to_die", "crisis"),
    ("k wil nie meer leve", "not_want_to_live", "crisis"),      # chat spelling
    ("I want to kill myself", "kill_oneself", "crisis"),
    ("mijn zoon wil zelfmort plegen", "suicidal", "crisis"),     # a typo
    ("mn vriend slaat me", "partner_hits", "crisis"),
    ("hij heeft de pillen van oma ingeslikt", "swallowed_dangerous", "crisis"),
    ("ze ademt niet meer goed en is blauw aangelopen", "not_breathing", "crisis"),
    ("ik ben bang dat ik hem iets aandoe", "afraid_to_hurt", "crisis"),
    ("mijn man vermoordt me als ik niet doe wat hij zegt", "threat_to_kill", "concern"),
    ("my partner is going to kill me when he gets home", "threat_to_kill", "concern"),
    ("moet ik 113 bellen?", "call_113", "concern"),
    ("mijn peuter van 2 is kwijt in de winkel", "child_missing", "crisis"),
    ("ik ben mijn zoontje kwijt op de kermis", "child_missing", "crisis"),
    ("we vinden onze kleuter nergens", "child_missing", "crisis"),
    ("my daughter went missing at the beach, we have not found her", "child_missing", "crisis"),
    ("I can't find my son anywhere", "child_missing", "crisis"),
    ("mijn zoontje is weggelopen, ik kan hem nergens meer vinden", "cannot_find_child", "crisis"),
    ("ik sta niet meer voor mezelf in als ze weer gaat krijsen", "not_in_control", "crisis"),
    ("ik heb hem door elkaar geschud en nu is hij zo slap", "shaken_baby", "crisis"),
    ("my husband shook the baby and now she is very sleepy", "shaken_baby", "crisis"),
    ("gisteren sleepte hij haar aan haar arm door de gang", "assault_described", "concern"),
    ("de kinderen zagen hoe hij mij aan mijn haren naar de deur sleepte", "assault_described",
     "concern"),
    ("he shoved her against the wall in front of the kids", "assault_described", "concern"),
    ("ik werd door hem tegen de muur gedrukt", "assault_described", "concern"),
    ("hij greep me bij mijn keel", "assault_described", "concern"),
    ("ik denk dat ik er straks niet meer ben, wie zorgt dan voor ze", "not_here_soon", "concern"),
    ("I won't be around much longer, how do I prepare my kids", "not_here_soon", "concern"),
])
def test_rules_catch_plain_statements(text: str, rule: str, level: str) -> None:
    hit = rule_hit(text)
    assert hit is not None and (hit.name, hit.level) == (rule, level)


@pytest.mark.parametrize("text", [
    "mijn zoon is 113 cm en eet slecht",
    "ons dossiernummer bij de belastingdienst eindigt op 113",
    "ze spelen oorlogje en roepen de hele dag ik maak je dood",
    "hij wil dood van het lachen als opa gekke bekken trekt",
    "hoeveel paracetamol mag mijn kind van 20 kilo",
    "mijn dochter is haar knuffel kwijt en kan niet slapen",
    "mijn zoon is de weg een beetje kwijt sinds de scheiding",
    "my son is missing his dad a lot since the divorce",
    "mijn zoon was even kwijt in de winkel maar we hebben hem snel gevonden",
    "we zijn ons kindje kwijtgeraakt bij 12 weken zwangerschap",
    "onze kat is zoek en mijn dochter kan hem nergens vinden",
    "shake the bottle well before giving it to the baby, she is sleepy after",
    "ik ga hem morgen iets leuks geven",
    "mijn zoon van 3 reageert niet op zijn naam, kan dat autisme zijn",
    "ze zit rechtop te gillen met open ogen en reageert niet op mij",
    "mijn dochter trekt aan haar haren als ze zenuwachtig is",
    "hij smeet zijn telefoon tegen de muur toen zijn team verloor",
    "mijn zoon sleept zijn knuffel overal mee naartoe",
    "als ik er morgen niet meer ben mag jij mijn fiets, zei hij tegen zijn broertje",
    "mijn baby pakt steeds mijn haar en trekt eraan",
])
def test_rules_leave_look_alikes_alone(text: str) -> None:
    assert rule_hit(text) is None


def test_question_writers_ordinary_questions_are_background_negatives(tmp_path: Path) -> None:
    (tmp_path / "q1.jsonl").write_text("\n".join(json.dumps(line) for line in [
        {"q": "hij gilt s nachts met open ogen", "label": "in_scope", "topic": "nachtangst"},
        {"q": "wat kost een parkeervergunning", "label": "out_of_scope", "topic": None},
        {"q": "ik ontdekte dat mijn zoon zich krast", "label": "in_scope",
         "topic": "zelfbeschadiging"},
    ]) + "\n", encoding="utf-8")
    assert question_writer_questions(tmp_path) == {
        "q1": ["hij gilt s nachts met open ogen", "wat kost een parkeervergunning"]}
    background = background_messages(load_knowledge_base(), question_writers=tmp_path)
    questions = [m for m in background if m.writer == QUESTIONS]
    assert [m.text for m in questions] == ["hij gilt s nachts met open ogen",
                                           "wat kost een parkeervergunning"]
    assert not any(m.crisis for m in questions)
    # a question writer's question weighs like a writer's hard negative, not like the background
    assert Trainer({}, questions).weight(questions[0]) == TrainingSettings().question_weight
    assert TrainingSettings().question_weight > TrainingSettings().background_weight


def test_a_writers_hard_negatives_weigh_more_than_the_background_and_crises_weigh_one() -> None:
    writers = {"a": _writer("a", TOY_CRISIS["domestic_violence"], TOY_OTHERS[:4])}
    background = [LabelledMessage("hoe leer ik mijn kind fietsen", False, None, "direct",
                                  "knowledge_base"),
                  LabelledMessage("mijn zoon wil niet slapen", False, None, "direct", QUESTIONS)]
    settings = TrainingSettings(min_documents=1, hard_negative_weight=2.5, background_weight=0.3,
                                question_weight=1.5)
    trainer = Trainer(writers, background, settings)
    crisis = next(m for m in writers["a"] if m.crisis)
    negative = next(m for m in writers["a"] if not m.crisis)
    assert trainer.weight(crisis) == 1.0
    assert trainer.weight(negative) == 2.5
    assert trainer.weight(background[0]) == 0.3
    assert trainer.weight(background[1]) == 1.5   # a question writer's question
    # the weight moves the model: a hard negative weighed more scores lower
    light = Trainer(writers, [], TrainingSettings(min_documents=1, hard_negative_weight=1.0))
    heavy = Trainer(writers, [], TrainingSettings(min_documents=1, hard_negative_weight=4.0))
    assert (heavy.model_without(()).score(negative.text).score
            < light.model_without(()).score(negative.text).score)


def test_ordinary_alarms_leave_each_question_writer_out_of_the_model() -> None:
    writers = {"a": _writer("a", TOY_CRISIS["domestic_violence"], TOY_OTHERS[:4]),
               "b": _writer("b", TOY_CRISIS["child_in_danger"], TOY_OTHERS[4:])}
    alarm = "mijn man en ik maken ruzie als hij gedronken heeft"
    background = [LabelledMessage(alarm, False, None, "direct", QUESTIONS)]
    trainer = Trainer(writers, background, TrainingSettings(min_documents=1))
    never_saw_it = Trainer(writers, [], TrainingSettings(min_documents=1)).model_without(())
    unseen = never_saw_it.score(alarm).score
    assert trainer.model_without(()).score(alarm).score < unseen  # the background teaches
    thresholds = (unseen - 1e-6, unseen - 1e-6, unseen - 1e-6)
    [left_out] = ordinary_alarms_left_out(trainer, {"q": [alarm]}, thresholds)
    # scored by a model whose background lacks the writer's own question: a false crisis here
    assert (left_out.writer, left_out.questions, left_out.crisis) == ("q", 1, 1)
    assert "false crisis 100.0%" in left_out.format()
    model = trainer.model_without(())
    model.crisis_threshold, model.concern_threshold, model.guard_threshold = thresholds
    assert ordinary_alarms(CrisisDetector(model, rules=False), "q", [alarm]).crisis == 0


def test_context_reads_a_crisis_told_in_two_messages() -> None:
    model = toy_model()
    detector = CrisisDetector(model, rules=False)
    alone = model.score("hij had weer gedronken").score
    together = model.score("mijn man slaat me als hij gedronken heeft\nhij had weer "
                           "gedronken").score
    assert together > alone
    model.crisis_threshold = (alone + together) / 2
    model.concern_threshold = model.crisis_threshold
    assert detector.detect("hij had weer gedronken") is None
    signal = detector.detect("hij had weer gedronken",
                             context="mijn man slaat me als hij gedronken heeft")
    assert signal is not None and signal.level == "crisis"


def test_a_saved_model_scores_the_same_and_holds_no_text(tmp_path: Path) -> None:
    model = toy_model(0.5, -0.5)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = CrisisModel.load(path)
    text = "mijn man slaat me als hij gedronken heeft"
    assert loaded.score(text) == model.score(text)
    assert (loaded.crisis_threshold, loaded.concern_threshold) == (0.5, -0.5)
    assert loaded.guard == -0.5                      # no guard given: the concern threshold
    assert b"gedronken" not in path.read_bytes()
    model.guard_threshold = -2.0
    model.save(path)
    assert CrisisModel.load(path).guard == -2.0


def test_in_doubt_keeps_a_near_miss_from_an_faq_answer_without_raising_a_signal() -> None:
    # thresholds above any score the toy model gives: no signal, only the guard decides
    model = toy_model(1000.0, 999.0)
    text = "mijn man slaat me als hij gedronken heeft"
    score = model.score(text).score
    assert score < model.concern_threshold
    detector = CrisisDetector(model, rules=False)
    model.guard_threshold = score - 0.01
    assert detector.detect(text) is None and detector.in_doubt(text)
    model.guard_threshold = score + 0.01
    assert not detector.in_doubt(text)
    # read after the previous message too, like detect()
    assert detector.in_doubt("ja", context=text) is (model.score("ja").score >= model.guard
                                                     or model.score(text + "\nja").score
                                                     >= model.guard)


def test_in_doubt_after_detect_answers_as_a_fresh_detector_would() -> None:
    """in_doubt reuses the scores detect() just computed for the same message: never for
    another message, another context or another model."""
    model = toy_model(1000.0, 999.0)
    near = "mijn man slaat me als hij gedronken heeft"
    model.guard_threshold = model.score(near).score - 0.01
    calm = "hoe laat moet een kind van vier naar bed"
    assert model.score(calm).score < model.guard
    detector = CrisisDetector(model, rules=False)
    cases = [(near, None), (calm, None), ("ja", near), (calm, near), ("ja", None), (near, calm)]
    for detected, context in cases:
        for asked, asked_context in cases:
            detector.detect(detected, context)
            fresh = CrisisDetector(model, rules=False).in_doubt(asked, asked_context)
            assert detector.in_doubt(asked, asked_context) is fresh, (detected, context, asked,
                                                                      asked_context)
    assert CrisisDetector(model, rules=False).in_doubt(near)
    assert not CrisisDetector(model, rules=False).in_doubt(calm)


def test_threshold_policy_meets_its_targets_on_the_scores_it_is_given() -> None:
    crisis = [float(x) for x in range(100)]          # 0..99
    others = [float(x) - 50 for x in range(200)]     # -50..149
    crisis_threshold, concern = ThresholdPolicy(0.99, 0.01).thresholds(crisis, others)
    assert sum(s >= concern for s in crisis) >= 99
    assert sum(s >= crisis_threshold for s in others) <= 2
    assert crisis_threshold >= concern
    guard = ThresholdPolicy(0.99, 0.01, guard_recall=0.999).guard(crisis, concern)
    assert guard <= concern and sum(s >= guard for s in crisis) == 100
    assert ThresholdPolicy(0.99, 0.01, guard_recall=0.5).guard(crisis, concern) == concern


def _writer(name: str, crisis: list[str], others: list[str]) -> list[LabelledMessage]:
    return ([LabelledMessage(t, True, "domestic_violence", "direct", name) for t in crisis] +
            [LabelledMessage(t, False, None, "direct", name) for t in others])


def test_a_held_out_writer_tunes_nothing() -> None:
    writers = {
        "a": _writer("a", TOY_CRISIS["domestic_violence"], TOY_OTHERS[:4]),
        "b": _writer("b", ["hij slaat me en schreeuwt tegen de kinderen"], TOY_OTHERS[4:]),
        "c": _writer("c", ["mijn vriend dreigt ons iets aan te doen"], ["wat eet een peuter"]),
    }
    trainer = Trainer(writers, [], TrainingSettings(min_documents=1))
    before = trainer.thresholds_without("c")
    changed = dict(writers, c=_writer("c", ["iets heel anders"], ["nog iets anders"]))
    after = Trainer(changed, [], TrainingSettings(min_documents=1)).thresholds_without("c")
    assert before == after            # c's text changed; c's thresholds did not
    for text in (m.text for m in trainer.training_set({"c"})):
        assert text not in {m.text for m in writers["c"]}
    report = evaluate_writer(trainer, "c")
    assert report.total.crisis == 1 and report.total.others == 1
    assert "Held-out writers" in format_reports([report])
    # scores are kept per writer *and* per set left out: a model without a and c scores a
    # differently from one without a alone, and a caller's list is its own
    for also in ((), ("c",), ("b",)):
        model = trainer.model_without({"a", *also})
        expected = [model.score(m.text).score for m in writers["a"] if m.crisis]
        assert trainer.held_out_scores("a", also)[0] == expected
    trainer.held_out_scores("a")[0].clear()
    assert len(trainer.held_out_scores("a")[0]) == 3


# The shipped detector ---------------------------------------------------------------------------

def test_shipped_model_is_trained_on_the_shipped_corpus() -> None:
    """`adviceline kb train-crisis` was run after the last corpus change."""
    model = CrisisModel.load(DEFAULT_MODEL_FILE)
    trainer = corpus_trainer(load_knowledge_base())
    messages = trainer.training_set(())
    from knowledge_base.crisis_model import training_digest

    digest = training_digest([m.text for m in messages], [m.crisis for m in messages],
                             [m.category if m.crisis else None for m in messages],
                             [trainer.weight(m) for m in messages], trainer.settings)
    assert model.meta["digest"] == digest
    assert model.meta["writers"] == sorted(load_writers(DEFAULT_CORPUS))
    assert model.concern_threshold <= model.crisis_threshold
    assert set(model.categories) == set(CATEGORIES)


@pytest.mark.parametrize("text", [
    "mijn man vermoordt me als ik niet doe wat hij zegt",
    "my partner is going to kill me when he gets home",
    "ik ben bang dat ik mijn baby door elkaar ga schudden als ze nog langer huilt",
    "hij zegt dat niemand hem zal missen en geeft zijn spullen weg",
])
def test_shipped_detector_never_lets_the_issues_examples_through(text: str) -> None:
    assert isinstance(detect_crisis(text), CrisisSignal)


@pytest.mark.parametrize("text", [
    # the look-alikes issue 11 names: a loud baby and the neighbours, whether chats go to Veilig
    # Thuis, a child's war game (written from the issue's descriptions, not from any writer)
    "onze baby krijst zo hard dat ik me schaam voor de buren, wat kan ik doen",
    "our baby screams so loudly in the evening that I worry what the neighbours will think",
    "worden deze chats doorgegeven aan Veilig Thuis?",
    "do you pass these chats on to Veilig Thuis or the police?",
    "mijn zoons spelen oorlogje en schieten elkaar dood met stokken, is dat normaal?",
])
def test_shipped_detector_leaves_the_issues_look_alikes_alone(text: str) -> None:
    assert detect_crisis(text) is None


def test_knowledge_base_questions_are_not_crises() -> None:
    kb = load_knowledge_base()
    detector = load_detector()
    flagged = [e.id for e in kb.entries.values()
               if (s := detector.detect(e.question)) is not None and s.level == "crisis"
               and e.topic not in {"zelfbeschadiging", "kind-slaat-ouder", "ouder-ziek-verslaafd"}]
    assert len(flagged) <= len(kb.entries) // 50, flagged


def test_empty_and_odd_input_is_no_signal() -> None:
    for text in ("", "   ", "?!?!", "😀😀"):
        assert detect_crisis(text) is None


def test_signal_json_has_no_text() -> None:
    signal = detect_crisis("ik wil niet meer leven")
    assert signal is not None
    shown = json.dumps(signal.to_json())
    assert "leven" not in shown and signal.level in shown


def test_threshold_costs_lists_each_recall_target() -> None:
    from knowledge_base.crisis_eval import threshold_costs

    writers = {
        "a": _writer("a", TOY_CRISIS["domestic_violence"], TOY_OTHERS[:4]),
        "b": _writer("b", ["hij slaat me en schreeuwt tegen de kinderen"], TOY_OTHERS[4:]),
        "c": _writer("c", ["mijn vriend dreigt ons iets aan te doen"], ["wat eet een peuter"]),
    }
    trainer = Trainer(writers, [], TrainingSettings(min_documents=1), nested=False)
    table = threshold_costs(trainer, ["a", "b", "c"], recalls=(0.9, 0.99))
    rows = [line for line in table.splitlines() if line.strip().endswith("%)")]
    assert len(rows) == 2 and "90.0%" in rows[0] and "99.0%" in rows[1]
    # not nested: a tuning writer is scored by the model without it alone
    trainer.thresholds_without("c")
    assert frozenset({"a"}) in trainer._models and frozenset({"a", "c"}) not in trainer._models


def test_a_test_writer_is_scored_by_the_shipped_detector_as_it_is() -> None:
    detector = load_detector()
    messages = [
        LabelledMessage("ik wil niet meer leven", True, "suicide_self_harm", "direct", "zed"),
        LabelledMessage("mijn peuter van 2 is kwijt in de winkel", True, "child_in_danger",
                        "direct", "zed"),
        LabelledMessage("hoeveel zakgeld geef je een kind van 9", False, "none", "direct", "zed"),
    ]
    answered: list[str] = []

    def answers(text: str) -> bool:
        answered.append(text)
        return True

    report = evaluate_test_writer(detector, "zed", messages, answers)
    assert report.total.crisis == 2 and report.total.caught_rate == 1.0
    assert report.total.false_crisis_rate == 0.0
    assert report.thresholds == (detector.model.crisis_threshold,
                                 detector.model.concern_threshold)
    assert report.answered_by_faq == 0 and answered == []   # only missed crises are asked


def test_folds_hold_each_writer_out_with_its_fold_one_model_per_fold() -> None:
    writers = {
        "a": _writer("a", TOY_CRISIS["domestic_violence"][:2], TOY_OTHERS[:2]),
        "b": _writer("b", TOY_CRISIS["domestic_violence"][2:], TOY_OTHERS[2:4]),
        "c": _writer("c", TOY_CRISIS["child_in_danger"][:2], TOY_OTHERS[4:6]),
        "d": _writer("d", TOY_CRISIS["child_in_danger"][2:], TOY_OTHERS[6:]),
    }
    with pytest.raises(ValueError):
        Trainer(writers, [], folds=1, nested=False)
    with pytest.raises(ValueError):
        Trainer(writers, [], folds=2, nested=True)
    trainer = Trainer(writers, [], TrainingSettings(min_documents=1), nested=False, folds=2)
    assert trainer.held_out_group("a") == {"a", "c"}
    assert trainer.held_out_group("d") == {"b", "d"}
    reports = leave_one_writer_out(trainer)
    assert [r.writer for r in reports] == ["a", "b", "c", "d"]
    # two models scored all four writers, and none of them had seen the writer it scored
    assert set(trainer._models) == {frozenset({"a", "c"}), frozenset({"b", "d"})}
    for name, messages in writers.items():
        seen = {m.text for m in trainer.training_set(trainer.held_out_group(name))}
        assert not seen & {m.text for m in messages}
    assert "2 folds" in format_reports(reports, nested=False, folds=2)
    # a writer's thresholds are tuned on the other writers' held-out scores, never its own
    crisis_pool, other_pool = trainer._tuning_scores("c")
    assert len(crisis_pool) == sum(1 for name in "abd" for m in writers[name] if m.crisis)
    assert len(other_pool) == sum(1 for name in "abd" for m in writers[name] if not m.crisis)
    # the shipped model says where its thresholds came from
    assert fit_shipped_model(trainer).meta["thresholds_from"] == "2 folds of writers"


def test_ordinary_alarms_in_folds_leave_a_whole_fold_of_question_writers_out() -> None:
    writers = {"a": _writer("a", TOY_CRISIS["domestic_violence"], TOY_OTHERS[:4]),
               "b": _writer("b", TOY_CRISIS["child_in_danger"], TOY_OTHERS[4:])}
    alarm = "mijn man en ik maken ruzie als hij gedronken heeft"
    other = "mijn zoon slaat de deur dicht als hij boos is"
    questions = {"q1": [other], "q2": ["wat kost een zwemles"], "q3": [alarm]}
    background = [LabelledMessage(text, False, None, "direct", QUESTIONS)
                  for texts in questions.values() for text in texts]
    trainer = Trainer(writers, background, TrainingSettings(min_documents=1), nested=False,
                      folds=2)
    # the model that should score q3: its background has q2's question only
    q2_only = [m for m in background if m.text in questions["q2"]]
    unseen = Trainer(writers, q2_only, TrainingSettings(min_documents=1)).model_without(())
    threshold = unseen.score(alarm).score - 1e-6
    assert trainer.model_without(()).score(alarm).score < threshold  # the background teaches
    reports = ordinary_alarms_left_out(trainer, questions, (threshold, threshold, threshold))
    assert [r.writer for r in reports] == ["q1", "q2", "q3"]
    # q3 is in q1's fold: scored by a model whose background has neither, like one without any
    assert reports[2].crisis == 1
