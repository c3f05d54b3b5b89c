"""`adviceline users`: staff managed from the command line, live, without a config edit or a
restart; passwords only from a prompt or stdin; configuration users stay the file's."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest

from adviceline.cli import main
from adviceline.config import Config
from adviceline.users import sync_users
from adviceline.web.keys import SESSIONS
from tests.conftest import RunningApp, without_logging_noise

PASSWORD = "een lang genoeg wachtwoord"
NEW_PASSWORD = "en nu een ander wachtwoord"


async def users(monkeypatch: pytest.MonkeyPatch, config: Config, *argv: str,
                stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    # main() runs its own event loop, so it runs in a thread here, as in its own process.
    return await asyncio.to_thread(
        main, ["users", *argv, "--database", config.database_url.reveal()])


async def test_staff_added_on_the_command_line_log_in_at_once_and_survive_a_restart(
        running: RunningApp, config: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert await users(monkeypatch, config, "add", "anna.almelo", "--municipality", "almelo",
                       "--display-name", "Anna", stdin=PASSWORD + "\n") == 0
    anna = await running.login("anna.almelo", PASSWORD)
    console = await anna.get(running.url("/console"), allow_redirects=False)
    assert console.status == 200

    # A new password ends the login made with the old one.
    assert await users(monkeypatch, config, "reset-password", "anna.almelo",
                       stdin=NEW_PASSWORD + "\n") == 0
    console = await anna.get(running.url("/console"), allow_redirects=False)
    assert console.status in (302, 303)
    await anna.close()
    anna = await running.login("anna.almelo", NEW_PASSWORD)
    await anna.close()

    # The configuration's users are synced at every start; Anna is not the file's to remove.
    await sync_users(running.app[SESSIONS], config.users)
    anna = await running.login("anna.almelo", NEW_PASSWORD)
    await anna.close()

    assert await users(monkeypatch, config, "disable", "anna.almelo") == 0
    refused = await running.http.post(running.url("/login"), allow_redirects=False,
                                      data={"username": "anna.almelo", "password": NEW_PASSWORD})
    assert refused.status == 401
    capsys.readouterr()
    assert await users(monkeypatch, config, "list") == 0
    listed = next(line for line in capsys.readouterr().out.splitlines() if "anna.almelo" in line)
    assert "disabled" in listed and "cli" in listed and "almelo" in listed


async def test_what_cannot_be_done_is_one_clear_line(
        running: RunningApp, config: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["add", "kort", "--municipality", "almelo"], "kort\n", "at least 12 characters"),
        (["add", "x.y", "--municipality", "atlantis"], PASSWORD + "\n", "unknown municipality"),
        (["add", "x.y"], PASSWORD + "\n", "needs a --municipality or --regional-pool"),
        (["add", "adviseur.enschede", "--municipality", "enschede"], PASSWORD + "\n",
         "configuration file"),
        (["disable", "adviseur.enschede"], "", "configuration file"),
        (["reset-password", "nobody.here"], PASSWORD + "\n", "no user 'nobody.here'"),
    ]
    for argv, stdin, said in cases:
        capsys.readouterr()
        assert await users(monkeypatch, config, *argv, stdin=stdin) == 2, argv
        err = without_logging_noise(capsys.readouterr().err).strip()
        assert len(err.splitlines()) == 1 and said in err, (argv, err)
    # The configuration's adviser still logs in with the file's password.
    session = await running.login("adviseur.enschede", "demo-enschede")
    await session.close()


async def test_an_email_address_for_on_call_is_set_checked_and_listed(
        running: RunningApp, config: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert await users(monkeypatch, config, "add", "anna.almelo", "--municipality", "almelo",
                       "--email", "anna@almelo.example", stdin=PASSWORD + "\n") == 0
    capsys.readouterr()
    assert await users(monkeypatch, config, "list") == 0
    assert "<anna@almelo.example>" in capsys.readouterr().out
    with pytest.raises(SystemExit):   # argparse refuses it before anything is changed
        await users(monkeypatch, config, "set-email", "anna.almelo", "anna at almelo")
    assert "is not an e-mail address" in capsys.readouterr().err
    assert await users(monkeypatch, config, "set-email", "anna.almelo", "") == 0
    assert await users(monkeypatch, config, "set-email", "adviseur.hengelo",
                       "bram@hengelo.example") == 2   # the configuration file's user
    capsys.readouterr()
    assert await users(monkeypatch, config, "list") == 0
    listed = next(line for line in capsys.readouterr().out.splitlines() if "anna.almelo" in line)
    assert "@" not in listed
