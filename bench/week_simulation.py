"""A simulated week of questions through the pure routing library, with a moved clock.

Municipalities are the shipped configuration's (Twente, 14), sized by their number of children
(0-19) from ../shared/data/nl-postcodes-pc4.csv; desk hours, the regional pool's hours, the
promise (`answer_within_minutes`) and the offer time are the shipped configuration's. Questions
arrive at random (a Poisson process whose rate follows an hour-of-day and weekday profile, see
ARRIVALS); the rota puts ceil(children / CHILDREN_PER_ADVISER) advisers on duty for each
municipality and POOL_ADVISERS for the regional pool. Each minute the clock moves on and the
library decides, exactly as the service's dispatcher does: `routing.offers.next_step` (offer,
then assign, the pool), `routing.queue.queue_order`, and on arrival `routing.waiting.promise`
(the answer time the parent is told). Advisers accept an offer within a minute, or let it lapse
(LAPSE_SHARE); the time to the first reply and the time a question holds a live-chat place are
drawn from log-normal distributions (HANDLING). Every figure here follows from these assumptions,
not from measured traffic.

Policies compared: offer + regional pool (the service's), offer with each municipality alone (no
pool), and pick + pool (no offers: a free adviser looks at the queue every PICK_MINUTES).

    python bench/week_simulation.py [--seed 1] [--per-1000-children 4] [--monday 2026-11-23]
        [--chart bench/week_simulation.svg]

Reports per municipality: questions, waiting time to a claim (p50/p90, minutes, nearest rank),
share answered by a regional pool adviser, offers lapsed, promises kept (first reply before the
promised time), and adviser load (share of on-duty adviser minutes holding a question).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adviceline.config import load_config
from adviceline.stats import nearest_rank
from routing.desks import WEEKDAYS, Span
from routing.offers import AVAILABLE, AdviserState, Offer, OpenQuestion, ToPool, next_step, route_of
from routing.queue import CRISIS_PRIORITY, NORMAL_PRIORITY, Waiting, queue_order
from routing.rota import ON_DUTY, REGIONAL_POOL, AdviserProfile, Rota, Shift
from routing.staffing import Staffing
from routing.waiting import Pace, promise

ROOT = Path(__file__).resolve().parent.parent
# The same CBS file as ../shared/data (copied into the configuration; see config/data/README).
POSTCODES = ROOT / "config" / "data" / "nl-postcodes-pc4.csv"

# Assumptions (not measurements): relative arrival rate by hour of day and by weekday.
ARRIVALS = {"hours": [0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.0, 1.2, 1.2, 1.1, 1.0, 1.1,
                      1.1, 1.0, 0.9, 0.8, 0.8, 1.1, 1.4, 1.4, 1.0, 0.4],
            "days": [1.1, 1.0, 1.0, 1.0, 0.9, 0.6, 0.7]}
LIVE_SHARE = 0.4          # web chats whose parent waits; the rest are e-mail / messenger
CRISIS_SHARE = 0.01
CHILDREN_PER_ADVISER = 15_000
POOL_ADVISERS = 2
MAX_LIVE_CHATS = 2
LAPSE_SHARE = 0.15        # offers an adviser neither accepts nor declines
PICK_MINUTES = 5
# Log-normal (median minutes, sigma): claim to first reply, and how long a question holds a place.
HANDLING = {"reply": {True: (3.0, 0.5), False: (8.0, 0.6)},
            "hold": {True: (15.0, 0.5), False: (20.0, 0.6)}}
DRAIN_DAYS = 4            # after the week: no new questions, the backlog is worked off


def children_by_municipality(names: dict[str, str]) -> dict[str, int]:
    """Children 0-19 per configured municipality (by its CBS name)."""
    by_name = {name: key for key, name in names.items()}
    found: dict[str, int] = defaultdict(int)
    with POSTCODES.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            key = by_name.get(row["municipality"])
            if key is not None:
                found[key] += sum(int(row[c] or 0) for c in
                                  ("age_0_4", "age_5_9", "age_10_14", "age_15_19"))
    return dict(found)


@dataclass(frozen=True)
class CachedStaffing(Staffing):
    """Staffing whose on-duty answers are remembered per minute (the simulation asks the same
    question thousands of times a minute)."""

    cache: dict[tuple[datetime, str], list[str]] = field(default_factory=dict, hash=False,
                                                          compare=False, repr=False)

    def on_duty(self, moment: datetime, where: str) -> list[str]:
        cache = self.cache
        key = (moment, where)
        if key not in cache:
            if len(cache) > 200_000:
                cache.clear()
            cache[key] = super().on_duty(moment, where)
        return cache[key]


@dataclass
class Question:
    id: str
    municipality: str
    crisis: bool
    live: bool
    arrived: datetime
    answer_by: datetime | None
    routed_to_pool: bool = False
    offered_to: int | None = None
    offered_until: datetime | None = None
    accept_at: datetime | None = None
    declined_by: set[int] = field(default_factory=set)
    claimed_at: datetime | None = None
    claimed_by: int | None = None
    answered_at: datetime | None = None


@dataclass
class Adviser:
    id: int
    username: str
    idle_since: datetime
    holding: list[tuple[datetime, Question]] = field(default_factory=list)   # (free at, question)
    busy_minutes: int = 0
    duty_minutes: int = 0


def lognormal(chooser: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(minutes=median * math.exp(chooser.gauss(0.0, sigma)))


def arrivals(chooser: random.Random, monday: datetime, sizes: dict[str, int],
             per_1000: float) -> list[tuple[datetime, str]]:
    """(moment, municipality) for a week: thinning of a Poisson process with the profile."""
    total = sum(sizes.values())
    weekly = total / 1000 * per_1000
    mean_weight = sum(ARRIVALS["hours"]) / 24 * sum(ARRIVALS["days"]) / 7
    peak = max(ARRIVALS["hours"]) * max(ARRIVALS["days"])
    peak_per_minute = weekly / (7 * 24 * 60) * peak / mean_weight
    moments: list[tuple[datetime, str]] = []
    minute = 0.0
    places, weights = list(sizes), [sizes[p] for p in sizes]
    while True:
        minute += chooser.expovariate(peak_per_minute)
        if minute >= 7 * 24 * 60:
            return moments
        moment = monday + timedelta(minutes=minute)
        weight = ARRIVALS["hours"][moment.hour] * ARRIVALS["days"][moment.weekday()]
        if chooser.random() < weight / peak:
            moments.append((moment.replace(second=0, microsecond=0),
                            chooser.choices(places, weights)[0]))


def build_rota(sizes: dict[str, int], pool: bool, zone: ZoneInfo) -> tuple[Rota, list[str]]:
    """On duty all day every day: the desk hours decide when a shift counts."""
    shifts: list[Shift] = []
    names: list[str] = []
    whole_day = Span(time(0, 0), time(23, 59))
    desks = [(place, max(1, math.ceil(children / CHILDREN_PER_ADVISER)))
             for place, children in sizes.items()]
    if pool:
        desks.append((REGIONAL_POOL, POOL_ADVISERS))
    for where, count in desks:
        for n in range(count):
            name = f"{where}-{n + 1}"
            names.append(name)
            shifts.extend(Shift(name, where, ON_DUTY, day, whole_day) for day in WEEKDAYS)
    return Rota(tuple(shifts), (), (), zone), names


def simulate(policy: str, seed: int, per_1000: float, monday_date: date) -> dict[str, object]:
    config = load_config(environ={})
    zone = ZoneInfo(config.time_zone)
    names = {key: m.name for key, m in config.municipalities.items()}
    sizes = children_by_municipality(names)
    pool = policy != "offer, alone"
    offers = policy != "pick + pool"
    rota, usernames = build_rota(sizes, pool, zone)
    staffing = CachedStaffing(config.desks, rota, {})
    pace = Pace(answer_within=config.desks.answer_within,
                minutes_per_question=config.routing.minutes_per_question,
                offer_minutes=config.routing.offer_seconds / 60)
    offer_time = config.routing.offer_time
    chooser = random.Random(seed)
    monday = datetime.combine(monday_date, time(0, 0), zone)
    incoming = arrivals(chooser, monday, sizes, per_1000)
    advisers = [Adviser(n, name, idle_since=monday) for n, name in enumerate(usernames)]
    by_name = {a.username: a for a in advisers}
    questions: list[Question] = []
    waiting: list[Question] = []
    offers_made = offers_lapsed = 0
    lapsed_by_place: dict[str, int] = defaultdict(int)
    next_arrival = 0
    end = monday + timedelta(days=7 + DRAIN_DAYS)
    now = monday
    while now < end:
        # Advisers finish what they hold.
        for adviser in advisers:
            adviser.holding = [(free, q) for free, q in adviser.holding if free > now]
        # Arrivals, each told its promise.
        while next_arrival < len(incoming) and incoming[next_arrival][0] <= now:
            moment, place = incoming[next_arrival]
            next_arrival += 1
            crisis = chooser.random() < CRISIS_SHARE
            same = [q for q in waiting if q.municipality == place or q.crisis]
            states = states_of(advisers, now)
            on_duty = set(staffing.route(place, crisis, now).advisers)
            free = sum(MAX_LIVE_CHATS - s.live_chats for s in states
                       if s.username in on_duty and s.receives_offers())
            told = promise(place, crisis, len(same) + 1, free, now, staffing, pace)
            question = Question(f"q{len(questions)}", place, crisis,
                                chooser.random() < LIVE_SHARE, moment, told.answer_by)
            questions.append(question)
            waiting.append(question)
        # Offers accepted now, and offers lapsed.
        for question in list(waiting):
            if question.offered_to is None:
                continue
            adviser = advisers[question.offered_to]
            if question.accept_at is not None and question.accept_at <= now:
                claim(question, adviser, now, chooser, waiting)
            elif question.offered_until is not None and question.offered_until <= now:
                question.declined_by.add(question.offered_to)
                question.offered_to = question.offered_until = question.accept_at = None
                offers_lapsed += 1
                lapsed_by_place[question.municipality] += 1
        ordered = queue_order(Waiting(q.id, CRISIS_PRIORITY if q.crisis else NORMAL_PRIORITY,
                                      q.arrived, q.live) for q in waiting)
        by_id = {q.id: q for q in waiting}
        states = states_of(advisers, now)
        if offers:
            busy = {q.offered_to for q in waiting if q.offered_to is not None}
            for item in ordered:
                question = by_id[item.question_id]
                step = next_step(open_question(question), states, staffing, now, offer_time, busy)
                if isinstance(step, Offer):
                    offers_made += 1
                    busy.add(step.adviser_id)
                    question.offered_to, question.offered_until = step.adviser_id, step.until
                    question.accept_at = None if chooser.random() < LAPSE_SHARE else \
                        now + timedelta(minutes=1)
                elif isinstance(step, ToPool) and pool:
                    question.routed_to_pool = True
        else:
            # Pick: a free adviser on duty looks at the queue every PICK_MINUTES.
            for item in ordered:
                question = by_id[item.question_id]
                if question.claimed_at is not None:
                    continue
                route = route_of(open_question(question), staffing, now)
                if route.where == REGIONAL_POOL and question.municipality in \
                        config.municipalities and not question.crisis:
                    question.routed_to_pool = True
                for name in route.advisers:
                    adviser = by_name[name]
                    if len(adviser.holding) < MAX_LIVE_CHATS and \
                            (now - monday).total_seconds() // 60 % PICK_MINUTES == \
                            adviser.id % PICK_MINUTES:
                        claim(question, adviser, now, chooser, waiting)
                        break
        # Load: who is on duty now, and who holds something.
        on_duty_now = {name for where in (*sizes, REGIONAL_POOL)
                       for name in staffing.on_duty(now, where)}
        for adviser in advisers:
            if adviser.username in on_duty_now:
                adviser.duty_minutes += 1
                adviser.busy_minutes += bool(adviser.holding)
        now += timedelta(minutes=1)
    return report(policy, questions, advisers, sizes, offers_made, offers_lapsed,
                  lapsed_by_place, names)


def states_of(advisers: list[Adviser], now: datetime) -> list[AdviserState]:
    return [AdviserState(a.id, a.username, AVAILABLE, True, len(a.holding), a.idle_since,
                         AdviserProfile(a.username, MAX_LIVE_CHATS)) for a in advisers]


def open_question(question: Question) -> OpenQuestion:
    return OpenQuestion(question.id, question.municipality, question.crisis, "nl", None,
                        question.routed_to_pool, question.arrived, question.offered_to,
                        question.offered_until, frozenset(question.declined_by))


def claim(question: Question, adviser: Adviser, now: datetime, chooser: random.Random,
          waiting: list[Question]) -> None:
    question.claimed_at, question.claimed_by = now, adviser.id
    question.offered_to = question.offered_until = question.accept_at = None
    reply = lognormal(chooser, *HANDLING["reply"][question.live])
    hold = max(reply, lognormal(chooser, *HANDLING["hold"][question.live]))
    question.answered_at = now + reply
    adviser.holding.append((now + hold, question))
    adviser.idle_since = now + hold
    waiting.remove(question)


def report(policy: str, questions: list[Question], advisers: list[Adviser],
           sizes: dict[str, int], offers_made: int, offers_lapsed: int,
           lapsed_by_place: dict[str, int], names: dict[str, str]) -> dict[str, object]:
    pool = [a for a in advisers if a.username.startswith(REGIONAL_POOL)]
    pool_ids = {a.id for a in pool}
    rows = []
    for place in sorted(sizes, key=lambda p: -sizes[p]):
        mine = [q for q in questions if q.municipality == place]
        rows.append(figures(names[place], sizes[place], mine, lapsed_by_place[place],
                            [a for a in advisers if a.username.startswith(place + "-")],
                            pool_ids))
    total = figures("region", sum(sizes.values()), questions, offers_lapsed, advisers,
                    pool_ids)
    waits = [(q.claimed_at - q.arrived).total_seconds() / 60 for q in questions
             if q.claimed_at is not None]
    return {"policy": policy, "rows": rows, "total": total, "offers": offers_made,
            "pool_load": load(pool), "waits": waits,
            "never": sum(q.claimed_at is None for q in questions)}


def load(advisers: list[Adviser]) -> float | None:
    duty = sum(a.duty_minutes for a in advisers)
    return sum(a.busy_minutes for a in advisers) / duty if duty else None


def figures(name: str, children: int, questions: list[Question], lapsed: int,
            advisers: list[Adviser], pool_ids: set[int]) -> dict[str, object]:
    waits = [(q.claimed_at - q.arrived).total_seconds() / 60 for q in questions
             if q.claimed_at is not None]
    promised = [(q.answered_at, q.answer_by) for q in questions if q.answer_by is not None]
    kept = sum(1 for answered, by in promised if answered is not None and answered <= by)
    return {"name": name, "children": children, "questions": len(questions),
            "unanswered": sum(q.claimed_at is None for q in questions),
            "p50": nearest_rank(waits, 50), "p90": nearest_rank(waits, 90),
            # Answered by a regional pool adviser (whatever sent it there: a closed desk,
            # nobody taking it, a crisis).
            "pool": sum(q.claimed_by in pool_ids for q in questions) / len(questions)
            if questions else None,
            "lapsed": lapsed,
            "kept": kept / len(promised) if promised else None,
            "load": load(advisers)}


def table(result: dict[str, object]) -> str:
    def number(value: object, pattern: str) -> str:
        return "–" if value is None else format(value, pattern)

    lines = [f"### {result['policy']}", "",
             "| municipality | children | advisers | questions | wait p50 (min) | wait p90 (min)"
             " | answered by the pool | offers lapsed | promises kept | adviser load |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [*result["rows"], result["total"]]   # type: ignore[misc]
    for row in rows:
        advisers = "" if row["name"] == "region" else \
            str(max(1, math.ceil(row["children"] / CHILDREN_PER_ADVISER)))
        lines.append(
            f"| {row['name']} | {row['children']} | {advisers} | {row['questions']} | "
            f"{number(row['p50'], '.0f')} | {number(row['p90'], '.0f')} | "
            f"{number(row['pool'], '.0%')} | {row['lapsed']} | {number(row['kept'], '.0%')} | "
            f"{number(row['load'], '.0%')} |")
    lines.append("")
    lines.append(f"Offers made: {result['offers']}; regional pool load: "
                 f"{number(result['pool_load'], '.0%')}; never claimed, even after "
                 f"{DRAIN_DAYS} more days: {result['total']['unanswered']}.")   # type: ignore[index]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-1000-children", type=float, default=4.0,
                        help="questions per 1000 children (0-19) per week")
    parser.add_argument("--monday", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--policy", action="append",
                        choices=["offer + pool", "offer, alone", "pick + pool"])
    parser.add_argument("--chart", type=Path,
                        help="also write the waiting times per policy as an SVG chart here")
    arguments = parser.parse_args()
    results = []
    for policy in arguments.policy or ["offer + pool", "offer, alone", "pick + pool"]:
        results.append(simulate(policy, arguments.seed, arguments.per_1000_children,
                                arguments.monday))
        print(table(results[-1]))
        print()
    if arguments.chart is not None:
        arguments.chart.write_text(chart(results), encoding="utf-8")
        print(f"chart written to {arguments.chart}")


# The chart: hand-written SVG (no plotting library), waits in bands a parent would recognise.
BANDS = ((5, "< 5 min"), (15, "5–15 min"), (60, "15–60 min"), (240, "1–4 h"),
         (720, "4–12 h"), (1440, "12–24 h"), (2880, "1–2 days"), (math.inf, "> 2 days"))
COLOURS = ("#1b6ca8", "#d95f02", "#7570b3")


def bands(waits: list[float], never: int) -> list[float]:
    """Share of all questions per waiting band (to a claim), and last those never claimed."""
    total = len(waits) + never
    counts = [0] * (len(BANDS) + 1)
    for wait in waits:
        counts[next(i for i, (upper, _) in enumerate(BANDS) if wait < upper)] += 1
    counts[-1] = never
    return [count / total if total else 0.0 for count in counts]


def chart(results: list[dict[str, object]]) -> str:
    """Grouped bars: for each waiting band, the share of the week's questions per policy."""
    labels = [label for _, label in BANDS] + ["never claimed"]
    width, height = 760, 360
    left, right, top, bottom = 56, 16, 64, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    shares = [bands(r["waits"], r["never"]) for r in results]   # type: ignore[arg-type]
    ceiling = max(0.1, math.ceil(max(max(s) for s in shares) * 10) / 10)
    group = plot_w / len(labels)
    bar = group * 0.8 / max(1, len(results))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#fff"/>',
           f'<text x="{left}" y="20" font-size="15" font-weight="bold">Waiting time to a claim, '
           'a simulated week (bench/week_simulation.py)</text>',
           f'<text x="{left}" y="38" fill="#555">Share of all questions per band; '
           f'{sum(len(r["waits"]) + r["never"] for r in results) // max(1, len(results))} '   # type: ignore[arg-type, operator]
           'questions per policy</text>']
    for step in range(0, round(ceiling * 10) + 1):
        share = step / 10
        y = top + plot_h - share / ceiling * plot_h
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{share:.0%}</text>')
    for index, label in enumerate(labels):
        x0 = left + index * group + group * 0.1
        for which, share_list in enumerate(shares):
            value = share_list[index]
            h = value / ceiling * plot_h
            x = x0 + which * bar
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                       f'height="{h:.1f}" fill="{COLOURS[which % len(COLOURS)]}">'
                       f'<title>{escape(str(results[which]["policy"]))}, {escape(label)}: '
                       f'{value:.1%}</title></rect>')
        out.append(f'<text x="{left + (index + 0.5) * group:.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#333"/>')
    for which, result in enumerate(results):
        x = left + which * 230
        out.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
                   f'fill="{COLOURS[which % len(COLOURS)]}"/>')
        waits = result["waits"]
        p50, p90 = nearest_rank(waits, 50), nearest_rank(waits, 90)   # type: ignore[arg-type]
        summary = f"p50 {p50:.0f}, p90 {p90:.0f} min" if p50 is not None and p90 is not None \
            else "none claimed"
        out.append(f'<text x="{x + 16}" y="{height - 12}">{escape(str(result["policy"]))} '
                   f'({summary})</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
