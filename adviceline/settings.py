"""Values the service makes once, at its very first start, and every process shares (the
`service_settings` table): keys and secrets that must be the same everywhere."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.storage import repository as repo


async def shared_setting(sessions: async_sessionmaker[AsyncSession], name: str,
                         make: Callable[[], str]) -> str:
    """The stored value of `name`; made with `make` and stored if there is none yet. Two
    processes starting at once store one value between them and both read that one."""
    async with sessions() as session:
        value = await repo.setting(session, name)
    if value is None:
        try:
            async with sessions.begin() as session:
                await repo.add_setting(session, name, make())
        except IntegrityError:
            pass   # another process made it first; use theirs
        async with sessions() as session:
            value = await repo.setting(session, name)
    if value is None:
        raise RuntimeError(f"the setting {name!r} could not be stored")
    return value


async def shared_secret(sessions: async_sessionmaker[AsyncSession], name: str) -> bytes:
    """A random 32-byte key made at the first start and shared by every process."""
    return bytes.fromhex(await shared_setting(sessions, f"secret:{name}",
                                              lambda: secrets.token_hex(32)))
