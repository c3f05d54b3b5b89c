"""Rendering for Telegram: escaping, splitting at the limit, buttons; and the [telegram] keys."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adviceline import texts
from adviceline.config import ConfigError, load_config
from adviceline.domain import ADVISER, FAQ, OutboundMessage
from bots.telegram.render import MAX_MESSAGE, render, split_text, tag, to_html, utf16_length

CONVERSATION = "0f3c2a9e-1111-2222-3333-444455556666"


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.balanced = self.balanced and bool(self.open) and self.open.pop() == tag


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=700)
                | st.sampled_from(["**", "<", ">", "&", " ", "\n", "\n\n", "😀" * 300,
                                   "[a](https://x.nl)", "x" * 5000]),
                max_size=40).map("".join))
def test_every_part_fits_and_is_well_formed_html_and_nothing_is_lost(text: str) -> None:
    pieces = split_text(text)
    assert all(0 < utf16_length(piece) <= MAX_MESSAGE for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())
    for piece in pieces:
        rendered = to_html(piece)
        tags = _Tags()
        tags.feed(rendered)
        tags.close()
        assert tags.balanced and not tags.open
        assert set(re.findall(r"</?([a-z]+)", rendered)) <= {"b", "a"}
        assert utf16_length(visible(rendered)) <= MAX_MESSAGE


def test_markup_in_text_is_shown_as_text_and_bold_and_links_become_html() -> None:
    assert to_html("a <b>x</b> & **vet** [113](https://113.nl/?a=1&b=\"2\")") == (
        'a &lt;b&gt;x&lt;/b&gt; &amp; <b>vet</b> '
        '<a href="https://113.nl/?a=1&amp;b=&quot;2&quot;">113</a>')


def test_an_faq_answer_carries_did_this_help_and_a_used_one_does_not() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    answer = OutboundMessage(7, FAQ, "faq_answer", "Tekst " * 1500,
                             {"entry": "e", "title": "Slapen", "feedback": None,
                              "prompt": "Heeft dit je geholpen?"}, now)
    parts = render(answer, CONVERSATION, "nl")
    assert len(parts) == 3 and parts[0].html.startswith("<b>Slapen</b>")
    assert not parts[0].buttons and not parts[1].buttons
    assert parts[-1].buttons == ((("Ja", f"f:{tag(CONVERSATION)}:7:y"),
                                  ("Nee", f"f:{tag(CONVERSATION)}:7:n")),)
    used = OutboundMessage(7, FAQ, "faq_answer", "Kort", {"feedback": "yes"}, now)
    assert render(used, CONVERSATION, "en")[0].buttons == ()
    adviser = OutboundMessage(9, ADVISER, "text", "Hoi <3", None, now, author="Ans")
    assert render(adviser, CONVERSATION, "nl")[0].html == "<b>Ans</b> (adviseur):\nHoi &lt;3"
    suggestions = OutboundMessage(3, FAQ, "suggestions", "Bedoel je?", {
        "suggestions": [{"entry": "a", "title": "x" * 100}], "adviser": True}, now)
    [part] = render(suggestions, CONVERSATION, "nl")
    assert [len(row) for row in part.buttons] == [1, 1]
    assert len(part.buttons[0][0][0]) <= 60 and part.buttons[1][0][1].startswith("a:")
    assert all(len(data.encode()) <= 64 for row in part.buttons for _, data in row)


def _config(tmp_path: Path, telegram: str) -> Path:
    base = (Path(__file__).resolve().parents[3] / "config" / "adviceline.toml").read_text()
    base = base.replace('[telegram]\ntoken = ""', "[telegram_unused]\ntoken = \"\"")
    path = tmp_path / "adviceline.toml"
    path.write_text(base.replace("[region]\n", telegram + "\n\n[region]\n", 1)
                    .replace("postcodes_file = \"data/", "postcodes_file = \"" +
                             str(Path(__file__).resolve().parents[3] / "config" / "data") + "/"),
                    encoding="utf-8")
    return path


def test_telegram_keys_are_checked_and_the_environment_completes_them(tmp_path: Path) -> None:
    token = "123456:" + "A" * 30
    webhook = f'[telegram]\ntoken = "{token}"\nmode = "webhook"\n' \
              'webhook_url = "https://a.example/tg/hook"'
    with pytest.raises(ConfigError, match=r"telegram\.webhook_secret"):
        load_config(_config(tmp_path, webhook), environ={})
    config = load_config(_config(tmp_path, webhook),
                         environ={"ADVICELINE_TELEGRAM_WEBHOOK_SECRET": "s" * 20})
    assert config.telegram.webhook_path == "/tg/hook" and config.telegram.bot_id == "123456"
    with pytest.raises(ConfigError, match=r"telegram\.mode"):
        load_config(_config(tmp_path, '[telegram]\nmode = "push"'), environ={})
    with pytest.raises(ConfigError, match=r"telegram\.token"):
        load_config(_config(tmp_path, '[telegram]\ntoken = "nope"'), environ={})
    config = load_config(_config(tmp_path, "[telegram]"),
                         environ={"ADVICELINE_TELEGRAM_TOKEN": token})
    assert config.telegram.enabled and "AAAA" not in repr(config.telegram)
    assert not load_config(_config(tmp_path, "[telegram]"), environ={}).telegram.enabled


def test_a_crisis_reply_puts_the_line_that_fits_first() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    for category, first in (("suicide_self_harm", "113"), ("domestic_violence", "Veilig Thuis"),
                            ("child_in_danger", "112")):
        crisis = OutboundMessage(4, "system", "crisis", texts.emergency("nl"),
                                 {"level": "crisis", "category": category}, now)
        [part] = render(crisis, CONVERSATION, "nl")
        lines = visible(part.html).split("\n")
        bullets = [line for line in lines if line.startswith("- ")]
        assert first in bullets[0] and len(bullets) == 4
        assert sorted(lines) == sorted(texts.emergency("nl").replace("**", "").split("\n"))
        assert lines[0] == texts.emergency("nl").split("\n")[0]
