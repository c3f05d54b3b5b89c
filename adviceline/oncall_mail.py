"""What an on-call e-mail says: that a question waits, where, why, how urgent, and a link to the
console. Dutch first, English second. Never anything the parent wrote: the mail leaves the
service over ordinary e-mail, so it names the question, not its content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from routing.oncall import CRISIS, DEADLINE
from routing.queue import CONCERN_PRIORITY, CRISIS_PRIORITY

CHANNELS_NL = {"web": "webchat", "email": "e-mail", "telegram": "Telegram"}


@dataclass(frozen=True)
class CallFacts:
    """What the mail may say about the question: no content, no parent."""

    question_id: str
    municipality_name: str
    channel: str
    priority: int
    topic: str | None
    reason: str
    waiting_since: datetime
    answer_by: datetime | None


@dataclass(frozen=True)
class OnCallMail:
    subject: str
    body: str


def _urgency(priority: int) -> tuple[str, str]:
    if priority >= CRISIS_PRIORITY:
        return "CRISIS", "CRISIS"
    if priority >= CONCERN_PRIORITY:
        return "zorgelijk", "concern"
    return "gewoon", "ordinary"


def compose(facts: CallFacts, *, coordinator: bool, now: datetime, zone: ZoneInfo,
            link: str) -> OnCallMail:
    waited = max(0, int((now - facts.waiting_since).total_seconds() // 60))
    since = facts.waiting_since.astimezone(zone).strftime("%H:%M")
    by = facts.answer_by.astimezone(zone).strftime("%d-%m %H:%M") if facts.answer_by else None
    urgency_nl, urgency_en = _urgency(facts.priority)
    if facts.reason == CRISIS:
        why_nl = "een crisisvraag: meteen gemeld"
        why_en = "a crisis question: reported at once"
    elif facts.reason == DEADLINE:
        why_nl = f"bijna de antwoordtijd die de ouder is beloofd (uiterlijk {by})"
        why_en = f"close to the answer time the parent was promised (by {by})"
    else:
        why_nl = "niemand die dienst heeft, heeft hem opgepakt"
        why_en = "nobody on duty has taken it"
    role_nl = "als coördinator" if coordinator else "voor de dienst op afroep"
    role_en = "as coordinator" if coordinator else "for the on-call duty"
    head_nl = "CRISIS: " if facts.reason == CRISIS else ""
    subject = (f"{head_nl}Advieslijn: een vraag uit {facts.municipality_name} wacht "
               f"/ a question is waiting")
    topic_nl = f"\nOnderwerp: {facts.topic}" if facts.topic else ""
    topic_en = f"\nTopic: {facts.topic}" if facts.topic else ""
    channel = CHANNELS_NL.get(facts.channel, facts.channel)
    body = f"""Je bent opgeroepen {role_nl}.

Er wacht een vraag van een ouder uit {facts.municipality_name} ({channel}).
Waarom je dit krijgt: {why_nl}.
Urgentie: {urgency_nl}{topic_nl}
Wacht sinds {since} ({waited} minuten).

Open de console om de vraag op te pakken: {link}

--
You are called {role_en}.

A question from a parent in {facts.municipality_name} ({facts.channel}) is waiting.
Why you get this: {why_en}.
Priority: {urgency_en}{topic_en}
Waiting since {since} ({waited} minutes).

Open the console to take it: {link}

Vraag / question: {facts.question_id}
Deze e-mail bevat bewust niets van wat de ouder schreef.
This e-mail deliberately contains nothing the parent wrote.
"""
    return OnCallMail(subject[:200], body)
