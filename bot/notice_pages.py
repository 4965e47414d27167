"""The pages a notice links to: "is everything working?" (close or reopen a resolved case) and the opt-out of
non-essential notices. The signed token in the path is the only credential; GET never changes anything (mail
scanners follow links), a POST does, once.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jsonbody import body_deadline
from bot.links import BadLinkError, read_token
from bot.notice_worker import ANSWER_PATH, UNSUBSCRIBE_PATH, NoticeConfig
from intake.clock import Clock
from intake.domain import CaseEventKind, CaseStatus
from store import cases as case_store
from store.accounts import get_account_by_id, set_unsubscribed
from store.db import SessionMaker, read_session
from store.models import CasePublic

log = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000
_FORM_MAX_BYTES = 16 * 1024


class NoticePages:
    """Handlers of the pages notices link to."""

    def __init__(self, *, config: NoticeConfig, session_maker: SessionMaker, clock: Clock) -> None:
        self._config = config
        self._sessions = session_maker
        self._clock = clock

    def _subject(self, request: web.Request, purpose: str) -> int:
        try:
            subject = read_token(
                request.match_info["token"], secret=self._config.link_secret, purpose=purpose, now=self._clock()
            )
            return int(subject)
        except (BadLinkError, ValueError) as exc:
            raise _page(400, "This link is not valid", "It may have expired or been copied incompletely.") from exc

    # --- is everything working? ----------------------------------------------------------------------

    async def answer_form(self, request: web.Request) -> web.Response:
        case = await self._case(self._subject(request, "answer"))
        if case.status is not CaseStatus.RESOLVED:
            return _state_page(case)
        body = (
            f"<p>We resolved case {_e(case.number)}: {_e(case.summary)}</p>"
            "<form method='post'><p><label for='comment'>Anything to add (optional)</label><br>"
            f"<textarea id='comment' name='comment' rows='4' cols='60' maxlength='{COMMENT_MAX_CHARS}'></textarea></p>"
            "<p><button name='answer' value='working'>Yes, it is working: close the case</button> "
            "<button name='answer' value='not_working'>No, it is not working: reopen the case</button></p></form>"
        )
        return _html(200, f"Case {case.number}: is everything working?", body)

    async def answer(self, request: web.Request) -> web.Response:
        case_id = self._subject(request, "answer")
        form = await _form(request)
        answer = form.get("answer", "")
        if answer not in ("working", "not_working"):
            raise _page(400, "Please choose an answer", "Use one of the two buttons on the page.")
        comment = form.get("comment", "").strip()
        if len(comment) > COMMENT_MAX_CHARS:
            raise _page(400, "That comment is too long", f"Please keep it under {COMMENT_MAX_CHARS} characters.")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            case = await self._case(case_id, session=session)
            if case.status is not CaseStatus.RESOLVED:
                return _state_page(case)  # answered already (or reopened by the desk): nothing changes twice
            detail = {"answer": answer, **({"comment": comment} if comment else {})}
            await case_store.add_event(
                session,
                number=case.number,
                kind=CaseEventKind.CUSTOMER_REPLIED,
                actor="customer",
                at=now,
                detail=detail,
            )
            working = answer == "working"
            case = await case_store.update_case(
                session,
                number=case.number,
                actor="customer",
                at=now,
                status=CaseStatus.CLOSED if working else CaseStatus.IN_PROGRESS,
                reason="the customer confirmed it works" if working else "the customer says it is not working",
            )
        log.info("case %s answered by its follow-up link: %s", case.number, answer)
        return _state_page(case)

    async def _case(self, case_id: int, *, session: AsyncSession | None = None) -> CasePublic:
        if session is None:
            async with read_session(self._sessions) as own:
                case = await case_store.get_case_by_id(own, case_id=case_id)
        else:
            case = await case_store.get_case_by_id(session, case_id=case_id)
        if case is None:
            raise _page(404, "This case no longer exists", "Please contact support.")
        return case

    # --- opting out ----------------------------------------------------------------------------------

    async def unsubscribe_form(self, request: web.Request) -> web.Response:
        account_id = self._subject(request, "unsubscribe")
        async with read_session(self._sessions) as session:
            account = await get_account_by_id(session, account_id=account_id)
        if account is None:
            raise _page(404, "This account no longer exists", "There is nothing to unsubscribe from.")
        return _subscription_page(unsubscribed=account.unsubscribed_at is not None)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        account_id = self._subject(request, "unsubscribe")
        form = await _form(request)
        # A mail client's one-click unsubscribe (RFC 8058) posts "List-Unsubscribe=One-Click".
        action = "unsubscribe" if form.get("List-Unsubscribe") == "One-Click" else form.get("action", "")
        if action not in ("unsubscribe", "resubscribe"):
            raise _page(400, "Please choose an action", "Use the button on the page.")
        async with self._sessions() as session, session.begin():
            found = await set_unsubscribed(
                session, account_id=account_id, at=self._clock(), unsubscribed=action == "unsubscribe"
            )
        if not found:
            raise _page(404, "This account no longer exists", "There is nothing to unsubscribe from.")
        log.info("an account's contacts chose: %s", action)
        return _subscription_page(unsubscribed=action == "unsubscribe")


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_length is not None and request.content_length > _FORM_MAX_BYTES:
        raise _page(413, "That is too much", "Please send less.")
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise _page(415, "Please use the form on the page", "The answer must come from the page's buttons.")
    async with body_deadline(request):
        data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _state_page(case: CasePublic) -> web.Response:
    if case.status is CaseStatus.CLOSED:
        return _html(200, f"Case {case.number} is closed", "<p>Thank you. If anything comes back, contact support.</p>")
    return _html(
        200,
        f"Case {case.number} is open again",
        "<p>Thank you for telling us. An engineer will be back in touch; you will hear from us by the same way.</p>",
    )


def _subscription_page(*, unsubscribed: bool) -> web.Response:
    if unsubscribed:
        return _html(
            200,
            "You receive essential messages only",
            "<p>We will still send case confirmations, resolutions, Severity 1 news and planned maintenance.</p>"
            "<form method='post'><button name='action' value='resubscribe'>Send me every update again</button></form>",
        )
    return _html(
        200,
        "Messages about your support cases",
        "<p>You receive every update about your account's cases.</p>"
        "<form method='post'><button name='action' value='unsubscribe'>Send me essential messages only</button></form>",
    )


def _e(text: str) -> str:
    return html.escape(text)


def _html(status: int, title: str, body: str) -> web.Response:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='referrer' content='no-referrer'><title>{_e(title)}</title></head>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:2em auto'><h1>{_e(title)}</h1>{body}</body></html>"
    )
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return web.Response(status=status, text=page, content_type="text/html", headers=headers)


class _PageError(Exception):
    """A refusal answered with a page for people (not the JSON the API answers with)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _page(status: int, title: str, detail: str) -> _PageError:
    return _PageError(_html(status, title, f"<p>{_e(detail)}</p>"))


def _paged(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except _PageError as error:
            log.info("%s %s -> %d", request.method, request.match_info.route.resource.canonical, error.response.status)  # type: ignore[union-attr]
            return error.response

    return handle


def setup_notice_pages(
    app: web.Application, *, config: NoticeConfig, session_maker: SessionMaker, clock: Clock
) -> None:
    """Register the pages notices link to."""
    pages = NoticePages(config=config, session_maker=session_maker, clock=clock)
    app.router.add_get(ANSWER_PATH, _paged(pages.answer_form))
    app.router.add_post(ANSWER_PATH, _paged(pages.answer))
    app.router.add_get(UNSUBSCRIBE_PATH, _paged(pages.unsubscribe_form))
    app.router.add_post(UNSUBSCRIBE_PATH, _paged(pages.unsubscribe))
