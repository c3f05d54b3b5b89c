"""No parent text in any log: a failing statement's row and arguments stay out of the error log
(SQLite and PostgreSQL), and the access log has no client address or User-Agent unless asked."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.logs import (
    ClientAddressFilter,
    JsonFormatter,
    TextFormatter,
    access_log_options,
)
from adviceline.storage.engine import create_engine
from adviceline.web.app import create_app
from adviceline.web.keys import ENGINE
from tests.conftest import RunningApp
from tests.web.chat_client import open_conversation

SECRET = "Mijn dochter Noor (7) uit de Lindestraat plast weer in bed"


@contextmanager
def captured(logger_name: str = "", formatter: logging.Formatter | None = None
             ) -> Iterator[io.StringIO]:
    """Every record of `logger_name` (root: all), formatted as the service writes them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter or JsonFormatter())
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def refuse_the_secret(running: RunningApp, database_url: str) -> None:
    """The database refuses a message holding the secret: a failing statement with its text."""
    async with running.app[ENGINE].begin() as connection:
        if database_url.startswith("sqlite"):
            await connection.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.body LIKE '%Noor%' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
        else:
            await connection.execute(text(
                "ALTER TABLE messages ADD CONSTRAINT refuse CHECK (body NOT LIKE '%Noor%')"))


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
async def test_a_failing_statement_never_logs_the_parents_text(
        running: RunningApp, database_url: str, formatter: type[logging.Formatter]) -> None:
    token = await open_conversation(running.http, running.url(""))
    await refuse_the_secret(running, database_url)
    with captured(formatter=formatter()) as log:
        response = await running.http.post(
            running.url("/api/v1/conversation/messages"), json={"text": SECRET},
            headers={"Authorization": f"Bearer {token}"})
        assert response.status == 500
    written = log.getvalue()
    assert "unhandled error" in written and "INSERT INTO messages" in written
    if not database_url.startswith("sqlite"):
        assert "sqlstate=23514" in written and "constraint_name=refuse" in written
    assert "Noor" not in written and "Lindestraat" not in written


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_argument_the_driver_refuses_is_not_quoted_in_the_log(
        database_url: str) -> None:
    # asyncpg names the argument it could not encode, with its value, in the message.
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TEMP TABLE t (n integer)"))
            with captured("adviceline.test") as log:
                try:
                    await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": SECRET})
                except Exception:
                    logging.getLogger("adviceline.test").exception("insert failed")
    finally:
        await engine.dispose()
    written = log.getvalue()
    assert "insert failed" in written and "DataError" in written
    assert "Noor" not in written


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("log_clients", [False, True])
async def test_the_access_log_has_no_client_unless_configured_and_then_truncated(
        config: Config, clock, faq: Faq, log_clients: bool) -> None:
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server(**access_log_options(log_clients))   # as `adviceline serve`
    agent = "Mozilla/5.0 (Linux; Android 14; Pixel 8 van Noor) Chrome/120"
    try:
        with captured("aiohttp.access") as log:
            async with aiohttp.ClientSession(headers={"User-Agent": agent}) as http:
                response = await http.get(server.make_url("/api/v1/municipalities?q=Noor"))
                assert response.status == 200
    finally:
        await server.close()
    written = log.getvalue()
    assert '"path": "/api/v1/municipalities"' in written and '"status": 200' in written
    assert "Noor" not in written and "127.0.0.1" not in written   # no query, no full address
    if log_clients:
        assert '"client": "127.0.0.0/24"' in written and '"agent": "Mozilla/5.0 (Linux; ' in written
        assert "Pixel" not in written
    else:
        assert "Mozilla" not in written and '"client"' not in written


def test_the_text_format_is_one_readable_line_with_the_facts() -> None:
    record = logging.makeLogRecord({"name": "adviceline.outbox", "levelname": "WARNING",
                                    "levelno": logging.WARNING, "msg": "delivery failed for good",
                                    "channel": "email", "attempts": 8,
                                    "error": "relay said 550 no such user"})
    line = TextFormatter().format(record)
    assert "\n" not in line
    assert "WARNING" in line and "adviceline.outbox: delivery failed for good" in line
    assert "channel=email" in line and "attempts=8" in line
    assert 'error="relay said 550 no such user"' in line


@pytest.mark.parametrize(("log_clients", "shown"), [(False, "a client"),
                                                     (True, "203.0.113.0/24")])
def test_a_request_aiohttp_cannot_parse_is_logged_without_the_full_address(
        log_clients: bool, shown: str) -> None:
    record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1,
                               "Error handling request from %s", ("203.0.113.77",), None)
    assert ClientAddressFilter(log_clients).filter(record)
    line = JsonFormatter().format(record)
    assert "203.0.113.77" not in line and shown in line


async def test_a_refused_oversized_header_is_logged_without_its_value(
        running: RunningApp) -> None:
    # aiohttp's parser refuses a header over 8190 bytes and quotes its start in the error.
    token = "GEHEIMTOKEN" + "x" * 9000
    with captured() as log:
        reader, writer = await asyncio.open_connection(running.server.host,
                                                       running.server.port)
        writer.write(f"GET /api/v1/conversation HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.1)   # the server logs after answering
    assert b" 400 " in status
    written = log.getvalue()
    assert "message withheld" in written
    assert "GEHEIMTOKEN" not in written
