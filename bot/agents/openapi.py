"""The OpenAPI 3.1 description of the agent API, as data (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from intake.domain import CaseEventKind, CaseStatus, Channel, Outcome, Severity
from store.models import HandoffStatus, Presence, Role

OPENAPI_PATH = "/api/openapi.json"

_CONCURRENCY = (
    "Optimistic concurrency: GET and PATCH /api/cases/{number} return the case's version as the `ETag` header "
    "and as `version` at the top level of the response, next to `case` (the case object itself has no "
    "version). A PATCH must send it back in `If-Match`; without one the answer is 428, and when the case "
    "changed since (any field or any new event) it is 409 with the current ETag."
)
_ROLES = (
    "Roles: an `agent` may change the status (except to or from `closed`), raise or lower the severity of "
    "Sev2-Sev4 cases, raise any case to Sev1, and add notes. Only a `supervisor` may close a case, reopen a "
    "closed one, or lower the severity of a Sev1 case (403 otherwise). A case an agent has claimed (an active "
    "live chat about it) is changed only by that agent or a supervisor. The agent console applies the same "
    "rules. Changing the severity needs a `reason`, which is logged with the change."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _instant(nullable: bool = False) -> dict[str, Any]:
    return _nullable("string", format="date-time") if nullable else {"type": "string", "format": "date-time"}


def _object(properties: dict[str, Any], *, required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_STATUS_ENUM = [s.value for s in CaseStatus]
_SEVERITY_ENUM = [int(s) for s in Severity]
_HANDOFF_STATUS_ENUM = [s.value for s in HandoffStatus]

_ETAG_HEADER = {"ETag": {"description": "The case's version, for If-Match", "schema": {"type": "string"}}}


def _schemas() -> dict[str, Any]:
    from bot.agents import openapi_cases, openapi_incidents, openapi_maintenance  # built on this module's helpers

    schemas = _base_schemas()
    schemas["CaseDetail"] = openapi_cases.extended(schemas["CaseDetail"], **openapi_cases.detail_properties())
    return {
        **schemas,
        **openapi_cases.schemas(schemas["Case"], schemas["CaseDetail"]),
        **openapi_incidents.schemas(),
        **openapi_maintenance.schemas(),
    }


def _base_schemas() -> dict[str, Any]:
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": {"type": "string", "description": "machine-readable reason"},
                        "message": {"type": "string", "description": "what is wrong, for people"},
                    }
                )
            }
        ),
        "Agent": _object(
            {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "email": {"type": "string"},
                "role": {"type": "string", "enum": [r.value for r in Role]},
                "presence": {"type": "string", "enum": [p.value for p in Presence]},
                "disabled": {"type": "boolean"},
            }
        ),
        "Me": _object({"agent": _ref("Agent")}),
        "Case": _object(
            {
                "id": {"type": "integer"},
                "number": {"type": "string", "description": "YYMM-NNNN", "examples": ["2611-0042"]},
                "k_number": {"type": "string", "description": "the account's K#"},
                "account_id": {"type": "integer"},
                "summary": {"type": "string"},
                "description": {"type": "string"},
                "conversation_id": _nullable(
                    "string",
                    description=(
                        "the chat or call the case was opened in (a Direct Line conversation id or a Twilio "
                        "CallSid): the `conversation_id` of its handoffs, and the conversation whose "
                        "transcript GET /api/cases/{number} includes; null for a case opened elsewhere"
                    ),
                ),
                "severity": {"type": "integer", "enum": _SEVERITY_ENUM},
                "channel": {"type": "string", "enum": [c.value for c in Channel]},
                "outcome": {"type": "string", "enum": [o.value for o in Outcome]},
                "status": {"type": "string", "enum": _STATUS_ENUM},
                "created_at": _instant(),
                "response_due": _instant(),
                "fix_due": _instant(nullable=True),
                "first_response_at": _instant(nullable=True),
                "response_met": _nullable("boolean"),
                "resolved_at": _instant(nullable=True),
                "closed_at": _instant(nullable=True),
                "updated_at": _instant(),
                "assignee": _nullable("string", description="the name of the agent working the case; null: nobody"),
            }
        ),
        "CaseEvent": _object(
            {
                "id": {"type": "integer"},
                "case_id": {"type": "integer"},
                "at": _instant(),
                "actor": {"type": "string", "description": "bot, or agent:NAME"},
                "kind": {"type": "string", "examples": [k.value for k in CaseEventKind]},
                "detail": {"type": "object"},
            }
        ),
        "TranscriptLine": _object(
            {
                "id": {"type": "integer"},
                "at": _instant(),
                "role": {"type": "string", "enum": ["customer", "bot", "agent"]},
                "text": {"type": "string"},
            }
        ),
        "CaseDetail": _object(
            {
                "case": _ref("Case"),
                "events": {"type": "array", "items": _ref("CaseEvent"), "description": "oldest first"},
                "transcript": {
                    "type": "array",
                    "items": _ref("TranscriptLine"),
                    "description": "messages of the case's conversation, oldest first",
                },
                "version": {
                    "type": "string",
                    "description": "the case's version: the ETag value without quotes, for If-Match",
                },
            }
        ),
        "CasePatch": {
            "type": "object",
            "description": _ROLES,
            "properties": {
                "status": {"type": "string", "enum": _STATUS_ENUM},
                "severity": {"type": "integer", "enum": _SEVERITY_ENUM},
                "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 1000,
                    "description": (
                        "required when the severity changes, and to resolve (what was done: the customer is told)"
                    ),
                },
                "note": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 10000,
                    "description": "an internal note, added to the case's events",
                },
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
        "Handoff": _object(
            {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": _HANDOFF_STATUS_ENUM},
                "conversation_id": {"type": "string"},
                "channel": {"type": "string"},
                "case_number": _nullable("string"),
                "reason": {"type": "string"},
                "agent_id": _nullable("integer", description="the agent who took it"),
                "severity": _nullable("integer", enum=[*_SEVERITY_ENUM, None]),
                "response_due": _instant(nullable=True),
                "created_at": _instant(),
                "claimed_at": _instant(nullable=True),
                "ended_at": _instant(nullable=True),
                "version": {"type": "integer", "description": "bumped on every change and relayed message"},
            },
            required=["id", "status", "conversation_id", "channel", "reason", "created_at"],
            description="A conversation handed to (or waiting for) a live agent",
        ),
        "HandoffList": _object({"handoffs": {"type": "array", "items": _ref("Handoff")}}),
    }


_UNAUTHORIZED = _error("No valid API token (missing, unknown, revoked, or its agent is disabled)")
_NOT_FOUND = _error("No case has this number")
_INVALID = _error("A query parameter or field is invalid; the message says which")
_NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "the case number, YYMM-NNNN",
    "schema": {"type": "string"},
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _paths() -> dict[str, Any]:
    from bot.agents import openapi_cases, openapi_incidents, openapi_maintenance  # built on this module's helpers

    return {
        **openapi_cases.paths(),
        **openapi_incidents.paths(),
        **openapi_maintenance.paths(),
        OPENAPI_PATH: {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {}}}},
            }
        },
        "/api/me": {
            "get": {
                "operationId": "getMe",
                "summary": "The agent the token belongs to",
                "responses": {"200": _json(_ref("Me"), "The agent"), "401": _UNAUTHORIZED},
            }
        },
        "/api/cases": {
            "get": {
                "operationId": "listCases",
                "summary": "A page of cases, newest first, filtered, with each case's SLA state",
                "parameters": openapi_cases.list_parameters(),
                "responses": {
                    "200": _json(_ref("CaseList"), "The cases"),
                    "401": _UNAUTHORIZED,
                    "422": _INVALID,
                },
            }
        },
        "/api/cases/{number}": {
            "parameters": [_NUMBER],
            "get": {
                "operationId": "getCase",
                "summary": "A case with its events, its conversation's transcript, its clocks and triage's reasons",
                "responses": {
                    "200": _json(_ref("CaseDetail"), "The case", headers=_ETAG_HEADER),
                    "401": _UNAUTHORIZED,
                    "404": _NOT_FOUND,
                },
            },
            "patch": {
                "operationId": "updateCase",
                "summary": "Change status or severity, or add an internal note",
                "description": f"{_CONCURRENCY}\n\n{_ROLES}",
                "parameters": [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "description": "the ETag of the case as last read",
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CasePatch")}}},
                "responses": {
                    "200": _json(_ref("CaseDetail"), "The case after the change", headers=_ETAG_HEADER),
                    "400": _error("The body is not JSON"),
                    "401": _UNAUTHORIZED,
                    "403": _error("The agent's role may not make this change, or another agent has claimed the case"),
                    "404": _NOT_FOUND,
                    "409": _error("The case changed since the If-Match version was read"),
                    "415": _error("The body is not application/json"),
                    "422": _INVALID,
                    "428": _error("If-Match is missing"),
                },
            },
        },
        "/api/handoffs": {
            "get": {
                "operationId": "listHandoffs",
                "summary": "Live-chat handoffs, optionally filtered by status",
                "parameters": [
                    _query("status", {"type": "string", "enum": _HANDOFF_STATUS_ENUM}, "only handoffs in this status")
                ],
                "responses": {
                    "200": _json(_ref("HandoffList"), "The handoffs"),
                    "401": _UNAUTHORIZED,
                    "422": _INVALID,
                },
            }
        },
    }


def openapi_document(*, server_url: str | None = None) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of the agent API (a fresh copy each call)."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "support-intake agent API",
            "version": "1.0.0",
            "description": (
                "JSON API for support agents and their tools. Authenticate with `Authorization: Bearer <token>` "
                '(`intake agents token NAME` prints one). Every error is `{"error": {"code", "message"}}`.\n\n'
                f"{_CONCURRENCY}\n\n{_ROLES}"
            ),
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerToken": []}],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
