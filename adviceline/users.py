"""Staff accounts come from configuration; this keeps the users table in step with it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.config import UserConfig
from adviceline.passwords import hash_password, verify_password
from adviceline.storage import repository as repo
from adviceline.storage.models import User


async def sync_users(sessions: async_sessionmaker[AsyncSession],
                     users: Iterable[UserConfig]) -> None:
    users = list(users)
    configured_names = [u.username for u in users]
    async with sessions.begin() as session:
        for configured in users:
            user = await repo.user_by_username(session, configured.username)
            password_hash = configured.password_hash
            if configured.password is not None:
                plain = configured.password.reveal()
                # Re-use the stored hash while the demo password is unchanged (argon2 is slow).
                keep = user is not None and await asyncio.to_thread(
                    verify_password, user.password_hash, plain)
                password_hash = user.password_hash if keep and user else \
                    await asyncio.to_thread(hash_password, plain)
            if user is None:
                user = User(username=configured.username)
                session.add(user)
            user.display_name = configured.display_name
            user.role = configured.role
            user.municipalities = list(configured.municipalities)
            user.regional_pool = configured.regional_pool
            user.password_hash = password_hash or ""
            user.active = True
        # Someone removed from the configuration can no longer log in.
        await session.execute(update(User).where(User.username.not_in(configured_names))
                              .values(active=False))
