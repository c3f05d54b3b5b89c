"""The command as a newcomer and a deployment use it: help, serve, SIGTERM, logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

from adviceline.cli import main
from tests.processes import free_port, wait_until_ready


def test_help_lists_the_commands(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "db", "hash-password", "match", "kb"):
        assert command in out


def _post_json(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_serve_demo_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "serve.db"
    secret_text = f"geheime vraag {uuid.uuid4().hex}"
    process = subprocess.Popen(
        [sys.executable, "-m", "adviceline", "serve", "--demo", "--host", "127.0.0.1",
         "--port", str(port), "--database", f"sqlite+aiosqlite:///{database}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base, 60)
        token = str(_post_json(f"{base}/api/v1/conversations", {"municipality": "Almelo"})["token"])
        receipt = _post_json(f"{base}/api/v1/conversation/messages",
                             {"text": secret_text, "client_id": "x"}, token)
        assert receipt["seq"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"{base}/console" in out and "adviseur.enschede / demo-enschede" in out
    import re
    seeded = re.search(r"demo history: (\d+) questions over the past 14 days.*; (\d+) still wait",
                       out)
    assert seeded and int(seeded.group(1)) > 0 and int(seeded.group(2)) > 0, out
    assert f"to start clean (no demo data, no demo logins): stop, remove {database}" in out
    log_lines = [line for line in err.splitlines() if line.strip()]
    assert log_lines and all(json.loads(line)["level"] for line in log_lines)
    assert secret_text not in err and token not in err

    # The message was stored before it was acknowledged, and survives the restart.
    import sqlite3
    with sqlite3.connect(database) as connection:
        stored = {body for (body,) in connection.execute(
            "SELECT body FROM messages WHERE sender='parent'")}
    assert secret_text in stored
    # Neither the demo history's questions nor ours reach the logs.
    assert not any(body in err for body in stored)


def _config_with_entries(tmp_path: Path, entries_dir: Path) -> Path:
    shipped = Path(__file__).resolve().parents[2] / "config" / "adviceline.toml"
    text = shipped.read_text(encoding="utf-8").replace(
        'entries_dir = ""', f'entries_dir = "{entries_dir}"'
    )
    text = text.replace(
        'postcodes_file = "data/', f'postcodes_file = "{shipped.parent / "data"}/'
    )
    config = tmp_path / "adviceline.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_kb_review_records_a_real_review_that_kb_check_then_accepts(
    tmp_path: Path, capsys
) -> None:
    from tests.knowledge_base.conftest import entry_text

    entries = tmp_path / "entries"
    (entries / "driftbuien").mkdir(parents=True)
    path = entries / "driftbuien" / "driftbuien-test.md"
    path.write_text(entry_text().replace("Blijf zelf rustig", "Blijf zelf heel rustig"))
    config = _config_with_entries(tmp_path, entries)

    assert main(["kb", "check", "--config", str(config)]) == 1
    assert "changed since its review" in capsys.readouterr().out

    assert main(["kb", "review", "driftbuien-test", "--by", "Anna (pedagoog)",
                 "--on", "2026-12-01", "--config", str(config)]) == 0
    assert 'by = "Anna (pedagoog)"' in path.read_text(encoding="utf-8")
    assert "on = 2026-12-01" in path.read_text(encoding="utf-8")
    assert main(["kb", "check", "--config", str(config)]) == 0

    assert main(["kb", "review", "no-such-entry", "--by", "Anna",
                 "--config", str(config)]) == 2
    assert main(["kb", "review", "driftbuien-test", "--by", "  ",
                 "--config", str(config)]) == 2


def test_kb_eval_labels_tuning_and_held_out_question_writers(tmp_path: Path, capsys) -> None:
    line = {"q": "mijn zoon van 7 plast nog elke nacht in bed", "label": "in_scope",
            "topic": "bedplassen", "lang": "nl", "lookalike": False}
    other = {"q": "wat is de hoofdstad van frankrijk", "label": "out_of_scope", "topic": None,
             "lang": "nl", "lookalike": False}
    devset = tmp_path / "dev.jsonl"
    devset.write_text(json.dumps(line) + "\n", encoding="utf-8")
    writers = tmp_path / "heldout"
    writers.mkdir()
    (writers / "wietske.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(other) + "\n",
                                           encoding="utf-8")
    (writers / "wout.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    tuning = tmp_path / "tuning"
    tuning.mkdir()
    (tuning / "tijmen.jsonl").write_text(json.dumps(other) + "\n", encoding="utf-8")
    assert main(["kb", "eval", "--no-writers", "--devset", str(devset),
                 "--questions", str(writers), "--tuning", str(tuning)]) == 0
    out = capsys.readouterr().out
    row = next(row for row in out.splitlines() if "wietske" in row)
    assert "2 questions" in row and "top-1 1.000" in row and "out of scope kept 1.000" in row
    assert "held out" in row
    # A writer the matcher was tuned on is labelled so, in its own section before the held-out.
    tuned = next(row for row in out.splitlines() if "tijmen" in row)
    assert "tuning" in tuned and "held out" not in tuned and "1 questions" in tuned
    assert out.index("Tuning writers") < out.index("tijmen") < out.index("Held-out")
    worst = next(row for row in out.splitlines() if row.strip().startswith("worst"))
    assert "held out" in worst and "out of scope kept 1.000" in worst


def test_kb_eval_chooses_thresholds_on_the_training_writers_only(tmp_path: Path, capsys) -> None:
    line = {"q": "mijn zoon van 7 plast nog elke nacht in bed", "label": "in_scope",
            "topic": "bedplassen", "lang": "nl", "lookalike": False}
    devset = tmp_path / "dev.jsonl"
    devset.write_text(json.dumps(line) + "\n", encoding="utf-8")
    tuning = tmp_path / "tuning"
    tuning.mkdir()
    (tuning / "tijmen.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert main(["kb", "eval", "--no-writers", "--choose-thresholds", "--devset", str(devset),
                 "--questions", str(tmp_path / "none"), "--tuning", str(tuning)]) == 0
    out = capsys.readouterr().out
    assert "Thresholds chosen on the training writers" in out
    assert "answer_threshold = " in out and "answer_margin = " in out
    assert "tijmen" in out.split("Thresholds chosen")[1]


def test_kb_eval_leaves_each_training_writer_out_and_accepts_an_empty_held_out_folder(
    tmp_path: Path, capsys
) -> None:
    right = {"q": "mijn zoon van 7 plast nog elke nacht in bed", "label": "in_scope",
             "topic": "bedplassen", "lang": "nl", "lookalike": False}
    outside = {"q": "wat is de hoofdstad van frankrijk", "label": "out_of_scope", "topic": None,
               "lang": "nl", "lookalike": False}
    devset = tmp_path / "dev.jsonl"
    devset.write_text(json.dumps(right) + "\n" + json.dumps(outside) + "\n", encoding="utf-8")
    tuning = tmp_path / "tuning"
    tuning.mkdir()
    for name in ("tijmen", "tessa"):
        (tuning / f"{name}.jsonl").write_text(json.dumps(right) + "\n", encoding="utf-8")
    empty = tmp_path / "heldout"
    empty.mkdir()
    assert main(["kb", "eval", "--no-writers", "--devset", str(devset),
                 "--questions", str(empty), "--tuning", str(tuning)]) == 0
    out = capsys.readouterr().out
    left_out = out.split("each left out in turn")[1].split("Held-out")[0]
    for name in ("dev set", "tijmen", "tessa", "worst"):
        row = next(row for row in left_out.splitlines() if row.strip().startswith(name))
        assert "left out" in row and "top-1 1.000" in row
    assert "Held-out question writers: none in" in out
    # A newly populated folder is scored writer by writer.
    (empty / "nieuw.jsonl").write_text(json.dumps(right) + "\n", encoding="utf-8")
    assert main(["kb", "eval", "--no-writers", "--devset", str(devset),
                 "--questions", str(empty), "--tuning", str(tuning)]) == 0
    row = next(row for row in capsys.readouterr().out.splitlines() if "nieuw" in row)
    assert "held out" in row and "1 questions" in row


def _write_crisis_writer(folder: Path, name: str, crises: list[str], others: list[str]) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "crisis.jsonl").write_text("".join(
        json.dumps({"text": text, "category": "domestic_violence", "register": "direct"}) + "\n"
        for text in crises), encoding="utf-8")
    (folder / name / "hard_negatives.jsonl").write_text("".join(
        json.dumps({"text": text, "near": "none", "register": "direct"}) + "\n"
        for text in others), encoding="utf-8")


def test_kb_eval_crisis_only_skips_the_matcher_figures(tmp_path: Path, capsys) -> None:
    corpus, test_corpus = tmp_path / "corpus", tmp_path / "test"
    for number, name in enumerate(("wiebe", "wanda", "wessel")):
        _write_crisis_writer(
            corpus, name,
            [f"mijn man slaat me elke avond {number} keer en de kinderen zien het",
             f"hij dreigt me dood te maken als ik {number} keer iets zeg"],
            [f"mijn zoon van {number + 3} wil niet slapen, wat kan ik doen",
             f"hoeveel zakgeld geef je een kind van {number + 8}"])
    _write_crisis_writer(test_corpus, "tilly", ["mijn vriend slaat me en ik ben bang"],
                         ["mijn dochter wil niet eten"])
    tuning = tmp_path / "tuning"
    tuning.mkdir()
    (tuning / "tijmen.jsonl").write_text(json.dumps(
        {"q": "mijn zoon van 7 plast nog elke nacht in bed", "label": "in_scope",
         "topic": "bedplassen", "lang": "nl", "lookalike": False}) + "\n", encoding="utf-8")
    assert main(["kb", "eval", "--crisis-only", "--corpus", str(corpus), "--tuning", str(tuning),
                 "--test-corpus", str(test_corpus)]) == 0
    out = capsys.readouterr().out
    assert "Development set" not in out and "Held-out question writers" not in out
    for name in ("wiebe", "wanda", "wessel", "tilly"):
        row = next(row for row in out.splitlines() if row.strip().startswith(name))
        assert "caught" in row and "concern" in row
    assert "tijmen" in out.split("training question writers' ordinary questions")[1]
    assert main(["kb", "eval", "--crisis-only", "--no-writers"]) == 2
    # in folds: every writer still reported, two models for the three writers
    assert main(["kb", "eval", "--crisis-only", "--folds", "2", "--corpus", str(corpus),
                 "--tuning", str(tuning), "--test-corpus", str(test_corpus)]) == 0
    captured = capsys.readouterr()
    assert "held out in 2 folds of writers" in captured.out
    for name in ("wiebe", "wanda", "wessel"):
        assert any(row.strip().startswith(name) for row in captured.out.splitlines())
    assert captured.err.count("training without") == 2 + 1   # two folds, one question fold
    assert main(["kb", "eval", "--crisis-only", "--folds", "1"]) == 2
    assert main(["kb", "eval", "--crisis-only", "--folds", "3", "--nested"]) == 2
