"""JSON error responses: every refusal says why, in one shape."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler


def json_error(status: int, code: str, message: str) -> web.Response:
    """`{"error": {"code": ..., "message": ...}}` with the given HTTP status."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's own HTTP errors (413, 405, 404...) into JSON with a reason."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge as exc:
        return json_error(413, "too_large", exc.text or "request body too large")
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
