"""The OpenAPI description of the case workspace's part of the agent API: lists, clocks and case actions."""

from __future__ import annotations

from typing import Any

from bot.agents import openapi as doc
from intake.domain import CaseStatus, Severity
from intake.policy import SlaClock
from intake.sla import ClockName, ClockState

_SLA_STATES = ["ok", "warning", "breached", "paused"]
_VIEWS = ["mine", "unassigned", "all"]
_WORKSPACE = (
    "Case actions (POST /api/cases/{number}/...) answer the case's detail and its ETag like GET. `If-Match` is "
    "optional on them: when sent and the case changed since, the answer is 409 and nothing is done. A claim "
    "of a case another agent has is 409 too, naming who has it (a supervisor reassigns with `assign`)."
)


def _sla() -> dict[str, Any]:
    return doc._object(
        {
            "state": {"type": "string", "enum": _SLA_STATES, "description": "the worst of the three clocks"},
            "next": doc._nullable(
                "object",
                properties={
                    "clock": {"type": "string", "enum": [c.value for c in ClockName]},
                    "due": {"type": "string", "format": "date-time"},
                },
                required=["clock", "due"],
                description="the running clock due first and when (in the past once breached); null: none runs",
            ),
        }
    )


def extended(schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], **more}, "required": [*schema["required"], *more]}


def schemas(case: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    """The workspace's schemas: `case` (Case) extended by a list row's SLA state, `detail` (CaseDetail) by
    what an update did."""
    row = extended(case, sla=doc._ref("Sla"))
    clock = doc._object(
        {
            "name": {"type": "string", "enum": [c.value for c in ClockName]},
            "state": {"type": "string", "enum": [s.value for s in ClockState]},
            "basis": {"type": "string", "enum": [b.value for b in SlaClock]},
            "target_minutes": doc._nullable("number", description="null: no target at this severity"),
            "counted_minutes": {"type": "number"},
            "remaining_minutes": doc._nullable("number", description="negative once breached"),
            "started": doc._instant(nullable=True),
            "stopped": doc._instant(nullable=True),
            "due": doc._instant(nullable=True),
            "warn_at": doc._instant(nullable=True),
            "pauses": {
                "type": "array",
                "items": doc._object(
                    {"start": doc._instant(), "end": doc._instant(nullable=True), "reason": {"type": "string"}}
                ),
            },
        }
    )
    text = {"type": "string", "minLength": 1, "maxLength": 10000}
    return {
        "Sla": _sla(),
        "CaseRow": row,
        "Clock": clock,
        "CaseList": doc._object(
            {
                "cases": {"type": "array", "items": doc._ref("CaseRow")},
                "next": doc._nullable("integer", description="pass as `before` for the next page; null: no more"),
                "now": doc._instant(),
            }
        ),
        "Triage": doc._nullable(
            "object",
            properties={"severity": {"type": "integer"}, "evidence": {"type": "array", "items": {"type": "string"}}},
            required=["severity", "evidence"],
            description="the severity triage proposed and why; null when the case has no triage entry",
        ),
        "LiveChat": doc._nullable(
            "object",
            properties={
                "id": {"type": "integer"},
                "status": {"type": "string"},
                "agent_id": doc._nullable("integer"),
            },
            required=["id", "status", "agent_id"],
            description="the customer's open live chat about the case; null when they are not connected",
        ),
        "UpdatedCase": extended(detail, update=doc._ref("UpdateResult")),
        "UpdateResult": doc._object(
            {
                "queued": {"type": "boolean", "description": "false: this key was posted already, nothing sent again"},
                "relayed": {"type": "boolean", "description": "also said in the customer's live chat (yours)"},
            }
        ),
        "UpdateBody": doc._object(
            {
                "text": text,
                "key": {"type": "string", "minLength": 1, "maxLength": 100, "description": "retry key: resends once"},
            },
            required=["text"],
            additionalProperties=False,
        ),
        "NoteBody": doc._object({"text": text}, additionalProperties=False),
        "ResolveBody": doc._object({"resolution": text}, additionalProperties=False),
        "ReopenBody": doc._object(
            {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}, additionalProperties=False
        ),
        "AssignBody": doc._object(
            {"assignee": doc._nullable("string", maxLength=100, description="an agent's name; null: nobody")},
            additionalProperties=False,
        ),
        "EmptyBody": {"type": "object", "properties": {}, "additionalProperties": False},
    }


def detail_properties() -> dict[str, Any]:
    """What a case's detail carries beyond the case, its history, transcript and version."""
    return {
        "clocks": {"type": "array", "items": doc._ref("Clock"), "description": "response, update and fix"},
        "sla": doc._ref("Sla"),
        "triage": doc._ref("Triage"),
        "live_chat": doc._ref("LiveChat"),
        "now": doc._instant(),
    }


def list_parameters() -> list[dict[str, Any]]:
    """GET /api/cases's query parameters."""
    return [
        doc._query("status", {"type": "string", "enum": [s.value for s in CaseStatus]}, "only cases in this status"),
        doc._query("open", {"type": "string", "enum": ["true", "false"]}, "true: only cases not resolved or closed"),
        doc._query("severity", {"type": "integer", "enum": [int(s) for s in Severity]}, "only this severity"),
        doc._query("account", {"type": "string"}, "only cases of this K#"),
        doc._query("view", {"type": "string", "enum": _VIEWS}, "mine (assigned to you), unassigned, all (default)"),
        doc._query("sla", {"type": "string", "enum": _SLA_STATES}, "only cases in this SLA state"),
        doc._query("before", {"type": "integer", "minimum": 1}, "the `next` of the page before"),
        doc._query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "at most this many"),
    ]


def _action(operation_id: str, summary: str, body: str, forbidden: str, answer: str = "CaseDetail") -> Any:
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": _WORKSPACE,
            "parameters": [
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": False,
                    "description": "the ETag of the case as last read: refuse (409) if it changed since",
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": body != "EmptyBody",
                "content": {"application/json": {"schema": doc._ref(body)}},
            },
            "responses": {
                "200": doc._json(doc._ref(answer), "The case after the action", headers=doc._ETAG_HEADER),
                "400": doc._error("The body is not JSON"),
                "401": doc._UNAUTHORIZED,
                "403": doc._error(forbidden),
                "404": doc._error("No case has this number (or no enabled agent has the name)"),
                "409": doc._error("The case changed since If-Match, or it is in no state for this action"),
                "413": doc._error("The body is too large"),
                "415": doc._error("The body is not application/json"),
                "422": doc._INVALID,
            },
        }
    }


def paths() -> dict[str, Any]:
    """The case actions' paths."""
    one = "/api/cases/{number}"
    rules = "Another agent has the case's live chat, or the agent's role may not do this"
    actions = {
        "claim": _action("claimCase", "Assign the case to yourself", "EmptyBody", rules),
        "assign": _action(
            "assignCase", "Assign the case to an agent, or to nobody", "AssignBody", "Only a supervisor assigns others"
        ),
        "notes": _action("addCaseNote", "Add an internal note", "NoteBody", rules),
        "updates": _action(
            "postCaseUpdate",
            "Send news to the customer (email or SMS; also into their live chat when you have it)",
            "UpdateBody",
            "The case is closed, or another agent has its live chat",
            answer="UpdatedCase",
        ),
        "resolve": _action("resolveCase", "Resolve with a resolution note", "ResolveBody", rules),
        "close": _action("closeCase", "Close a resolved case (supervisors)", "EmptyBody", rules),
        "reopen": _action("reopenCase", "Open a resolved or closed case again", "ReopenBody", rules),
    }
    return {f"{one}/{name}": {"parameters": [doc._NUMBER], **item} for name, item in actions.items()}
