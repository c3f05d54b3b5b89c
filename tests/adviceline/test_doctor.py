"""`adviceline doctor`: one line per thing a deployment depends on, failures named plainly."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP

from adviceline.cli import main
from tests.bots.telegram.fakeapi import TOKEN, FakeBotApi
from tests.dovecot import Mailbox

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "adviceline.toml"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[int]:
    """A real SMTP server (aiosmtpd) in this event loop, on a port the OS chose."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink()), "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


def _config(tmp_path: Path, email: str = "", telegram: tuple[str, str] | None = None) -> Path:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        'postcodes_file = "data/', f'postcodes_file = "{SHIPPED.parent / "data"}/')
    if telegram is not None:
        token, base_url = telegram
        text = text.replace('[telegram]\ntoken = ""', f'[telegram]\ntoken = "{token}"', 1)
        text = text.replace('\nbase_url = ""', f'\nbase_url = "{base_url}"', 1)
    path = tmp_path / "adviceline.toml"
    path.write_text(text + email, encoding="utf-8")
    return path


async def _doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = await asyncio.to_thread(main, ["doctor", *argv])
    return code, capsys.readouterr().out.splitlines()


async def test_a_healthy_deployment_is_all_ok(tmp_path: Path, relay: int,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, f"""
[email]
relay = "127.0.0.1:{relay}"
from_address = "opvoedvragen@cjg-twente.example"
default_address = "opvoedvragen@cjg-twente.example"
""")
    code, lines = await _doctor(capsys, "--config", str(config), "--database",
                                f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    names = [line.split(":")[0] for line in lines]
    assert names == ["ok    configuration", "ok    database", "ok    migrations",
                     "ok    knowledge base", "ok    e-mail relay"], lines
    assert code == 0
    assert f"127.0.0.1:{relay} (none) answered" in lines[-1]
    assert "empty database" in lines[2]


async def test_each_failure_is_one_line_and_the_exit_code_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, f"""
[email]
relay = "127.0.0.1:{_free_port()}"
from_address = "opvoedvragen@cjg-twente.example"
default_address = "opvoedvragen@cjg-twente.example"
""")
    code, lines = await _doctor(capsys, "--config", str(config), "--database",
                                f"postgresql+asyncpg://adviceline@127.0.0.1:{_free_port()}/x")
    assert code == 1
    failed = {line.split(":")[0].removeprefix("FAIL  "): line for line in lines
              if line.startswith("FAIL")}
    assert set(failed) == {"database", "e-mail relay"}, lines
    assert "connection refused" in failed["database"]
    assert "connection refused" in failed["e-mail relay"]
    assert all("Traceback" not in line for line in lines)


async def test_a_broken_configuration_stops_at_the_first_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = _config(tmp_path)
    broken.write_text(broken.read_text(encoding="utf-8").replace("port = 8080", "port = 'eighty'"),
                      encoding="utf-8")
    code, lines = await _doctor(capsys, "--config", str(broken))
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("FAIL  configuration:") and "port" in lines[0]


def test_doctor_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "doctor" in capsys.readouterr().out


async def test_the_telegram_token_is_checked_with_get_me(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeBotApi()
    await api.start()
    try:
        config = _config(tmp_path, telegram=(TOKEN, api.base_url))
        code, lines = await _doctor(capsys, "--config", str(config), "--database",
                                    f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    finally:
        await api.close()
    line = next((line for line in lines if "Telegram bot" in line), repr(lines))
    assert code == 0 and line.startswith("ok") and "@advieslijn_test_bot" in line, lines
    assert ("getMe", {}) in [(method, {}) for method, _ in api.calls]
    secret = TOKEN.partition(":")[2]
    assert all(secret not in line for line in lines)

    # The Bot API out of reach: one line, and the token still not in it.
    unreachable = _config(tmp_path, telegram=(TOKEN, f"http://127.0.0.1:{_free_port()}/bot"))
    code, lines = await _doctor(capsys, "--config", str(unreachable), "--database",
                                f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    line = next(line for line in lines if "Telegram bot" in line)
    assert code == 1 and line.startswith("FAIL") and "connection refused" in line
    assert all(secret not in line for line in lines)


async def test_the_imap_mailbox_logs_in_over_tls_and_opens_its_folder(
        tmp_path: Path, relay: int, mailbox: Mailbox, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Against a real Dovecot (implicit TLS, its own CA); the password (from the environment)
    in no line. Only the success path: one doctor run costs seconds."""
    def configured(folder: str) -> Path:
        return _config(tmp_path, f"""
[email]
relay = "127.0.0.1:{relay}"
from_address = "opvoedvragen@cjg-twente.example"
default_address = "opvoedvragen@cjg-twente.example"
[email.imap]
host = "{mailbox.host}"
port = {mailbox.port}
tls = true
username = "{mailbox.username}"
folder = "{folder}"
ca_file = "{mailbox.ca_file}"
""")
    database = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("ADVICELINE_EMAIL_IMAP_PASSWORD", mailbox.password)
    code, lines = await _doctor(capsys, "--config", str(configured("INBOX")), "--database",
                                database)
    line = next((line for line in lines if "IMAP" in line), repr(lines))
    assert code == 0 and line.startswith("ok"), lines
    assert f"{mailbox.username}@{mailbox.host}:{mailbox.port}, folder 'INBOX' opens" in line
    assert all(mailbox.password not in line for line in lines)
