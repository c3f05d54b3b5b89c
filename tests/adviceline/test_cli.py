"""The command as a newcomer and a deployment use it: help, serve, SIGTERM, logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from adviceline.cli import main


def test_help_lists_the_commands(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "db", "hash-password", "match", "kb"):
        assert command in out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def _post_json(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_serve_demo_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    database = tmp_path / "serve.db"
    secret_text = f"geheime vraag {uuid.uuid4().hex}"
    process = subprocess.Popen(
        [sys.executable, "-m", "adviceline", "serve", "--demo", "--host", "127.0.0.1",
         "--port", str(port), "--database", f"sqlite+aiosqlite:///{database}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "service did not become ready"
            time.sleep(0.2)
        token = str(_post_json(f"{base}/api/v1/conversations", {"municipality": "Almelo"})["token"])
        receipt = _post_json(f"{base}/api/v1/conversation/messages",
                             {"text": secret_text, "client_id": "x"}, token)
        assert receipt["seq"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"{base}/console" in out and "adviseur.enschede / demo-enschede" in out
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
