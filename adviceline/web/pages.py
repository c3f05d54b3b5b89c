"""Server-rendered HTML for staff pages. Every value is escaped; scripts come from /staff/static."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiohttp import web


def layout(title: str, body: str, *, csrf: str | None = None, script: str | None = None,
           status: int = 200) -> web.Response:
    meta = f'<meta name="csrf-token" content="{escape(csrf)}">' if csrf else ""
    tag = f'<script src="/staff/static/{escape(script)}" defer></script>' if script else ""
    html = f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · adviceline</title>
<link rel="stylesheet" href="/staff/static/staff.css">
{meta}{tag}
</head>
<body>
{body}
</body>
</html>"""
    return web.Response(text=html, content_type="text/html", status=status)


PLAIN_HTTP = ("Deze verbinding is niet beveiligd (http). Inloggen werkt alleen via https: je "
              "browser bewaart het inlogcookie hier niet. Vraag je beheerder om het adres met "
              "https. · This connection is plain HTTP. Logging in only works over https: your "
              "browser will not keep the login cookie here. Ask your administrator for the "
              "https address.")


def login(error: str | None, next_path: str | None, status: int = 200,
          plain_http: bool = False) -> web.Response:
    action = f"/login?next={escape(next_path)}" if next_path else "/login"
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    if plain_http:
        message = f'<p class="error" role="alert" id="plain-http">{escape(PLAIN_HTTP)}</p>' + \
            message
    return layout("Inloggen", f"""
<main class="narrow">
<h1>Inloggen voor adviseurs en coördinatoren</h1>
{message}
<form method="post" action="{action}">
  <label>Gebruikersnaam <input name="username" autocomplete="username" required></label>
  <label>Wachtwoord <input name="password" type="password" autocomplete="current-password"
    required></label>
  <button type="submit">Inloggen</button>
</form>
</main>""", status=status)


def staff_header(name: str, role_label: str, csrf: str) -> str:
    return f"""<header class="bar">
<strong>adviceline</strong> · {escape(role_label)}: {escape(name)}
<form method="post" action="/logout" class="inline">
<input type="hidden" name="csrf_token" value="{escape(csrf)}">
<button type="submit">Uitloggen</button></form>
</header>"""


def options(choices: Iterable[tuple[str, str]], selected: str | None) -> str:
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
        f"{escape(label)}</option>" for value, label in choices)
