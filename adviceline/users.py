"""Staff accounts: the configuration's [[user]] entries, kept in step with the users table at every
start, and staff managed from the command line (`adviceline users`), kept in the database only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.config import REGIONAL_COORDINATOR, UserConfig, staff_email
from adviceline.domain import Conflict, Invalid, NotFound
from adviceline.passwords import hash_password, verify_password
from adviceline.storage import repository as repo
from adviceline.storage.models import AuditRecord, User


async def sync_users(sessions: async_sessionmaker[AsyncSession],
                     users: Iterable[UserConfig]) -> None:
    users = list(users)
    configured_names = [u.username for u in users]
    async with sessions.begin() as session:
        # Several processes starting at once on a fresh database would each find a user missing
        # and insert it (users_username_key): one syncs at a time, the others then find it done.
        await repo.take_turn_to_sync_users(session)
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
            elif user.password_hash != (password_hash or ""):
                # A new password ends every login made with the old one.
                await repo.end_sessions_of_user(session, user.id)
            user.display_name = configured.display_name
            user.role = configured.role
            user.municipalities = list(configured.municipalities)
            user.regional_pool = configured.regional_pool
            user.email = configured.email
            user.password_hash = password_hash or ""
            user.active = True
            user.managed = CONFIG_MANAGED
        # Someone removed from the configuration can no longer log in; staff added with
        # `adviceline users add` are not the configuration's to remove.
        await session.execute(update(User).where(User.username.not_in(configured_names),
                                                 User.managed == CONFIG_MANAGED)
                              .values(active=False))


CONFIG_MANAGED, CLI_MANAGED = "config", "cli"
MIN_PASSWORD_CHARS = 12


class StaffError(Exception):
    """A `users` command that cannot be done as asked; the message says why."""


async def add_user(sessions: async_sessionmaker[AsyncSession], *, username: str,
                   display_name: str, role: str, municipalities: Iterable[str],
                   regional_pool: bool, password: str, email: str | None = None) -> None:
    _check_password(password)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions.begin() as session:
        existing = await repo.user_by_username(session, username)
        if existing is not None:
            raise StaffError(_exists(existing))
        session.add(User(username=username, display_name=display_name, role=role,
                         municipalities=list(municipalities), regional_pool=regional_pool,
                         password_hash=password_hash, active=True, managed=CLI_MANAGED,
                         email=email))


async def set_email(sessions: async_sessionmaker[AsyncSession], username: str,
                    email: str | None) -> None:
    """Where this command-line account's on-call calls are mailed (None: the console only)."""
    async with sessions.begin() as session:
        user = await _managed_here(session, username)
        user.email = email


async def disable_user(sessions: async_sessionmaker[AsyncSession], username: str) -> None:
    async with sessions.begin() as session:
        user = await _managed_here(session, username)
        user.active = False
        await repo.end_sessions_of_user(session, user.id)


async def reset_password(sessions: async_sessionmaker[AsyncSession], username: str,
                         password: str) -> None:
    """A new password; every login made with the old one ends, and a disabled user is enabled."""
    _check_password(password)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions.begin() as session:
        user = await _managed_here(session, username)
        user.password_hash = password_hash
        user.active = True
        await repo.end_sessions_of_user(session, user.id)


async def list_users(sessions: async_sessionmaker[AsyncSession]) -> list[User]:
    async with sessions() as session:
        return list(await repo.all_users(session))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"use a password of at least {MIN_PASSWORD_CHARS} characters")


def _exists(user: User) -> str:
    if user.managed == CONFIG_MANAGED:
        return (f"{user.username!r} is a [[user]] of the configuration file; change it there")
    return f"{user.username!r} exists already; use `adviceline users reset-password`"


async def _managed_here(session: AsyncSession, username: str) -> User:
    user = await repo.user_by_username(session, username)
    if user is None:
        raise StaffError(f"no user {username!r}")
    if user.managed == CONFIG_MANAGED:
        raise StaffError(f"{username!r} is a [[user]] of the configuration file, which sets it "
                         "at every start: change or remove it there")
    return user


# Coordinators manage their staff's e-mail addresses (the JSON API) ------------------------------

def may_manage(coordinator: User, user: User) -> bool:
    """A regional coordinator manages everyone; a coordinator themselves and the staff who work
    in one of their municipalities."""
    if coordinator.role == REGIONAL_COORDINATOR or coordinator.id == user.id:
        return True
    return bool(set(coordinator.municipalities) & set(user.municipalities))


def staff_json(user: User) -> dict[str, Any]:
    return {"username": user.username, "name": user.display_name, "role": user.role,
            "municipalities": list(user.municipalities), "regional_pool": user.regional_pool,
            "active": user.active, "managed": user.managed, "email": user.email}


async def staff_of(sessions: async_sessionmaker[AsyncSession],
                   coordinator: User) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [staff_json(user) for user in await repo.all_users(session)
                if may_manage(coordinator, user)]


async def change_email(sessions: async_sessionmaker[AsyncSession], coordinator: User,
                       username: str, given: object, now: datetime) -> dict[str, Any]:
    """Set (or, with "" or null, remove) where a staff member's on-call calls are mailed; audit
    logged. A [[user]] of the configuration file keeps the file's address (409)."""
    if given is not None and not isinstance(given, str):
        raise Invalid("'email' moet een e-mailadres zijn, of leeg.")
    try:
        email = staff_email(given or "")
    except ValueError as exc:
        raise Invalid(f"'email': {exc}") from exc
    async with sessions.begin() as session:
        user = await repo.user_by_username(session, username)
        if user is None or not may_manage(coordinator, user):
            # The same answer for someone who does not exist and someone not yours to manage.
            raise NotFound("Deze medewerker bestaat niet, of valt niet onder jou.")
        if user.managed == CONFIG_MANAGED:
            raise Conflict(f"{username} staat in het configuratiebestand ([[user]]); zet het "
                           "e-mailadres daar (email = ...).")
        user.email = email
        await repo.add_audit_record(session, AuditRecord(
            at=now, user_id=coordinator.id, action="staff_email",
            detail={"username": username, "email": email}))
        return staff_json(user)
