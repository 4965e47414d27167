"""The OpenAPI description of the agent API's planned maintenance (bot/agents/api_maintenance.py)."""

from __future__ import annotations

from typing import Any

from bot import maintenance as service
from bot.agents import openapi as doc
from store.models import WindowStatus

_ABOUT = (
    "A planned maintenance window: when, which accounts (`all`, or K numbers), which components, whether service "
    "stops. A window with downtime starting sooner than MAINTENANCE_NOTICE_DAYS is refused (422) unless the body "
    "gives an `override` reason, as is one taking an account past MAINTENANCE_YEARLY_HOURS of scheduled downtime "
    "in a calendar year (its own time zone); the reason is kept with the window, shown to supervisors and mailed "
    "to SUPERVISOR_EMAILS. Every affected account's contacts are told when it is scheduled, reminded "
    "MAINTENANCE_REMINDER_DAYS before it, told of any change or cancellation, and at its start and end. Any "
    "agent reads; only a supervisor schedules, changes or cancels (403)."
)
_NOT_FOUND = doc._error("No maintenance window has this id")
_ID = {
    "name": "window_id",
    "in": "path",
    "required": True,
    "description": "the window's id",
    "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 40}, "minItems": 1}


def _names_or_text(description: str) -> dict[str, Any]:
    return {
        "oneOf": [{**_NAMES, "maxItems": service.MAX_ACCOUNTS}, {"type": "string", "minLength": 1}],
        "description": description,
    }


def schemas() -> dict[str, Any]:
    """MaintenanceWindow, its list, a scheduling's result, the budget, and the body of a window asked for."""
    return {
        "MaintenanceWindow": doc._object(
            {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": [s.value for s in WindowStatus]},
                "version": {"type": "integer", "description": "goes up with each change or the cancellation"},
                "start_at": doc._instant(),
                "end_at": doc._instant(),
                "all_accounts": {"type": "boolean"},
                "accounts": {"type": "array", "items": {"type": "string"}, "description": "K#s; empty when all"},
                "components": {"type": "array", "items": {"type": "string"}},
                "downtime": {"type": "boolean"},
                "summary": {"type": "string"},
                "override_reason": {"type": "string", "description": "why it was let through; empty if no override"},
                "created_at": doc._instant(),
                "created_by": {"type": "string"},
                "updated_at": doc._instant(),
                "updated_by": {"type": "string"},
            }
        ),
        "MaintenanceWindowList": doc._object({"windows": {"type": "array", "items": doc._ref("MaintenanceWindow")}}),
        "MaintenanceResult": doc._object(
            {
                "window": doc._ref("MaintenanceWindow"),
                "notices_queued": {"type": "integer", "description": "notices queued for the affected accounts"},
                "over_cap": {
                    "type": "array",
                    "description": "the accounts and years an override took past the yearly cap",
                    "items": doc._object(
                        {"k_number": {"type": "string"}, "year": {"type": "integer"}, "used_hours": {"type": "number"}}
                    ),
                },
            }
        ),
        "MaintenanceBudget": doc._object(
            {
                "budgets": {
                    "type": "array",
                    "items": doc._object(
                        {
                            "k_number": {"type": "string"},
                            "year": {"type": "integer"},
                            "used_hours": {"type": "number"},
                            "cap_hours": {"type": "number"},
                            "over": {"type": "boolean"},
                        }
                    ),
                }
            }
        ),
        "MaintenanceWindowAsked": doc._object(
            {
                "start": {"type": "string", "maxLength": 40, "description": "ISO-8601 instant with a UTC offset"},
                "end": {"type": "string", "maxLength": 40, "description": "ISO-8601 instant with a UTC offset"},
                "accounts": _names_or_text('K numbers, or ["all"] / "all" for every account'),
                "components": _names_or_text("configured component keys"),
                "downtime": {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["yes", "no"]}]},
                "summary": {"type": "string", "minLength": 1, "maxLength": 500},
                "override": {"type": "string", "maxLength": service.MAX_OVERRIDE, "description": "the reason"},
            },
            required=["start", "end", "accounts", "components", "downtime", "summary"],
            additionalProperties=False,
        ),
    }


def _writes(operation: str, summary: str, ok: str, *, body: bool = True) -> dict[str, Any]:
    responses = {
        ok: doc._json(doc._ref("MaintenanceResult"), "The window as it now stands, and the notices queued"),
        "401": doc._UNAUTHORIZED,
        "403": doc._error("Only a supervisor schedules, changes or cancels maintenance"),
        "409": doc._error("The window is over, or cancelled"),
        "422": doc._error(
            "A field is invalid, an account or component is unknown, or the notice period or the yearly cap "
            "refuses it without an override; the message says which"
        ),
    }
    operation_doc: dict[str, Any] = {"operationId": operation, "summary": summary, "responses": responses}
    if body:
        operation_doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc._ref("MaintenanceWindowAsked")}},
        }
        responses |= {
            "400": doc._error("The body is not JSON"),
            "415": doc._error("The body is not application/json"),
        }
    return operation_doc


def paths() -> dict[str, Any]:
    """The maintenance paths."""
    change = _writes("changeMaintenance", "Change a window: a new version, its notices sent again", "200")
    change["responses"]["404"] = _NOT_FOUND
    cancel = _writes("cancelMaintenance", "Cancel a window (a retried cancel answers as the first)", "200", body=False)
    cancel["responses"]["404"] = _NOT_FOUND
    year = {"type": "integer", "minimum": 2000, "maximum": 2100}
    return {
        "/api/maintenance": {
            "get": {
                "operationId": "listMaintenance",
                "summary": "Maintenance windows not yet over, the earliest first",
                "description": _ABOUT,
                "parameters": [doc._query("all", {"type": "string", "enum": ["1", "true"]}, "every window, past too")],
                "responses": {
                    "200": doc._json(doc._ref("MaintenanceWindowList"), "The windows"),
                    "401": doc._UNAUTHORIZED,
                    "422": doc._INVALID,
                },
            },
            "post": _writes("scheduleMaintenance", "Schedule a maintenance window", "201"),
        },
        "/api/maintenance/budget": {
            "get": {
                "operationId": "getMaintenanceBudget",
                "summary": "Scheduled downtime per account and calendar year against the yearly cap",
                "parameters": [
                    doc._query("account", {"type": "string", "maxLength": 40}, "one account's K# (every year)"),
                    doc._query("year", year, "this year (default: the current year; with account: every year)"),
                ],
                "responses": {
                    "200": doc._json(doc._ref("MaintenanceBudget"), "The budgets"),
                    "401": doc._UNAUTHORIZED,
                    "422": doc._INVALID,
                },
            }
        },
        "/api/maintenance/{window_id}": {"parameters": [_ID], "put": change},
        "/api/maintenance/{window_id}/cancel": {"parameters": [_ID], "post": cancel},
    }
