"""The one reader of bearer credentials (`Authorization: Bearer <credential>`), for every endpoint that takes one."""

from __future__ import annotations

from aiohttp import web


def bearer_token(request: web.BaseRequest) -> str | None:
    """Return the credential of an `Authorization: Bearer ...` header (the scheme in any case), or None.

    Each caller refuses a missing credential with its own error (the Direct Line protocol's code, the agent
    API's WWW-Authenticate challenge); the error middleware has already refused a header that is not ASCII.
    """
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        return None
    return credential
