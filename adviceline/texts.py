"""What the service itself says to parents, in Dutch and English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from routing.assignment import MUNICIPALITY, Expectation

EMERGENCY_NL = (
    "Dit klinkt ernstig. Je hoeft dit niet alleen op te lossen.\n"
    "- Is er nu direct gevaar? Bel **112**.\n"
    "- Zorgen over geweld of mishandeling thuis: **Veilig Thuis 0800-2000** "
    "(gratis, dag en nacht, je mag anoniem bellen).\n"
    "- Denk jij of je kind aan zelfdoding? Bel **113** of gratis **0800-0113**, of chat via 113.nl "
    "(dag en nacht).\n"
    "- Kinderen en jongeren (8-18) kunnen zelf gratis en anoniem praten met "
    "**De Kindertelefoon 0800-0432**.\n"
    "We hebben je bericht met voorrang bij onze adviseurs gezet."
)
EMERGENCY_EN = (
    "This sounds serious. You do not have to deal with this alone.\n"
    "- Is anyone in danger right now? Call **112**.\n"
    "- Worried about violence or abuse at home: **Veilig Thuis 0800-2000** "
    "(free, day and night, you may stay anonymous).\n"
    "- Are you or your child thinking about suicide? Call **113** or free **0800-0113**, "
    "or chat at 113.nl (day and night).\n"
    "- Children and young people (8-18) can talk for free and anonymously to "
    "**De Kindertelefoon 0800-0432**.\n"
    "We have put your message at the top of our advisers' queue."
)
_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")


def emergency(language: str) -> str:
    return EMERGENCY_EN if language == "en" else EMERGENCY_NL


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
