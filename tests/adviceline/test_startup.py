"""Start-up failures an administrator meets first: one clear line each, exit 2, no traceback."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from adviceline.cli import main
from tests.conftest import POSTGRES_ENV, without_logging_noise


def _postgres(database: str | None = None, user: str | None = None) -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("ADVICELINE_REQUIRE_POSTGRES"):
            pytest.fail(f"ADVICELINE_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
        pytest.skip(f"needs {POSTGRES_ENV}")
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port or 5432}"
    path = parts.path if database is None else "/" + database
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = without_logging_noise(capsys.readouterr().err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("adviceline: ")
    return lines[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"]])
def test_a_refused_connection_is_one_line(capsys, command: list[str]) -> None:
    url = f"postgresql+asyncpg://adviceline:geheim-wachtwoord@127.0.0.1:{_free_port()}/adviceline"
    line = _fails(capsys, *command, "--database", url)
    assert "connection refused" in line and "is PostgreSQL running" in line
    assert "geheim-wachtwoord" not in line


def test_a_missing_database_says_how_to_create_it(capsys) -> None:
    line = _fails(capsys, "serve", "--database", _postgres(database="adviceline_nonexistent"))
    assert "does not exist" in line and "createdb" in line


def test_an_unknown_role_says_so(capsys) -> None:
    line = _fails(capsys, "db", "upgrade", "--database", _postgres(user="no_such_role_here"))
    assert "no_such_role_here" in line and "may not log in" in line


def test_a_missing_sqlite_folder_says_so(capsys, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/gone/adviceline.db"
    line = _fails(capsys, "serve", "--database", url)
    assert "folder" in line and "does not exist" in line


def test_a_schema_newer_than_the_code_says_upgrade(capsys, tmp_path: Path) -> None:
    database = tmp_path / "adviceline.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert main(["db", "upgrade", "--database", url]) == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    capsys.readouterr()
    line = _fails(capsys, "serve", "--database", url)
    assert "9999_from_the_future" in line and "upgrade adviceline" in line
