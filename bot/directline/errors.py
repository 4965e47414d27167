"""Errors of the Direct Line gateway; each carries the HTTP status and the code of its JSON reply."""

from __future__ import annotations

from bot.errors import ServiceError


class DirectLineError(ServiceError):
    """A request the gateway refuses, answered as {"error": {"code", "message"}} (by the error middleware too)."""

    status = 400
    code = "BadArgument"


class BadArgumentError(DirectLineError):
    """The body or a parameter is not what the endpoint takes."""


class MalformedJsonError(DirectLineError):
    """The body is not JSON."""

    code = "MalformedJson"


class UnsupportedMediaTypeError(DirectLineError):
    """The body is not sent as application/json."""

    status = 415
    code = "UnsupportedMediaType"


class BodyTooLargeError(DirectLineError):
    """The body exceeds the configured limit."""

    status = 413
    code = "BodyTooLarge"


class TokenMissingError(DirectLineError):
    """No bearer token or secret came with the request."""

    status = 401
    code = "TokenMissing"


class TokenInvalidError(DirectLineError):
    """The token is malformed or its signature does not verify."""

    status = 403
    code = "TokenInvalid"


class TokenExpiredError(DirectLineError):
    """The token verified but its lifetime is over."""

    status = 403
    code = "TokenExpired"


class TokenScopeError(DirectLineError):
    """The token is valid but not for this conversation or this kind of request."""

    status = 403
    code = "TokenScope"


class CrossSiteError(DirectLineError):
    """A browser on another site's page asked for a token."""

    status = 403
    code = "CrossSite"


class ConversationNotFoundError(DirectLineError):
    """No conversation has the given id."""

    status = 404
    code = "ConversationNotFound"


class ActivityNotFoundError(DirectLineError):
    """No activity of the conversation has the given id."""

    status = 404
    code = "ActivityNotFound"
