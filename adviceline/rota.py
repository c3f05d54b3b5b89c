"""The rota as it stands: the configured one plus what coordinators added or removed since.

Coordinators change it in the browser (a week view) or through the JSON API; every change is
stored before it is confirmed and written to the audit log with who and when.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.config import ADVISER, REGIONAL_COORDINATOR, Config
from adviceline.domain import Invalid, NotFound
from adviceline.storage import repository as repo
from adviceline.storage.models import AuditRecord, RotaEntry, User
from routing.assignment import AdviserScope
from routing.rota import (
    ABSENCE_REASONS,
    REGIONAL_POOL,
    Absence,
    Rota,
    RotaError,
    Swap,
    check_names,
    shifts_from_mapping,
)
from routing.staffing import Staffing

SHIFT, ABSENCE, SWAP = "shift", "absence", "swap"
KINDS = (SHIFT, ABSENCE, SWAP)


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad(name)
    except ValueError:
        return _bad(name)


def _bad(name: str) -> date:
    raise Invalid(f"'{name}' moet een datum zijn als 2026-12-08.")


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Invalid(f"'{name}' moet een lijst van teksten zijn.")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"'{name}' is verplicht.")
    return value


def apply(rota: Rota, kind: str, data: dict[str, Any]) -> Rota:
    """The rota with one stored entry added (the entry was checked when it was stored)."""
    if kind == SHIFT:
        return replace(rota, shifts=(*rota.shifts, *shifts_from_mapping(
            data["adviser"], data["where"], data["role"], data["days"], data["hours"])))
    if kind == ABSENCE:
        return replace(rota, absences=(*rota.absences, Absence(
            data["adviser"], date.fromisoformat(data["from"]), date.fromisoformat(data["to"]),
            data["reason"])))
    return replace(rota, swaps=(*rota.swaps, Swap(date.fromisoformat(data["date"]),
                                                   data["adviser"], data["stand_in"])))


def clean(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A request body as a rota entry, or Invalid naming the field at fault."""
    if kind == SHIFT:
        data = {"adviser": _string(body.get("adviser"), "adviser"),
                "where": _string(body.get("where"), "where"),
                "role": body.get("role", "on_duty"),
                "days": _strings(body.get("days"), "days"),
                "hours": _strings(body.get("hours"), "hours")}
        try:
            shifts_from_mapping(data["adviser"], data["where"], str(data["role"]), data["days"],
                                data["hours"])
        except RotaError as exc:
            raise Invalid(str(exc)) from exc
        return data
    if kind == ABSENCE:
        first, last = _date(body.get("from"), "from"), _date(body.get("to"), "to")
        reason = body.get("reason", "leave")
        if reason not in ABSENCE_REASONS:
            raise Invalid(f"'reason' moet een van {', '.join(ABSENCE_REASONS)} zijn.")
        if last < first:
            raise Invalid("'to' ligt voor 'from'.")
        return {"adviser": _string(body.get("adviser"), "adviser"), "from": first.isoformat(),
                "to": last.isoformat(), "reason": reason}
    if kind == SWAP:
        return {"date": _date(body.get("date"), "date").isoformat(),
                "adviser": _string(body.get("adviser"), "adviser"),
                "stand_in": _string(body.get("stand_in"), "stand_in")}
    raise Invalid(f"Onbekend soort roosterregel {kind!r}.")


class RotaBook:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], config: Config,
                 clock: Clock) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock

    async def current(self) -> Rota:
        async with self._sessions() as session:
            entries = await repo.rota_entries(session)
        return self._with(entries)

    @staticmethod
    async def _advisers(session: AsyncSession, *,
                        disabled_too: bool = False) -> dict[str, User]:
        """Every active adviser by username: the configured ones and those added with
        `adviceline users add` (both are in the users table). `disabled_too`: also those
        disabled since, whose rota lines still belong to their municipalities' coordinators."""
        users = await repo.all_users(session) if disabled_too else \
            await repo.adviser_users(session)
        return {user.username: user for user in users if user.role == ADVISER}

    def _with(self, entries: Any) -> Rota:
        rota = self._config.rota
        for entry in entries:
            rota = apply(rota, entry.kind, entry.data)
        return rota

    async def staffing(self, session: AsyncSession | None = None) -> Staffing:
        """The rota in force, and who works where from the users table, so an adviser added
        with `adviceline users add` staffs their desks like a configured one.

        `session`: read in the caller's transaction. A caller that holds a connection (and
        locks) must pass it: taking a second connection from the pool meanwhile deadlocks the
        pool under load (every connection held by a transaction waiting for another one)."""
        if session is not None:
            return self._staffing(await repo.rota_entries(session),
                                  await self._advisers(session))
        async with self._sessions() as own:
            entries = await repo.rota_entries(own)
            advisers = await self._advisers(own)
        return self._staffing(entries, advisers)

    def _staffing(self, entries: Any, advisers: dict[str, User]) -> Staffing:
        return replace(self._config.staffing, rota=self._with(entries), scopes={
            name: AdviserScope(tuple(user.municipalities), user.regional_pool)
            for name, user in advisers.items()})

    def _may_edit(self, staff: User, municipalities: set[str]) -> bool:
        if staff.role == REGIONAL_COORDINATOR:
            return True
        return bool(municipalities) and municipalities <= set(staff.municipalities)

    @staticmethod
    def _places_of(kind: str, data: dict[str, Any], advisers: dict[str, User]) -> set[str]:
        """The municipalities a change is about: a shift's desk, an adviser's municipalities."""
        if kind == SHIFT:
            return {data["where"]} if data["where"] != REGIONAL_POOL else set()
        names = [data["adviser"]] + ([data["stand_in"]] if kind == SWAP else [])
        places: set[str] = set()
        for name in names:
            if name in advisers:
                places.update(advisers[name].municipalities)
        return places

    async def add(self, staff: User, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        data = clean(kind, body)
        async with self._sessions() as session:
            advisers = await self._advisers(session)
        try:
            check_names(apply(Rota(), kind, data), list(advisers), self._config.municipalities)
        except RotaError as exc:
            raise Invalid(str(exc)) from exc
        places = self._places_of(kind, data, advisers)
        if not self._may_edit(staff, places):
            # The same answer as for an adviser or desk that does not exist.
            raise Invalid("Deze adviseur of gemeente is onbekend, of niet een van jouw "
                          "gemeenten.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            entry = RotaEntry(kind=kind, data=data, created_by=staff.id, created_at=now,
                              municipality=next(iter(sorted(places)), None))
            session.add(entry)
            await session.flush()
            await repo.add_audit_record(session, AuditRecord(
                at=now, user_id=staff.id, action=f"rota_add_{kind}",
                municipality=entry.municipality, detail={"entry": entry.id, **data}))
        return _entry_json(entry)

    async def remove(self, staff: User, entry_id: int) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            entry = await repo.rota_entry_for_update(session, entry_id)
            advisers = await self._advisers(session, disabled_too=True)
            if entry is None or entry.removed_at is not None or \
                    not self._may_edit(staff, self._places_of(entry.kind, entry.data, advisers)):
                raise NotFound("Deze roosterregel bestaat niet (meer).")
            entry.removed_at, entry.removed_by = now, staff.id
            await repo.add_audit_record(session, AuditRecord(
                at=now, user_id=staff.id, action=f"rota_remove_{entry.kind}",
                municipality=entry.municipality, detail={"entry": entry.id, **entry.data}))

    async def week(self, staff: User, monday: date) -> dict[str, Any]:
        """Every duty of the week (for the desks this coordinator sees) and the lines it comes
        from: configured ones (fixed) and coordinators' (removable)."""
        async with self._sessions() as session:
            entries = await repo.rota_entries(session)
            log = await repo.audit_records(session, None if staff.role == REGIONAL_COORDINATOR
                                           else staff.municipalities, limit=50,
                                           actions=[f"rota_{how}_{kind}" for kind in KINDS
                                                    for how in ("add", "remove")])
            names = await repo.display_names(session)
            advisers = await self._advisers(session, disabled_too=True)
        rota = self._with(entries)
        zone = ZoneInfo(self._config.time_zone)
        visible = None if staff.role == REGIONAL_COORDINATOR else set(staff.municipalities)
        duties = [{"adviser": d.adviser, "where": d.where, "role": d.role,
                   "start": d.start.isoformat(), "end": d.end.isoformat()}
                  for d in rota.week(monday)
                  if visible is None or d.where in visible or d.where == REGIONAL_POOL]
        return {
            "week": monday.isoformat(), "time_zone": str(zone), "duties": duties,
            "entries": [_entry_json(e) for e in entries
                        if self._may_edit(staff, self._places_of(e.kind, e.data, advisers))],
            # Who can be put on the rota: configured advisers and those added with
            # `adviceline users add`.
            "advisers": [{"username": name, "name": user.display_name}
                         for name, user in sorted(advisers.items(),
                                                  key=lambda item: item[1].display_name)
                         if user.active],
            "configured": {"shifts": len(self._config.rota.shifts),
                           "absences": len(self._config.rota.absences),
                           "swaps": len(self._config.rota.swaps)},
            "log": [{"at": r.at.isoformat(), "by": names.get(r.user_id), "action": r.action,
                     "detail": r.detail} for r in log],
        }


def _entry_json(entry: RotaEntry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, **entry.data,
            "created_at": entry.created_at.isoformat()}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()
