"""`adviceline init --region DIR`: a new region's starting configuration that loads, resolves
its postcodes and lets its first coordinator log in with the password printed once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.cli import main
from adviceline.clock import FrozenClock
from adviceline.config import load_config
from adviceline.faq import Faq
from adviceline.web.app import create_app


async def test_a_new_region_starts_and_its_coordinator_logs_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: FrozenClock,
        faq: Faq) -> None:
    region = tmp_path / "utrecht"
    assert main(["init", "--region", str(region), "--name", "Utrecht-West",
                 "--municipality", "utrecht", "--municipality", "De Bilt"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"first login: (\S+) / (\S+)", out)
    assert found, out
    username, password = found.groups()
    assert password not in (region / "adviceline.toml").read_text(encoding="utf-8")

    config = load_config(region / "adviceline.toml")
    assert config.region_name == "Utrecht-West"
    assert sorted(config.municipalities) == ["de-bilt", "utrecht"]
    assert config.postcodes["3511"] == "utrecht"   # the CBS file resolves the new region
    app = create_app(replace(config, secure_cookies=False), clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            response = await http.post(server.make_url("/login"), allow_redirects=False,
                                       data={"username": username, "password": password})
            assert response.status == 303 and response.headers["Location"] == "/coordinator"
    finally:
        await server.close()

    # Never over an existing configuration by accident.
    assert main(["init", "--region", str(region)]) == 2
    assert "exists" in capsys.readouterr().err


def test_an_unknown_municipality_names_the_close_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--region", str(tmp_path), "--municipality", "Hengeloo"]) == 2
    err = capsys.readouterr().err
    assert "'Hengeloo' is not a municipality" in err and "Hengelo" in err
    assert not (tmp_path / "adviceline.toml").exists()


def test_without_names_it_starts_from_the_shipped_region(tmp_path: Path) -> None:
    assert main(["init", "--region", str(tmp_path)]) == 0
    assert len(load_config(tmp_path / "adviceline.toml").municipalities) == 14
