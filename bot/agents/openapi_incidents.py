"""The OpenAPI description of the agent API's incidents (bot/agents/api_incidents.py)."""

from __future__ import annotations

from typing import Any

from bot import incident_work
from bot.agents import openapi as doc
from intake.domain import CaseStatus, Channel, Severity
from store.models import IncidentStatus

_ABOUT = (
    "An incident is one outage many customers report: it opens when Sev1/Sev2 reports from enough accounts name "
    "the same component within the window (INCIDENT_MIN_ACCOUNTS, INCIDENT_WINDOW_MINUTES), or by hand. An "
    "update reaches every linked customer on their own channel and counts as an update on each case; resolving "
    "resolves every linked case with the resolution, except those detached. Linking a linked case, detaching a "
    "detached one, or resolving again with the same resolution changes nothing and answers 200."
)
_NOT_FOUND = doc._error("No incident has this id")
_CONFLICT = doc._error(
    "Cannot be done now: the incident is resolved, the case is linked to another incident, the case is not "
    "linked, or the component has an open incident already"
)
_ID = {
    "name": "incident_id",
    "in": "path",
    "required": True,
    "description": "the incident's id",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S"}


def schemas() -> dict[str, Any]:
    """Incident, IncidentList, IncidentDetail and the bodies of the actions."""
    number = {"type": "string", "description": "YYMM-NNNN"}
    return {
        "Incident": doc._object(
            {
                "id": {"type": "integer"},
                "component": {"type": "string", "description": "the configured component's key"},
                "component_label": {"type": "string", "description": "the component's name, as customers are told"},
                "title": {"type": "string"},
                "status": {"type": "string", "enum": [s.value for s in IncidentStatus]},
                "opened_at": doc._instant(),
                "opened_by": {"type": "string", "description": "auto (the reports rule) or who opened it"},
                "paged_at": doc._instant(nullable=True),
                "resolved_at": doc._instant(nullable=True),
                "resolved_by": doc._nullable("string"),
                "resolution": {"type": "string"},
                "cases": {"type": "array", "items": number, "description": "the linked cases' numbers"},
                "detached": {"type": "array", "items": number, "description": "cases detached from it"},
            }
        ),
        "IncidentList": doc._object({"incidents": {"type": "array", "items": doc._ref("Incident")}}),
        "IncidentCase": doc._object(
            {
                "number": number,
                "k_number": {"type": "string"},
                "severity": {"type": "integer", "enum": [int(s) for s in Severity]},
                "status": {"type": "string", "enum": [s.value for s in CaseStatus]},
                "channel": {"type": "string", "enum": [c.value for c in Channel]},
                "summary": {"type": "string"},
                "detached": {"type": "boolean"},
            }
        ),
        "IncidentUpdate": doc._object(
            {
                "id": {"type": "integer"},
                "at": doc._instant(),
                "actor": {"type": "string"},
                "text": {"type": "string"},
                "reached": {"type": "integer", "description": "how many linked cases it was queued for"},
            }
        ),
        "IncidentDetail": doc._object(
            {
                "incident": doc._ref("Incident"),
                "cases": {"type": "array", "items": doc._ref("IncidentCase"), "description": "linked, then detached"},
                "updates": {"type": "array", "items": doc._ref("IncidentUpdate"), "description": "oldest first"},
            }
        ),
        "IncidentOpen": doc._object(
            {"component": {"type": "string"}, "title": _text(incident_work.MAX_TITLE_CHARS)},
            additionalProperties=False,
        ),
        "IncidentCaseRef": doc._object({"case": number}, additionalProperties=False),
        "IncidentUpdatePost": doc._object(
            {
                "text": _text(incident_work.MAX_TEXT_CHARS),
                "key": {"type": "string", "minLength": 1, "maxLength": 100, "description": "retry key: sent once"},
            },
            required=["text"],
            additionalProperties=False,
        ),
        "IncidentResolve": doc._object({"resolution": _text(incident_work.MAX_TEXT_CHARS)}, additionalProperties=False),
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": doc._ref(schema)}}}


def _action(operation: str, summary: str, body: str, ok: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation,
            "summary": summary,
            "requestBody": _body(body),
            "responses": {
                "200": doc._json(doc._ref(ok), "The incident after it"),
                "400": doc._error("The body is not JSON"),
                "401": doc._UNAUTHORIZED,
                "404": _NOT_FOUND,
                "409": _CONFLICT,
                "415": doc._error("The body is not application/json"),
                "422": doc._INVALID,
            },
        }
    }


def paths() -> dict[str, Any]:
    """The incident paths."""
    one = "/api/incidents/{incident_id}"
    updated = _action(
        "postIncidentUpdate", "Post an update to every linked customer", "IncidentUpdatePost", "IncidentDetail"
    )
    updated["post"]["responses"]["200"] = doc._json(
        doc._object(
            {
                **schemas()["IncidentDetail"]["properties"],
                "update": doc._object(
                    {
                        "reached": {"type": "integer", "description": "linked cases it was queued for"},
                        "relayed": {"type": "integer", "description": "live chats it was also said in"},
                    }
                ),
            }
        ),
        "The incident, and how many linked cases the update was queued for",
    )
    return {
        "/api/incidents": {
            "get": {
                "operationId": "listIncidents",
                "summary": "Incidents, newest first, with their linked case numbers",
                "description": _ABOUT,
                "parameters": [
                    doc._query("status", {"type": "string", "enum": [s.value for s in IncidentStatus]}, "only these"),
                    doc._query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 100}, "at most"),
                ],
                "responses": {
                    "200": doc._json(doc._ref("IncidentList"), "The incidents"),
                    "401": doc._UNAUTHORIZED,
                    "422": doc._INVALID,
                },
            },
            "post": {
                "operationId": "openIncident",
                "summary": "Open an incident by hand",
                "requestBody": _body("IncidentOpen"),
                "responses": {
                    "201": doc._json(doc._ref("IncidentDetail"), "The new incident"),
                    "400": doc._error("The body is not JSON"),
                    "401": doc._UNAUTHORIZED,
                    "409": _CONFLICT,
                    "415": doc._error("The body is not application/json"),
                    "422": doc._error("Unknown component, or a title that is empty or too long"),
                },
            },
        },
        one: {
            "parameters": [_ID],
            "get": {
                "operationId": "getIncident",
                "summary": "An incident with its linked and detached cases and its updates",
                "responses": {
                    "200": doc._json(doc._ref("IncidentDetail"), "The incident"),
                    "401": doc._UNAUTHORIZED,
                    "404": _NOT_FOUND,
                },
            },
        },
        f"{one}/link": {
            "parameters": [_ID],
            **_action("linkIncidentCase", "Link a case", "IncidentCaseRef", "IncidentDetail"),
        },
        f"{one}/detach": {
            "parameters": [_ID],
            **_action(
                "detachIncidentCase", "Detach a case: resolving leaves it open", "IncidentCaseRef", "IncidentDetail"
            ),
        },
        f"{one}/updates": {"parameters": [_ID], **updated},
        f"{one}/resolve": {
            "parameters": [_ID],
            **_action("resolveIncident", "Resolve it and its linked cases", "IncidentResolve", "IncidentDetail"),
        },
    }
