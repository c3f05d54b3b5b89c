"""Structured logs: one JSON object per line. Callers pass facts in `extra`, never message text
or tokens.

Two things that could still carry a parent's words are rewritten here: a database error (the
driver's text may quote a failing row or an argument: PostgreSQL's "Failing row contains (...)",
asyncpg's "invalid input for query argument $2: '...'") is logged as its class, SQLSTATE, the
names of the table, column and constraint and the statement with placeholders, never its message;
and the access log records no client address or User-Agent unless `service.log_clients` is set,
and then only the address's network (/24, /48) and the User-Agent's first 32 characters.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy.exc import StatementError

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
AGENT_CHARS = 32

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _database_error(exc: BaseException | None) -> bool:
    """An error of the driver, or SQLAlchemy's wrapper of one (its other errors, about our own
    use of the ORM, quote no values and keep their message)."""
    if exc is None:
        return False
    module = type(exc).__module__
    return module.startswith(("asyncpg", "sqlalchemy.dialects")) or \
        isinstance(exc, StatementError)


def safe_database_error(exc: BaseException) -> str:
    """What may be logged of a database error: no message text, which can quote values."""
    parts = []
    original = getattr(exc, "orig", None)
    for source in (exc, original):
        if source is None:
            continue
        for name in ("sqlstate", "table_name", "column_name", "constraint_name"):
            value = getattr(source, name, None)
            if isinstance(value, str) and value and f"{name}={value}" not in parts:
                parts.append(f"{name}={value}")
    if original is not None:
        parts.insert(0, f"from {type(original).__name__}")
    statement = getattr(exc, "statement", None)
    if isinstance(statement, str):
        parts.append(f"[SQL: {statement}]")   # placeholders only: the values are bound apart
    return " ".join(parts) or "(message withheld: it may quote stored values)"


def format_exception(exc_info: ExcInfo) -> str:
    """A traceback in which every database error in the chain says only what is safe."""
    kind, value, tb = exc_info
    if kind is None or value is None:
        return ""
    report = traceback.TracebackException(kind, value, tb)
    seen: set[int] = set()
    pending: list[tuple[traceback.TracebackException, BaseException | None]] = [(report, value)]
    while pending:
        node, exc = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if exc is not None and _database_error(exc):
            node._str = safe_database_error(exc)  # type: ignore[attr-defined]
        elif exc is not None and isinstance(exc, HttpProcessingError):
            # aiohttp's parser quotes the request it refused ("Got more than 8190 bytes when
            # reading: b'Bearer <token>...'"): a token or a parent's words, never for a log.
            node._str = f"code={exc.code} (message withheld: it quotes the request)"  # type: ignore[attr-defined]
        if node.__cause__ is not None:
            pending.append((node.__cause__, exc.__cause__ if exc else None))
        if node.__context__ is not None:
            pending.append((node.__context__, exc.__context__ if exc else None))
    return "".join(report.format()).rstrip("\n")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)

    def formatException(self, ei: Any) -> str:
        return format_exception(ei)


class TextFormatter(logging.Formatter):
    """`--log-format text`: one readable line per event for a terminal, with the same facts
    (and the same guarantees: no message text, database errors withheld) as the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        facts = " ".join(f"{key}={_text_value(value)}" for key, value in vars(record).items()
                         if key not in _STANDARD)
        line = f"{at} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if facts:
            line += "  " + facts
        if record.exc_info:
            line += "\n" + format_exception(record.exc_info)
        return line


def _text_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False) if (not text or " " in text) else text


LOG_FORMATS = ("json", "text")


class ClientAddressFilter(logging.Filter):
    """aiohttp's server logs "Error handling request from <address>" for a request it cannot
    parse: the address becomes its network with `log_clients`, otherwise "a client"."""

    MESSAGE = "Error handling request from %s"

    def __init__(self, log_clients: bool = False) -> None:
        super().__init__()
        self.log_clients = log_clients

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("aiohttp") and record.msg == self.MESSAGE and record.args:
            address = record.args[0] if isinstance(record.args, tuple) else None
            record.args = (network_of(str(address)) if self.log_clients else "a client",)
        return True


def configure_logging(level: str = "INFO", log_format: str = "json",
                      log_clients: bool = False) -> ClientAddressFilter:
    """Log to stderr; returns the client address filter (`log_clients` may be set on it once
    the configuration is read)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    addresses = ClientAddressFilter(log_clients)
    handler.addFilter(addresses)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return addresses


def network_of(address: str) -> str:
    """A client address cut to its network: IPv4 /24, IPv6 /48 ("unknown" if none)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


class AccessLog(AbstractAccessLogger):
    """One line per request: method, path (never the query), status, bytes and time."""

    clients = False

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        extra: dict[str, Any] = {"method": request.method, "path": request.path[:200],
                                 "status": response.status, "bytes": response.body_length,
                                 "ms": round(time * 1000, 1)}
        if self.clients:
            extra["client"] = network_of(request.remote or "")
            extra["agent"] = request.headers.get("User-Agent", "")[:AGENT_CHARS]
        self.logger.info("request", extra=extra)


class AccessLogWithClients(AccessLog):
    """`service.log_clients`: also the client's network and the start of its User-Agent."""

    clients = True


def access_log_options(log_clients: bool) -> dict[str, Any]:
    """Keyword arguments for web.run_app / AppRunner: our access log instead of aiohttp's
    (whose default format has the full client address and User-Agent)."""
    return {"access_log": logging.getLogger("aiohttp.access"),
            "access_log_class": AccessLogWithClients if log_clients else AccessLog}
