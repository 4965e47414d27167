"""The survey section of the supervisor's console: /agent/surveys (the page), its JSON (open and recent
follow-up tasks, results per agent, severity and account) and marking a task done. Supervisors only."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from bot.agents.identity import require_role, require_session
from bot.console.assets import serve_assets
from bot.console.routes import page_handler
from bot.errors import InvalidFieldsError, NotFoundError
from bot.jsonbody import read_json
from bot.keys import CLOCK, SESSION_MAKER
from store import surveys as survey_store
from store.db import read_session
from store.models import Role
from store.survey_holds import held_notices

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_NOTE = 2000


async def data(request: web.Request) -> web.Response:
    """GET /agent/console/surveys: follow-up tasks (open first, each with how many of its case's notices wait
    for the manager's call) and the results."""
    agent, _ = await require_session(request, csrf=False)
    require_role(agent, Role.SUPERVISOR, action="see the surveys")
    async with read_session(request.app[SESSION_MAKER]) as session:
        tasks = await survey_store.follow_ups(session)
        results = {by: await survey_store.results(session, by=by) for by in survey_store.GROUPINGS}
        # What waits for the manager's call: the cases' notices the worker holds (store/survey_holds.py).
        held = await held_notices(session, case_numbers=[t.case_number for t in tasks if t.status == "open"])
    tasks.sort(key=lambda t: t.status != "open")
    return web.json_response(
        {
            "follow_ups": [
                {
                    **t.model_dump(mode="json"),
                    "created_at": t.created_at.isoformat(),
                    "held_notices": held.get(t.case_number, 0),
                }
                for t in tasks
            ],
            "results": {by: [asdict(r) for r in rows] for by, rows in results.items()},
        }
    )


async def follow_up_done(request: web.Request) -> web.Response:
    """POST /agent/console/surveys/follow-ups/{task_id}/done {"note"?}: the manager has called the customer."""
    agent, _ = await require_session(request, csrf=True)
    require_role(agent, Role.SUPERVISOR, action="close a survey follow-up")
    raw = request.match_info["task_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFoundError("no such follow-up")
    body = await read_json(request)
    note = body.get("note", "") if isinstance(body, dict) else None
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidFieldsError(f"'note' must be text of at most {MAX_NOTE} characters")
    async with request.app[SESSION_MAKER]() as session, session.begin():
        closed = await survey_store.close_follow_up(
            session, task_id=int(raw), actor=agent.name, note=note, now=request.app[CLOCK]()
        )
    if not closed:
        raise NotFoundError("no such open follow-up")
    return web.json_response({"id": int(raw), "status": "done"})


def setup_survey_console(app: web.Application) -> None:
    """Mount the survey page and its endpoints."""
    app.router.add_get("/agent/surveys", page_handler("surveys.html", role=Role.SUPERVISOR, directory=STATIC_DIR))
    serve_assets(app, "/agent/surveys", {"surveys.js": STATIC_DIR / "surveys.js"})
    app.router.add_get("/agent/console/surveys", data)
    app.router.add_post("/agent/console/surveys/follow-ups/{task_id}/done", follow_up_done)
