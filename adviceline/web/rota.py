"""Coordinators edit the rota: a week view in the browser and the same through the JSON API."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from aiohttp import web

from adviceline.config import REGIONAL_COORDINATOR
from adviceline.domain import Invalid
from adviceline.rota import ABSENCE, SHIFT, SWAP, local_today, monday_of
from adviceline.web import pages
from adviceline.web.auth import require_staff, staff_page
from adviceline.web.errors import path_id, read_json
from adviceline.web.keys import CLOCK, CONFIG, ROTA
from routing.rota import ON_CALL, REGIONAL_POOL

routes = web.RouteTableDef()
DAYS_NL = ("ma", "di", "wo", "do", "vr", "za", "zo")
PATHS = {"shifts": SHIFT, "absences": ABSENCE, "swaps": SWAP}


def _week(request: web.Request) -> date:
    text = request.query.get("week")
    if not text:
        return monday_of(local_today(request.app[CLOCK].now(), request.app[CONFIG].time_zone))
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid("'week' graag als JJJJ-MM-DD.") from exc
    if not date(2000, 1, 1) <= day <= date(2999, 12, 1):
        raise Invalid("Kies een week tussen 2000 en 2999.")
    return monday_of(day)


@routes.get("/coordinator/api/rota")
async def rota_json(request: web.Request) -> web.Response:
    """?week=YYYY-MM-DD: the duties of that week and the lines coordinators added."""
    staff = await require_staff(request, "coordinator")
    return web.json_response(await request.app[ROTA].week(staff.user, _week(request)))


@routes.post("/coordinator/api/rota/{kind:shifts|absences|swaps}")
async def add_entry(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator", state_changing=True)
    body = await read_json(request)
    entry = await request.app[ROTA].add(staff.user, PATHS[request.match_info["kind"]], body)
    return web.json_response(entry, status=201)


@routes.delete("/coordinator/api/rota/entries/{entry_id:[0-9]{1,10}}")
async def remove_entry(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator", state_changing=True)
    await request.app[ROTA].remove(staff.user, path_id(request, "entry_id"))
    return web.json_response({"status": "removed"})


@routes.get("/coordinator/rota")
async def rota_page(request: web.Request) -> web.Response:
    staff = await staff_page(request, "coordinator")
    monday = _week(request)
    week = await request.app[ROTA].week(staff.user, monday)
    config = request.app[CONFIG]
    regional = staff.user.role == REGIONAL_COORDINATOR
    desks = [(m.id, m.name) for m in sorted(config.municipalities.values(), key=lambda m: m.name)
             if regional or m.id in staff.user.municipalities]
    if regional:
        desks.append((REGIONAL_POOL, "Regionale pool"))
    names = {a["username"]: a["name"] for a in week["advisers"]}
    cells: dict[tuple[str, int], list[str]] = defaultdict(list)
    for duty in week["duties"]:
        start, end = datetime.fromisoformat(duty["start"]), datetime.fromisoformat(duty["end"])
        label = (f"{escape(names.get(duty['adviser'], duty['adviser']))} "
                 f"{start:%H:%M}-{end:%H:%M}" + (" (bereikbaar)" if duty["role"] == ON_CALL
                                                   else ""))
        cells[(duty["where"], start.weekday())].append(label)
    head = "".join(f"<th>{DAYS_NL[i]} {(monday + timedelta(days=i)):%d-%m}</th>"
                   for i in range(7))
    rows = "".join(
        f"<tr><th>{escape(name)}</th>" + "".join(
            f"<td>{'<br>'.join(cells[(desk, i)]) or '–'}</td>" for i in range(7)) + "</tr>"
        for desk, name in desks)
    advisers = [(a["username"], a["name"]) for a in week["advisers"]]
    entries = "".join(
        f'<li data-entry="{e["id"]}">{escape(_describe(e, names))} '
        f'<button type="button" class="link remove" data-entry="{e["id"]}">verwijderen</button>'
        f"</li>" for e in week["entries"]) or "<li class=\"muted\">Nog geen wijzigingen.</li>"
    log = "".join(f"<li>{escape(r['at'][:16].replace('T', ' '))} {escape(r['by'] or '?')}: "
                  f"{escape(r['action'])}</li>" for r in week["log"])
    previous, following = monday - timedelta(days=7), monday + timedelta(days=7)
    adviser_options = pages.options(advisers, None)
    desk_options = pages.options(desks, None)
    body = pages.staff_header(staff.user.display_name, "Coördinator", staff.csrf_token) + f"""
<main class="rota">
<h1>Rooster, week van {monday:%d-%m-%Y}</h1>
<p><a href="/coordinator/rota?week={previous.isoformat()}">← vorige week</a> ·
   <a href="/coordinator/rota?week={following.isoformat()}">volgende week →</a> ·
   <a href="/coordinator">statistieken</a></p>
<table class="week"><thead><tr><th>Balie</th>{head}</tr></thead><tbody>{rows}</tbody></table>
<p class="muted">Een dienst telt alleen als de balie open is (feestdagen en sluitingen tellen
mee). Vaste diensten uit de configuratie: {week["configured"]["shifts"]}.</p>
<h2>Wijzigingen</h2>
<ul id="entries">{entries}</ul>
<p id="rota-error" class="error" role="alert"></p>
<form class="rota-form" data-kind="absences">
  <h3>Verlof of ziekte</h3>
  <label>Adviseur <select name="adviser">{adviser_options}</select></label>
  <label>Van <input type="date" name="from" required></label>
  <label>Tot en met <input type="date" name="to" required></label>
  <label>Reden <select name="reason"><option value="leave">verlof</option>
    <option value="sickness">ziekte</option></select></label>
  <button type="submit">Toevoegen</button>
</form>
<form class="rota-form" data-kind="swaps">
  <h3>Ruil</h3>
  <label>Datum <input type="date" name="date" required></label>
  <label>Adviseur <select name="adviser">{adviser_options}</select></label>
  <label>Neemt over <select name="stand_in">{adviser_options}</select></label>
  <button type="submit">Toevoegen</button>
</form>
<form class="rota-form" data-kind="shifts">
  <h3>Vaste dienst</h3>
  <label>Adviseur <select name="adviser">{adviser_options}</select></label>
  <label>Balie <select name="where">{desk_options}</select></label>
  <label>Rol <select name="role"><option value="on_duty">dienst</option>
    <option value="on_call">bereikbaar</option></select></label>
  <label>Dagen <input name="days" value="mon,tue,wed,thu,fri"></label>
  <label>Tijden <input name="hours" value="09:00-17:00"></label>
  <button type="submit">Toevoegen</button>
</form>
<h2>Logboek</h2>
<ul class="log">{log}</ul>
</main>"""
    return pages.layout("Rooster", body, csrf=staff.csrf_token, script="rota.js")


def _describe(entry: dict[str, Any], names: dict[str, str]) -> str:
    who = names.get(entry.get("adviser", ""), entry.get("adviser", ""))
    if entry["kind"] == SHIFT:
        role = "bereikbaar" if entry["role"] == ON_CALL else "dienst"
        return f"{who}: {role} {entry['where']} {','.join(entry['days'])} " \
               f"{','.join(entry['hours'])}"
    if entry["kind"] == ABSENCE:
        reason = "ziek" if entry["reason"] == "sickness" else "verlof"
        return f"{who}: {reason} {entry['from']} t/m {entry['to']}"
    return f"{entry['date']}: {names.get(entry['stand_in'], entry['stand_in'])} neemt de " \
           f"diensten van {who} over"

