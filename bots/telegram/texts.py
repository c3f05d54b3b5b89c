"""What the Telegram bot says itself, in Dutch and English (the pipeline's replies come with
their own words)."""

from __future__ import annotations


def language_of(code: str | None) -> str:
    """The parent's Telegram language: English for en*, Dutch otherwise."""
    return "en" if (code or "").lower().startswith("en") else "nl"


def greeting(language: str, region: str, tail: str) -> str:
    """Two lines on what the line is and that it is anonymous, then `tail` (the question for
    the municipality, or the one already chosen)."""
    if language == "en":
        return (f"Welcome to the parenting advice line of {region}: ask anything about raising "
                "children and growing up, and get an answer from our knowledge base or from a "
                "pedagogical adviser.\n"
                "You stay anonymous: we never ask your name, and /stop makes us forget this "
                "chat.\n\n" + tail)
    return (f"Welkom bij de advieslijn opvoeden en opgroeien van {region}: stel hier je vraag "
            "en krijg antwoord uit onze kennisbank of van een pedagogisch adviseur.\n"
            "Je blijft anoniem: we vragen nooit je naam, en met /stop vergeten we deze chat.\n\n"
            + tail)


def ask_municipality(language: str) -> str:
    if language == "en":
        return ("Which municipality do you live in? Tap it below or type your postcode "
                "(e.g. 7511).")
    return "In welke gemeente woon je? Tik hem hieronder aan of typ je postcode (bijv. 7511)."


def municipality_set(language: str, name: str) -> str:
    if language == "en":
        return (f"Thank you: {name}. Type your question whenever you like. "
                "(/gemeente changes the municipality.)")
    return (f"Dank je: {name}. Typ je vraag maar wanneer je wilt. "
            "(Met /gemeente kies je een andere gemeente.)")


def help_text(language: str, region: str) -> str:
    if language == "en":
        return (f"This is the parenting advice line of {region}. Type your question as a "
                "normal message; we answer from our knowledge base or an adviser answers here.\n"
                "/gemeente - choose your municipality\n"
                "/stop - end the conversation; we forget this chat\n"
                "/help - this message\n"
                "In danger right now? Call 112.")
    return (f"Dit is de advieslijn opvoeden en opgroeien van {region}. Typ je vraag als gewoon "
            "bericht; je krijgt antwoord uit onze kennisbank of een adviseur reageert hier.\n"
            "/gemeente - kies je gemeente\n"
            "/stop - stop het gesprek; we vergeten deze chat\n"
            "/help - dit bericht\n"
            "Direct gevaar? Bel 112.")


def not_text(language: str, what: str) -> str:
    """A photo, voice note, sticker, ...: kindly say what the line can take."""
    en = {"photo": "a photo", "voice": "a voice message", "sticker": "a sticker",
          "video": "a video", "document": "a file", "audio": "an audio file",
          "location": "a location", "contact": "a contact"}
    nl = {"photo": "een foto", "voice": "een spraakbericht", "sticker": "een sticker",
          "video": "een video", "document": "een bestand", "audio": "een audiobestand",
          "location": "een locatie", "contact": "een contact"}
    if language == "en":
        return (f"Thank you for {en.get(what, 'this message')}. We can only read text here, "
                "so please type your question in words. We do not keep what you sent.")
    return (f"Dank je voor {nl.get(what, 'je bericht')}. We kunnen hier alleen tekst lezen; "
            "wil je je vraag in woorden typen? Wat je stuurde bewaren we niet.")


def edited(language: str) -> str:
    if language == "en":
        return ("You changed a message you had sent; we keep reading the first version. "
                "Please send what you want to add as a new message.")
    return ("Je hebt een bericht aangepast; wij lezen de eerste versie. Stuur wat je wilt "
            "aanvullen als nieuw bericht.")


def goodbye(language: str) -> str:
    if language == "en":
        return ("Your conversation has ended and we have forgotten this chat. "
                "Send /start if you have a new question. In danger right now? Call 112.")
    return ("Je gesprek is gestopt en we zijn deze chat vergeten. Stuur /start als je een "
            "nieuwe vraag hebt. Direct gevaar? Bel 112.")


def yes_no(language: str) -> tuple[str, str]:
    return ("Yes", "No") if language == "en" else ("Ja", "Nee")


def ask_adviser(language: str) -> str:
    return "Ask an adviser" if language == "en" else "Stel mijn vraag aan een adviseur"


def adviser_label(language: str) -> str:
    return "adviser" if language == "en" else "adviseur"


def thanks_click(language: str) -> str:
    return "Thank you!" if language == "en" else "Dank je!"


def conversation_over(language: str) -> str:
    if language == "en":
        return "This conversation has ended; type a new message."
    return "Dit gesprek is gestopt; typ een nieuw bericht."


def one_language(text: str, language: str) -> str:
    """The core's errors read 'Dutch. / English.': the parent's half of it."""
    dutch, sep, english = text.partition(" / ")
    if not sep:
        return text
    return english if language == "en" else dutch
