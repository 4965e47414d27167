"""The sign-in and choose-a-password pages: plain forms in the console's look, and the notice shown after them.

No script and no inline style: the pages load the console's stylesheet from this origin and nothing else.
Every line a person reads is a full sentence; a refusal is the error's `sentence` (bot.agents.errors).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiohttp import web

from bot.agents.identity import CONSOLE_PATH, CSRF_FIELD, PASSWORD_PATH, SIGN_IN_PATH
from bot.agents.passwords import MIN_PASSWORD_LENGTH

STYLESHEET = "/agent/static/console.css"

PAGE_HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    ),
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer Chromium posts the sign-in form with `Origin: null`,
    # which the same-origin check must refuse.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# A one-shot notice for the next console page (a "flash"): the cookie names one of these, never free text.
NOTICE_COOKIE = "intake_notice"
NOTICES = {
    "password_saved": "Your new password is saved. Any other sessions of yours have been signed out.",
}
_NOTICE_MAX_AGE = 300


def _page(company: str, title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)} · {html.escape(company)}</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>\n<body>\n'
        f'<header class="bar">\n  <h1>{html.escape(company)} · Agent console</h1>\n</header>\n'
        f'<main class="auth">\n<section class="auth-card" aria-labelledby="page-title">\n'
        f'<h2 id="page-title">{html.escape(title)}</h2>\n{body}</section>\n</main>\n</body>\n</html>\n'
    )


def _alert(error: str | None) -> str:
    return "" if error is None else f'<p class="alert" role="alert">{html.escape(error)}</p>\n'


def _field(label: str, name: str, kind: str, autocomplete: str, *, value: str = "", hint: str = "") -> str:
    shown = f' value="{html.escape(value)}"' if value else ""
    described = f' aria-describedby="{name}-hint"' if hint else ""
    hint_html = f'<span class="hint" id="{name}-hint">{html.escape(hint)}</span>\n' if hint else ""
    return (
        f'<p class="field"><label for="{name}">{html.escape(label)}</label>\n'
        f'<input id="{name}" type="{kind}" name="{name}" autocomplete="{autocomplete}"{shown}{described} required>\n'
        f"{hint_html}</p>\n"
    )


def _response(page: str, *, status: int, headers: Mapping[str, str] | None) -> web.Response:
    return web.Response(
        text=page, content_type="text/html", charset="utf-8", status=status, headers={**PAGE_HEADERS, **(headers or {})}
    )


def sign_in_page(
    company: str,
    *,
    error: str | None = None,
    name: str = "",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """The sign-in form (with the refusal `error` and the name typed, after a failed try)."""
    body = (
        '<p class="muted">Sign in with your agent name and password. If this is your first time, use the '
        "one-time password your supervisor gave you; you will then choose your own.</p>\n"
        + _alert(error)
        + f'<form method="post" action="{SIGN_IN_PATH}">\n'
        + _field("Name", "name", "text", "username", value=name)
        + _field("Password", "password", "password", "current-password")
        + '<p class="submit"><button type="submit">Sign in</button></p>\n</form>\n'
    )
    return _response(_page(company, "Sign in", body), status=status, headers=headers)


def password_page(
    company: str,
    *,
    agent_name: str,
    csrf_token: str,
    one_time: bool,
    error: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """The form to choose a new password: the current one is asked for too, unless a one-time one opened it."""
    if one_time:
        intro = (
            f"Welcome, {agent_name}. You signed in with a one-time password, which now no longer works. "
            "Choose a password of your own to open the console."
        )
        current = ""
        back = ""
    else:
        intro = f"You are signed in as {agent_name}. Enter your current password, then the new one twice."
        current = _field("Current password", "current_password", "password", "current-password")
        back = f'<p class="muted"><a href="{CONSOLE_PATH}">Back to the console without changing it</a></p>\n'
    body = (
        f'<p class="muted">{html.escape(intro)} Saving it signs you out everywhere else.</p>\n'
        + _alert(error)
        + f'<form method="post" action="{PASSWORD_PATH}">\n'
        + f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(csrf_token)}">\n'
        + current
        + _field(
            "New password",
            "new_password",
            "password",
            "new-password",
            hint=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong one.",
        )
        + _field("New password again", "repeat_password", "password", "new-password")
        + '<p class="submit"><button type="submit">Save password</button></p>\n</form>\n'
        + back
    )
    return _response(_page(company, "Choose a password", body), status=status, headers=headers)


def set_notice(response: web.StreamResponse, key: str, *, secure: bool) -> None:
    """Have the next console page show the notice `key` once."""
    assert key in NOTICES
    response.set_cookie(
        NOTICE_COOKIE, key, max_age=_NOTICE_MAX_AGE, path=CONSOLE_PATH, secure=secure, httponly=True, samesite="Strict"
    )


def take_notice(request: web.Request, response: web.StreamResponse) -> str:
    """The notice the request's cookie asks for ("" if none), cleared on `response` so it shows once."""
    key = request.cookies.get(NOTICE_COOKIE)
    if key is None:
        return ""
    response.del_cookie(NOTICE_COOKIE, path=CONSOLE_PATH)
    return NOTICES.get(key, "")
