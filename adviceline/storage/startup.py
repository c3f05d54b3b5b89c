"""Start-up checks of the database: one clear line naming what to do, instead of a traceback.

`check_database` connects once and reads the schema's migration revision. It never migrates;
`serve` and `db upgrade` call it first and exit with code 2 and its message when it fails.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from adviceline.storage.engine import SQLiteWithoutWal, alembic_config, create_engine


class DatabaseUnavailable(Exception):
    """The database cannot be used as configured; the message says what to do."""


def describe(url: str) -> str:
    """Where the database is, without the password."""
    if url.startswith("sqlite"):
        return "SQLite file " + url.split("///", 1)[-1]
    parts = urlsplit(url.replace("+asyncpg", ""))
    user = f"user {parts.username!r} " if parts.username else ""
    return (f"PostgreSQL database {parts.path.lstrip('/')!r} {user}at "
            f"{parts.hostname or 'localhost'}:{parts.port or 5432}")


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__
                                                                 or current.__context__)
    return chain


def explain(error: BaseException, url: str) -> str:
    """One line for an error met while connecting to `url`."""
    where = describe(url)
    for cause in _causes(error):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state == "3D000":
            return (f"{where} does not exist: create it (README, \"Setting up PostgreSQL\"), "
                    "e.g. `createdb -O adviceline adviceline`, then start again")
        if state == "28P01":
            return (f"{where}: the password was refused; check database.url or "
                    "ADVICELINE_DATABASE_URL")
        if state in ("28000", "42501"):
            return (f"{where}: this user may not log in or has no rights there ({state}); "
                    "create the role or grant it (README, \"Setting up PostgreSQL\")")
        if isinstance(cause, ConnectionRefusedError):
            return (f"cannot reach the {where}: connection refused; is PostgreSQL running and "
                    "listening on that address and port?")
        if isinstance(cause, TimeoutError):
            return f"cannot reach the {where}: no answer in time (firewall, wrong host?)"
        if isinstance(cause, OSError):
            return f"cannot reach the {where}: {cause.strerror or cause} (wrong host name?)"
        if isinstance(cause, sqlite3.OperationalError):
            return (f"cannot open the {where} ({cause}): does its folder exist, and may this "
                    "user write there?")
    return f"cannot use the {where}: {type(error).__name__}"


def _check_sqlite_folder(url: str) -> None:
    # Checked before connecting: a failed aiosqlite connect leaves its thread behind.
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise DatabaseUnavailable(f"cannot open the {describe(url)}: the folder {folder} does "
                                  "not exist; create it or set database.url")
    if not os.access(folder, os.W_OK):
        raise DatabaseUnavailable(f"cannot open the {describe(url)}: this user may not write "
                                  f"in {folder}")


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def check_database(url: str, *, timeout: float = 10.0) -> str | None:
    """Connect and compare the schema's revision with the code's; raise DatabaseUnavailable.
    Returns the schema's revision (None: an empty database)."""
    if url.startswith("sqlite"):
        _check_sqlite_folder(url)
    engine = create_engine(url) if url.startswith("sqlite") else create_async_engine(
        url, hide_parameters=True, poolclass=NullPool, connect_args={"timeout": timeout})
    try:
        try:
            async with engine.connect() as connection:
                revision = await connection.run_sync(_revision)
        except (DBAPIError, SQLAlchemyError, OSError) as error:
            raise DatabaseUnavailable(explain(error, url)) from None
        except SQLiteWithoutWal as error:
            raise DatabaseUnavailable(f"cannot use the {describe(url)}: {error}") from None
    finally:
        await engine.dispose()
    if revision is None:
        return None  # a new database: migrations create everything
    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise DatabaseUnavailable(
            f"the {describe(url)} has schema revision {revision}, newer than this adviceline "
            f"knows (up to {scripts.get_current_head()}): upgrade adviceline, or point it at "
            "the database this version made")
    return revision


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
