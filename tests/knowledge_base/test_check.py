"""`kb check`: each broken entry file is reported as "path: problem"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from knowledge_base import check_knowledge_base
from knowledge_base.check import answer_word_count
from knowledge_base.crisis_lines import CRISIS_LINES, handwritten_lines
from tests.knowledge_base.conftest import ANSWER_NL, PHRASINGS, entry_text

TODAY = date(2026, 11, 23)


def _messages(tmp_path: Path, topics_file: Path) -> list[str]:
    return [
        str(problem)
        for problem in check_knowledge_base(tmp_path / "entries", topics_file, today=TODAY)
    ]


def test_a_good_entry_has_no_problems(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry("driftbuien-test", entry_text())
    assert _messages(tmp_path, topics_file) == []


def test_each_broken_file_is_reported_with_its_path(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    good = write_entry("driftbuien-test", entry_text())
    unknown_topic = write_entry("onbekend", entry_text("onbekend", topic="geen-topic"))
    duplicate = write_entry("driftbuien-test", entry_text(), folder="zindelijkheid")
    missing = write_entry("zonder-vraag", entry_text("zonder-vraag", leave_out="question"))
    placeholder = write_entry(
        "placeholder", entry_text("placeholder", answer_nl=ANSWER_NL + " Bel {{huisarts}}.")
    )
    few = write_entry("weinig", entry_text("weinig", phrasings=PHRASINGS[:3]))
    no_english = write_entry(
        "geen-engels",
        entry_text(
            "geen-engels",
            phrasings=(
                *PHRASINGS[:5],
                "hoe ga ik om met woede van mijn peuter",
                "peuter boos als iets niet mag",
            ),
        ),
    )
    short = write_entry("kort", entry_text("kort", answer_nl="Blijf rustig. Dat helpt."))
    future = write_entry("toekomst", entry_text("toekomst", reviewed_on="2027-01-01"))
    expected = {
        unknown_topic: "unknown topic 'geen-topic'",
        duplicate: "duplicate id 'driftbuien-test'",
        missing: "missing field(s): question",
        placeholder: "unknown placeholder {{huisarts}}",
        few: "only 3 phrasings",
        no_english: "no English phrasing",
        short: "Dutch answer has 4 words",
        future: "last_reviewed.on 2027-01-01 is in the future",
    }
    messages = _messages(tmp_path, topics_file)
    for path, message in expected.items():
        assert any(line.startswith(f"{path}: ") and message in line for line in messages), (
            message,
            messages,
        )
    assert not any(line.startswith(f"{good}: ") for line in messages)


def test_wrong_folder_and_file_name_are_reported(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    path = write_entry("andere-naam", entry_text("driftbuien-test"), folder="agressie")
    messages = _messages(tmp_path, topics_file)
    assert f"{path}: file name must be the id: driftbuien-test.md" in messages
    assert f"{path}: file must be in the folder of its topic: driftbuien/" in messages


def test_a_phrasing_closer_to_another_topic_is_reported(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry(
        "driftbuien-test",
        entry_text(phrasings=(*PHRASINGS, "mijn zoon van 8 plast nog elke nacht in bed")),
    )
    bedwetting = (
        "zoon van 7 plast elke nacht in bed",
        "bedplassen op de basisschool leeftijd",
        "hij is 8 en nog steeds nat in bed",
        "dochter plast in bed, wat helpt",
        "wekker voor bedplassen",
        "my 7 year old still wets the bed every night",
    )
    write_entry(
        "bedplassen-test",
        entry_text("bedplassen-test", topic="bedplassen", phrasings=bedwetting),
        folder="bedplassen",
    )
    messages = _messages(tmp_path, topics_file)
    assert any(
        "'mijn zoon van 8 plast nog elke nacht in bed' is closer to topic bedplassen" in line
        for line in messages
    ), messages


def test_empty_entries_folder_is_a_problem(tmp_path: Path, topics_file: Path) -> None:
    assert any("no entry files found" in m for m in _messages(tmp_path, topics_file))


def test_word_count_ignores_markdown_and_counts_placeholders_once() -> None:
    assert answer_word_count("**Blijf rustig.** Vraag {{cjg}} om hulp.\n- een\n- twee") == 8


def test_a_phrasing_the_answer_never_speaks_to_is_reported(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    path = write_entry(
        "driftbuien-test",
        entry_text(phrasings=(*PHRASINGS, "zwemdiploma halen voor de zomervakantie")),
    )
    messages = _messages(tmp_path, topics_file)
    assert any(
        line.startswith(f"{path}: phrasing 'zwemdiploma halen voor de zomervakantie' is not "
                        "answered")
        for line in messages
    ), messages
    # The shared phrasings all share a word with the answer (driftbui, peuter, boos ...).
    assert sum("is not answered" in line for line in messages) == 1, messages


def test_a_phrasing_in_the_other_language_counts_as_answered_by_either_answer(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    # "tantrums" occurs only in the English answer; the phrasing is still answered.
    write_entry("driftbuien-test", entry_text(phrasings=(*PHRASINGS, "tantrums every day")))
    assert not any("is not answered" in line for line in _messages(tmp_path, topics_file))


def test_an_answer_changed_after_its_review_needs_a_new_review(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    reviewed = entry_text()
    edited = reviewed.replace("Blijf zelf rustig", "Blijf zelf heel rustig")
    path = write_entry("driftbuien-test", edited)
    messages = _messages(tmp_path, topics_file)
    assert any(
        line.startswith(f"{path}: changed since its review on 2026-01-15 by Test Reviewer")
        and "adviceline kb review driftbuien-test --by NAME" in line
        for line in messages
    ), messages


def test_a_phrasing_added_after_the_review_does_not_need_a_new_review(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry(
        "driftbuien-test", entry_text(phrasings=(*PHRASINGS, "peuter krijst en schopt bij nee"))
    )
    assert not any("changed since its review" in m for m in _messages(tmp_path, topics_file))


def test_a_handwritten_crisis_line_is_refused(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    handwritten = ANSWER_NL + " Denk je aan zelfdoding? Bel 113 of 0800-0113, dag en nacht."
    path = write_entry("driftbuien-test", entry_text(answer_nl=handwritten))
    messages = _messages(tmp_path, topics_file)
    assert f"{path}: crisis line written by hand in the nl answer ('113'): use" in "\n".join(
        messages
    ), messages
    assert any("('0800-0113')" in m and "{{lijn_113}}" in m for m in messages), messages


def test_a_crisis_line_placeholder_passes_and_moving_a_line_into_it_keeps_the_review(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    # Reviewed with the line written out; the file now holds the placeholder in its place.
    line = CRISIS_LINES["lijn_113"].nl
    reviewed = entry_text(answer_nl=f"{ANSWER_NL}\n\n- {line}")
    write_entry("driftbuien-test", reviewed.replace(line, "{{lijn_113}}"))
    assert _messages(tmp_path, topics_file) == []


def test_a_list_of_numbers_for_a_child_may_name_112() -> None:
    assert handwritten_lines("Hang een lijst op met jouw nummer en 112 voor noodgevallen.") == []
    assert handwritten_lines("Is er gevaar? Bel **112**.") == ["Bel **112"]
