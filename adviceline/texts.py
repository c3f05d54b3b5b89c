"""What the service itself says to parents, in Dutch and English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from knowledge_base.crisis_lines import CRISIS_LINES
from routing.assignment import MUNICIPALITY, Expectation
from routing.waiting import Promise

# The crisis lines themselves are written once, in knowledge_base/crisis_lines.py (one situation,
# one door, each line), for the knowledge base's answers and these messages alike.
_EMERGENCY_LINES = ("lijn_112", "lijn_veilig_thuis", "lijn_113", "lijn_kindertelefoon")


def _lines(language: str) -> str:
    return "\n".join(f"- {getattr(CRISIS_LINES[line], language)}" for line in _EMERGENCY_LINES)


EMERGENCY_NL = (
    "Dit klinkt ernstig. Je hoeft dit niet alleen op te lossen.\n"
    + _lines("nl") + "\n"
    "We hebben je bericht met voorrang bij onze adviseurs gezet."
)
EMERGENCY_EN = (
    "This sounds serious. You do not have to deal with this alone.\n"
    + _lines("en") + "\n"
    "We have put your message at the top of our advisers' queue."
)
CONCERN_NL = (
    "Dank je dat je dit met ons deelt. Hierop willen we je geen standaardantwoord geven: een "
    "adviseur leest je bericht met voorrang en reageert hier. Maak je je zorgen over de "
    "veiligheid van jou of je kind?\n"
    + _lines("nl")
)
CONCERN_EN = (
    "Thank you for telling us. We do not want to give you a standard answer to this: an adviser "
    "will read your message with priority and answer here. Worried about your own or your "
    "child's safety?\n"
    + _lines("en")
)
# Under every automatic e-mail reply: the lines for parents (not the one for children of 8-18),
# plain text, Dutch then English.
_EMAIL_FOOTER_LINES = ("lijn_112", "lijn_veilig_thuis", "lijn_113")
EMAIL_FOOTER = "\n".join(
    getattr(CRISIS_LINES[line], language).replace("**", "")
    for language in ("nl", "en") for line in _EMAIL_FOOTER_LINES)
_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")


def emergency(language: str) -> str:
    return EMERGENCY_EN if language == "en" else EMERGENCY_NL


def concern(language: str) -> str:
    """A possible risk: calm, the numbers, and an adviser who reads it first."""
    return CONCERN_EN if language == "en" else CONCERN_NL


def queued(language: str, expectation: Expectation, municipality_name: str | None,
           now: datetime, time_zone: ZoneInfo) -> str:
    """Tell the parent who will answer and by when."""
    who_nl = (f"een adviseur van {municipality_name}"
              if expectation.pool == MUNICIPALITY and municipality_name
              else "een adviseur van ons regionale team")
    who_en = (f"an adviser from {municipality_name}"
              if expectation.pool == MUNICIPALITY and municipality_name
              else "an adviser from our regional team")
    by = expectation.answer_by
    if language == "en":
        if by is None:
            return (f"Thank you, your question is with our advisers. {_upper_first(who_en)} "
                    "will answer as soon as possible.")
        when = _when_en(by, now, time_zone)
        if expectation.staffed_now:
            return f"Thank you, your question is with our advisers. {_upper_first(who_en)} " \
                   f"will usually answer {when}. You can leave this page; your answer stays here."
        return ("Thank you, your question is with our advisers. Nobody is on duty right now; "
                f"{who_en} will answer {when}. You can leave this page; your answer stays here.")
    if by is None:
        return (f"Dank je, je vraag staat bij onze adviseurs. {_upper_first(who_nl)} "
                "reageert zo snel mogelijk.")
    when = _when_nl(by, now, time_zone)
    if expectation.staffed_now:
        return (f"Dank je, je vraag staat bij onze adviseurs. {_upper_first(who_nl)} reageert "
                f"meestal {when}. Je kunt deze pagina gerust sluiten; je antwoord blijft hier "
                "staan.")
    return ("Dank je, je vraag staat bij onze adviseurs. Er is nu niemand aan het werk; "
            f"{who_nl} reageert {when}. Je kunt deze pagina gerust sluiten; je antwoord blijft "
            "hier staan.")


def crisis_queued(language: str, opening: datetime | None, now: datetime,
                  time_zone: ZoneInfo) -> str:
    """What happens next after a crisis reply: never 'nobody is at work', always the numbers."""
    if language == "en":
        if opening is not None and opening <= now:
            return ("An adviser will read your message as soon as possible and answer here. "
                    "Please do not wait for us if you are worried about what is happening now: "
                    "the numbers above can be called day and night.")
        when = (f"from {_day_en(opening, now, time_zone)} "
                f"{opening.astimezone(time_zone).strftime('%H:%M')}" if opening else "soon")
        return (f"Our advisers are back {when}; your message will be the first they read. "
                "Please do not wait for us: the numbers above can be called now, day and night.")
    if opening is not None and opening <= now:
        return ("Een adviseur leest je bericht zo snel mogelijk en reageert hier. Wacht niet op "
                "ons als je je zorgen maakt over wat er nu gebeurt: de nummers hierboven zijn dag "
                "en nacht bereikbaar.")
    when = (f"{_day_nl(opening, now, time_zone)} vanaf "
            f"{opening.astimezone(time_zone).strftime('%H:%M')} uur" if opening else "snel")
    return (f"Onze adviseurs zijn er weer {when}; je bericht lezen ze dan als eerste. Wacht niet "
            "op ons: de nummers hierboven zijn nu bereikbaar, dag en nacht.")


def _day_nl(moment: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    local, today = moment.astimezone(time_zone), now.astimezone(time_zone).date()
    if local.date() == today:
        return "vandaag"
    if (local.date() - today).days == 1:
        return "morgen"
    return f"op {_WEEKDAYS_NL[local.weekday()]} {local.day} {_MONTHS_NL[local.month - 1]}"


def _day_en(moment: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    local, today = moment.astimezone(time_zone), now.astimezone(time_zone).date()
    if local.date() == today:
        return "today"
    if (local.date() - today).days == 1:
        return "tomorrow"
    return f"on {local.strftime('%A')} {local.day} {local.strftime('%B')}"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when_nl(by: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    local, today = by.astimezone(time_zone), now.astimezone(time_zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"vóór {clock} uur"
    if (local.date() - today).days == 1:
        return f"morgen vóór {clock} uur"
    return (f"op {_WEEKDAYS_NL[local.weekday()]} {local.day} {_MONTHS_NL[local.month - 1]} "
            f"vóór {clock} uur")


def _when_en(by: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    local, today = by.astimezone(time_zone), now.astimezone(time_zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"before {clock}"
    if (local.date() - today).days == 1:
        return f"tomorrow before {clock}"
    return f"on {local.strftime('%A')} {local.day} {local.strftime('%B')} before {clock}"


def faq_feedback_question(language: str) -> str:
    return "Did this help?" if language == "en" else "Heeft dit je geholpen?"


def suggestions_intro(language: str) -> str:
    if language == "en":
        return ("I am not sure I understood your question. Is it one of these? "
                "Or ask one of our advisers.")
    return ("Ik weet niet zeker of ik je vraag goed begrijp. Gaat het om een van deze vragen? "
            "Of stel je vraag aan een van onze adviseurs.")


def thanks_for_feedback(language: str) -> str:
    if language == "en":
        return "Good to hear. You can always ask another question here."
    return "Fijn om te horen. Je kunt hier altijd een nieuwe vraag stellen."


def claimed(language: str, adviser_name: str) -> str:
    if language == "en":
        return f"{adviser_name} is reading your question now."
    return f"{adviser_name} leest nu je vraag."


def closed(language: str) -> str:
    if language == "en":
        return ("The adviser has closed this question. Do you have another question? "
                "Just type it here.")
    return "De adviseur heeft deze vraag afgesloten. Heb je nog een vraag? Typ hem gewoon hier."


def small_talk(kind: str, language: str, asked_before: bool) -> str:
    """A friendly reply to a greeting, thanks, goodbye or "ok" that is not a question."""
    en = language == "en"
    more = ("Do you have a question? Just type it here." if en
            else "Heb je een vraag? Typ hem gerust hier.") if not asked_before else (
        "Do you have another question? Just type it here." if en
        else "Heb je nog een vraag? Typ hem gerust hier.")
    if kind == "greeting":
        if asked_before:
            return f"Hello! {more}" if en else f"Hallo! {more}"
        return ("Hello! Ask your question about parenting or growing up. You don't need to give "
                "your name." if en else
                "Hallo! Stel gerust je vraag over opvoeden of opgroeien. Je hoeft je naam niet "
                "te geven.")
    if kind == "thanks":
        return f"You're welcome! {more}" if en else f"Graag gedaan! {more}"
    if kind in ("goodbye", "no"):
        return ("All the best! You can always come back here with a new question." if en else
                "Het beste! Je kunt hier altijd terugkomen met een nieuwe vraag.")
    return f"Fine. {more}" if en else f"Fijn. {more}"


def _by_nl(by: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    """'vandaag 11:00', 'morgen 09:15', 'dinsdag 12:00' (within a week), else with the date."""
    local, today = by.astimezone(time_zone), now.astimezone(time_zone).date()
    clock, days = local.strftime("%H:%M"), (local.date() - today).days
    if days == 0:
        return f"vandaag {clock}"
    if days == 1:
        return f"morgen {clock}"
    day = _WEEKDAYS_NL[local.weekday()]
    return f"{day} {clock}" if days < 7 else f"{day} {local.day} {_MONTHS_NL[local.month - 1]} " \
                                             f"{clock}"


def _by_en(by: datetime, now: datetime, time_zone: ZoneInfo) -> str:
    local, today = by.astimezone(time_zone), now.astimezone(time_zone).date()
    clock, days = local.strftime("%H:%M"), (local.date() - today).days
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    return f"{local.strftime('%A')} {clock}" if days < 7 else \
        f"{local.strftime('%A')} {local.day} {local.strftime('%B')} {clock}"


def queued_with_promise(language: str, promise: Promise, municipality_name: str | None,
                        live: bool, now: datetime, time_zone: ZoneInfo) -> str:
    """Who answers, the latest moment they will (in business hours, backlog included), and for a
    live chat while advisers work: the place in the queue and the expected wait."""
    own = promise.where not in ("regional_pool", "everyone") and municipality_name
    who_nl = f"een adviseur van {municipality_name}" if own else \
        "een adviseur van ons regionale team"
    who_en = f"an adviser from {municipality_name}" if own else \
        "an adviser from our regional team"
    minutes = (None if promise.estimated_wait is None
               else max(1, round(promise.estimated_wait.total_seconds() / 60)))
    if language == "en":
        text = "Thank you, your question is with our advisers. "
        if promise.answer_by is None:
            return text + f"{_upper_first(who_en)} will answer as soon as possible."
        if not promise.staffed_now:
            text += "Nobody is on duty right now; "
            text += f"{who_en} will answer by {_by_en(promise.answer_by, now, time_zone)} " \
                    "at the latest."
        else:
            text += f"{_upper_first(who_en)} will answer by " \
                    f"{_by_en(promise.answer_by, now, time_zone)} at the latest."
        if live and promise.staffed_now and minutes is not None:
            text += f" You are number {promise.position} in the queue (about {minutes} " \
                    f"minute{'s' if minutes != 1 else ''})."
        return text + " You can leave this page; your answer stays here."
    text = "Dank je, je vraag staat bij onze adviseurs. "
    if promise.answer_by is None:
        return text + f"{_upper_first(who_nl)} reageert zo snel mogelijk."
    if not promise.staffed_now:
        text += f"Er is nu niemand aan het werk; {who_nl} reageert uiterlijk " \
                f"{_by_nl(promise.answer_by, now, time_zone)}."
    else:
        text += f"{_upper_first(who_nl)} reageert uiterlijk " \
                f"{_by_nl(promise.answer_by, now, time_zone)}."
    if live and promise.staffed_now and minutes is not None:
        text += f" Je bent nummer {promise.position} in de wachtrij (ongeveer {minutes} " \
                f"{'minuut' if minutes == 1 else 'minuten'})."
    return text + " Je kunt deze pagina gerust sluiten; je antwoord blijft hier staan."
