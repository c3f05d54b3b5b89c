"""The coordinator page: answer-time statistics per municipality, and reloading the FAQ."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from adviceline.advisers import Adviser
from adviceline.audit import recent_decisions
from adviceline.config import REGIONAL_COORDINATOR, Config, Municipality
from adviceline.domain import Forbidden, Invalid
from adviceline.notify import KNOWLEDGE_BASE
from adviceline.stats import AnswerStats, answer_stats, answer_stats_per_municipality
from adviceline.storage import repository as repo
from adviceline.web import pages
from adviceline.web.auth import Staff, require_staff, staff_page
from adviceline.web.keys import CLOCK, CONFIG, DESK, FAQ, NOTIFIER, SESSIONS
from knowledge_base import KnowledgeBaseError
from routing.queue import CRISIS_PRIORITY

routes = web.RouteTableDef()
MAX_DAYS = 731
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def scope(staff: Staff) -> frozenset[str] | None:
    """The municipalities a coordinator sees; None for a regional coordinator (the region)."""
    if staff.user.role == REGIONAL_COORDINATOR:
        return None
    return frozenset(staff.user.municipalities)


def _period(request: web.Request, staff: Staff) -> tuple[date, date, str | None]:
    config = request.app[CONFIG]
    today = request.app[CLOCK].now().astimezone(ZoneInfo(config.time_zone)).date()
    try:
        end = date.fromisoformat(request.query["to"]) if request.query.get("to") else today
        start = (date.fromisoformat(request.query["from"]) if request.query.get("from")
                 else end - timedelta(days=29))
    except (ValueError, OverflowError) as exc:
        raise Invalid("Datums graag als JJJJ-MM-DD.") from exc
    if start < EARLIEST or end > LATEST:
        # Far dates overflow when turned into moments (and there is nothing to count there).
        raise Invalid(f"Kies datums tussen {EARLIEST.year} en {LATEST.year}.")
    if start > end:
        raise Invalid("De begindatum ligt na de einddatum.")
    if (end - start).days > MAX_DAYS:
        raise Invalid(f"Kies een periode van hooguit {MAX_DAYS} dagen.")
    municipality = request.query.get("municipality") or None
    visible = scope(staff)
    if municipality is not None and (municipality not in config.municipalities or
                                     (visible is not None and municipality not in visible)):
        # The same answer for a municipality that does not exist and one that is not yours.
        raise Invalid(f"Onbekende gemeente {municipality!r}, of niet een van jouw gemeenten.")
    return start, end, municipality


def _within(staff: Staff, municipality: str | None) -> frozenset[str] | None:
    """The municipalities to count: the chosen one, or all the coordinator may see."""
    return frozenset((municipality,)) if municipality is not None else scope(staff)


def _own(config: Config, staff: Staff) -> list[Municipality]:
    visible = scope(staff)
    return sorted((m for m in config.municipalities.values()
                   if visible is None or m.id in visible), key=lambda m: m.name)


def _all_label(config: Config, staff: Staff) -> str:
    if scope(staff) is None:
        return f"heel {config.region_name}"
    names = [m.name for m in _own(config, staff)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} en {names[-1]}"


@routes.get("/coordinator/api/stats")
async def stats_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator")
    start, end, municipality = _period(request, staff)
    stats = await answer_stats(request.app[SESSIONS], start, end, municipality,
                               ZoneInfo(request.app[CONFIG].time_zone), scope=scope(staff))
    return web.json_response(stats.to_json())


@routes.get("/coordinator")
async def stats_page(request: web.Request) -> web.Response:
    staff = await staff_page(request, "coordinator")
    config = request.app[CONFIG]
    start, end, municipality = _period(request, staff)
    zone = ZoneInfo(config.time_zone)
    own = _own(config, staff)
    by_id = await answer_stats_per_municipality(request.app[SESSIONS], start, end,
                                                [m.id for m in own], zone,
                                                whole_region=scope(staff) is None)
    chosen = by_id[municipality]
    per_municipality = [(m.name, by_id[m.id]) for m in own]
    all_label = _all_label(config, staff)
    choices = [("", all_label[0].upper() + all_label[1:])] + [(m.id, m.name) for m in own]
    label = config.municipalities[municipality].name if municipality else all_label
    reload_kb = """<h2>Kennisbank</h2>
<p>Na een wijziging in de kennisbank: <button type="button" id="reload-kb">Kennisbank opnieuw
laden</button> <span id="reload-result" role="status"></span></p>""" \
        if staff.user.role == REGIONAL_COORDINATOR else ""
    calls = await request.app[DESK].on_call(Adviser.from_user(staff.user))
    body = pages.staff_header(staff.user.display_name, "Coördinator", staff.csrf_token) + f"""
<main>
{_calls(calls)}
<h1>Antwoordtijden</h1>
<form method="get" action="/coordinator" class="filters">
  <label>Van <input type="date" name="from" value="{start.isoformat()}"></label>
  <label>Tot en met <input type="date" name="to" value="{end.isoformat()}"></label>
  <label>Gemeente <select name="municipality">{pages.options(choices, municipality or "")}
  </select></label>
  <button type="submit">Toon</button>
</form>
<h2>{escape(label)}, {start.isoformat()} t/m {end.isoformat()}</h2>
{_summary_table(chosen)}
<h2>Per gemeente</h2>
{_municipality_table(per_municipality)}
<p><a href="/coordinator/decisions?from={start.isoformat()}&amp;to={end.isoformat()}\
&amp;municipality={escape(municipality or "")}">Beslissingen van de FAQ bekijken</a> (score,
tweede keus en of het antwoord hielp)</p>
<p><a href="/coordinator/rota">Rooster bekijken en wijzigen</a> (diensten, verlof, ziekte,
ruilen)</p>
{reload_kb}
</main>"""
    return pages.layout("Coördinator", body, csrf=staff.csrf_token, script="coordinator.js")


REASONS_NL = {"crisis": "crisis", "untaken": "niemand heeft hem opgepakt",
              "deadline": "bijna de beloofde antwoordtijd"}
STATUS_NL = {"waiting": "wacht nog", "claimed": "inmiddels opgepakt"}


def _calls(calls: list[dict[str, Any]]) -> str:
    """The on-call calls this coordinator got (a crisis, or a question nobody took): where,
    why and whether it still waits; never content. JSON: /coordinator/api/on-call."""
    if not calls:
        return ""
    items = "".join(
        f'<li>{"CRISIS · " if call["crisis"] else ""}'
        f'{escape(call["municipality_name"] or "onbekende gemeente")} · '
        f'{escape(REASONS_NL.get(call["reason"], call["reason"]))} · wacht '
        f'{call["waiting_minutes"]} min · {escape(STATUS_NL.get(call["status"], "afgesloten"))}'
        f'</li>' for call in calls)
    return (f'<section class="offer on-call" role="alert" id="on-call"><h2>Je bent opgeroepen'
            f'</h2><ul>{items}</ul></section>')


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} min"


def _summary_table(stats: AnswerStats) -> str:
    rows = [
        ("Vragen ontvangen", str(stats.received)),
        ("Beantwoord door de FAQ", str(stats.answered_by_faq)),
        ("Beantwoord door een adviseur", str(stats.answered_by_adviser)),
        ("Wachten nog op een adviseur", str(stats.still_waiting)),
        ("Waarvan crisis", str(stats.crisis)),
        ("Mediaan tijd tot eerste reactie adviseur", _minutes(stats.median_first_response_minutes)),
        ("90e percentiel tijd tot eerste reactie", _minutes(stats.p90_first_response_minutes)),
        ("Waarvan zorg (mogelijk risico, nooit door de FAQ beantwoord)", str(stats.concern)),
    ]
    cells = "".join(f'<tr><th scope="row">{escape(k)}</th><td data-metric="{i}">{escape(v)}</td>'
                    f"</tr>" for i, (k, v) in enumerate(rows))
    return f'<table class="stats" id="summary">{cells}</table>'


def _municipality_table(rows: list[tuple[str, AnswerStats]]) -> str:
    head = ("<tr><th>Gemeente</th><th>Ontvangen</th><th>FAQ</th><th>Adviseur</th>"
            "<th>Wachtend</th><th>Mediaan</th><th>P90</th></tr>")
    body = "".join(
        f"<tr><th scope=\"row\">{escape(name)}</th><td>{s.received}</td>"
        f"<td>{s.answered_by_faq}</td><td>{s.answered_by_adviser}</td><td>{s.still_waiting}</td>"
        f"<td>{_minutes(s.median_first_response_minutes)}</td>"
        f"<td>{_minutes(s.p90_first_response_minutes)}</td></tr>" for name, s in rows)
    return f'<table class="stats" id="per-municipality">{head}{body}</table>'


@routes.get("/coordinator/api/decisions")
async def decisions_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator")
    start, end, municipality = _period(request, staff)
    decisions, outcomes = await recent_decisions(request.app[SESSIONS], start, end,
                                                 _within(staff, municipality),
                                                 ZoneInfo(request.app[CONFIG].time_zone))
    return web.json_response({"outcomes": dict(outcomes),
                              "decisions": [d.to_json() for d in decisions]})


@routes.get("/coordinator/decisions")
async def decisions_page(request: web.Request) -> web.Response:
    staff = await staff_page(request, "coordinator")
    config = request.app[CONFIG]
    start, end, municipality = _period(request, staff)
    zone = ZoneInfo(config.time_zone)
    decisions, outcomes = await recent_decisions(request.app[SESSIONS], start, end,
                                                 _within(staff, municipality), zone)
    names = {m.id: m.name for m in config.municipalities.values()}
    rows = "".join(
        f"<tr><td>{d.at.astimezone(zone):%Y-%m-%d %H:%M}</td>"
        f"<td>{escape(names.get(d.municipality or '', '–'))}</td><td>{escape(d.outcome)}</td>"
        f"<td>{escape(d.entry or '–')}</td><td>{d.score:.0f}</td>"
        f"<td>{escape((d.runner_up or {}).get('entry') or '–')} "
        f"{(d.runner_up or {}).get('score') or ''}</td>"
        f"<td>{escape(d.crisis_category or '')}</td><td>{escape(d.feedback or '')}</td></tr>"
        for d in decisions)
    summary = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(outcomes.items())) or "geen"
    async with request.app[SESSIONS]() as session:
        marks = _marks(await repo.crisis_mark_counts(session, scope(staff)))
    body = pages.staff_header(staff.user.display_name, "Coördinator", staff.csrf_token) + f"""
<main>
<h1>Beslissingen van de FAQ</h1>
<p>{start.isoformat()} t/m {end.isoformat()} ·
<a href="/coordinator">terug naar antwoordtijden</a></p>
<p>Uitkomsten (laatste {len(decisions)}): {summary}. Zonder de tekst van de vraag.</p>
<p id="crisis-marks">Crisismarkeringen van adviseurs (altijd, zonder tekst):
<strong>{marks["missed"]}</strong> keer een crisis volgens de adviseur zonder signaal van de
detector; {marks["caught"]} keer een crisis met signaal; <strong>{marks["false_alarms"]}</strong>
keer een signaal bij een bericht dat volgens de adviseur geen crisis was. Een redacteur neemt ze op
in het corpus met <code>adviceline kb export-labels</code>.</p>
<table class="stats" id="decisions"><tr><th>Tijd</th><th>Gemeente</th><th>Uitkomst</th>
<th>Vraag in de kennisbank</th><th>Score</th><th>Daarna</th><th>Crisis</th><th>Hielp het?</th>
</tr>{rows}</table>
</main>"""
    return pages.layout("FAQ-beslissingen", body, csrf=staff.csrf_token)


def _marks(counts: dict[tuple[str, str], int]) -> dict[str, Any]:
    """The advisers' crisis marks against what the detector said, counted (no text)."""
    def total(label: str, detected: tuple[str, ...]) -> int:
        return sum(n for (lab, det), n in counts.items() if lab == label and det in detected)
    return {
        "marks": [{"label": label, "detected": detected, "count": n}
                  for (label, detected), n in sorted(counts.items())],
        # a crisis by the adviser's reading that raised no signal: the detector's miss
        "missed": total("crisis", ("none",)),
        "caught": total("crisis", ("crisis", "concern")),
        # a signal on what the adviser says was no crisis: a false alarm
        "false_alarms": total("not_crisis", ("crisis", "concern")),
        "no_signal_agreed": total("not_crisis", ("none",)),
    }


@routes.get("/coordinator/api/crisis-marks")
async def crisis_marks_json(request: web.Request) -> web.Response:
    """How often advisers marked a message "was a crisis" or "was not a crisis", against what
    the detector said (all time, the coordinator's municipalities; counts only)."""
    staff = await require_staff(request, "coordinator")
    async with request.app[SESSIONS]() as session:
        counts = await repo.crisis_mark_counts(session, scope(staff))
    return web.json_response(_marks(counts))


@routes.get("/coordinator/api/erasures")
async def erasures_json(request: web.Request) -> web.Response:
    """Conversations advisers erased on a parent's request: who, when, where (no content)."""
    staff = await require_staff(request, "coordinator")
    async with request.app[SESSIONS]() as session:
        records = await repo.audit_records(session, scope(staff),
                                            actions=("erase_conversation",))
        names = await repo.display_names(session)
    return web.json_response({"erasures": [
        {"at": r.at.isoformat(), "by": names.get(r.user_id), "action": r.action,
         "question_id": r.question_id, "municipality": r.municipality} for r in records]})


@routes.get("/coordinator/api/escalations")
async def escalations_json(request: web.Request) -> web.Response:
    """Open questions close to (or past) the answer time promised to the parent, escalated to
    the regional pool; no content, only where, when and by when."""
    staff = await require_staff(request, "coordinator")
    async with request.app[SESSIONS]() as session:
        questions = await repo.escalated_questions(session, scope(staff))
    return web.json_response({"escalations": [{
        "question_id": q.id, "municipality": q.municipality, "channel": q.channel,
        "status": q.status, "crisis": q.priority >= CRISIS_PRIORITY,
        "waiting_since": (q.waiting_since or q.created_at).isoformat(),
        "answer_by": q.answer_by.isoformat() if q.answer_by else None,
        "escalated_at": q.escalated_at.isoformat() if q.escalated_at else None}
        for q in questions]})


@routes.post("/coordinator/api/knowledge-base/reload")
async def reload_knowledge_base(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator", state_changing=True)
    if staff.user.role != REGIONAL_COORDINATOR:
        # The knowledge base serves the whole region.
        raise Forbidden("Alleen een regionale coördinator kan de kennisbank opnieuw laden.")
    try:
        count = await request.app[FAQ].reload_async()
    except KnowledgeBaseError as exc:
        return web.json_response({"error": {"code": "invalid_knowledge_base",
                                            "message": "De kennisbank is niet geladen: "
                                                       + "; ".join(exc.problems[:20])}},
                                 status=422)
    # The other service processes on this database reload theirs (adviceline.web.app).
    request.app[NOTIFIER].publish_elsewhere(KNOWLEDGE_BASE)
    return web.json_response({"entries": count})
