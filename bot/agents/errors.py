"""The refusals of sign-in, the console and the agent API: ServiceError classes, answered by the error middleware.

The sign-in and password pages show the same refusal to a person: `sentence` is that wording (a full
sentence), while `message` stays the terse reason that scripts and the JSON API have always read.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import ConflictError, ForbiddenError, ServiceError


class AgentRefusal(ServiceError):
    """A refusal that a page may also show: `sentence` says it to a person."""

    def __init__(self, message: str, *, sentence: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message, headers=headers)
        self.sentence = sentence or message[:1].upper() + message[1:] + "."


class NotSignedInError(ServiceError):
    """No session cookie, or one that is unknown, expired, revoked or of a disabled agent."""

    status = 401
    code = "not_signed_in"


class PasswordChangeRequiredError(ServiceError):
    """The session was opened with a one-time password: it may only choose a new password."""

    status = 403
    code = "password_change_required"


class CsrfError(ServiceError):
    """A state-changing console request without the session's CSRF token."""

    status = 403
    code = "csrf_failed"


class CrossOriginError(ServiceError):
    """A sign-in posted from another site's page (login CSRF)."""

    status = 403
    code = "cross_origin"


class TokenMissingError(ServiceError):
    """An API request without `Authorization: Bearer <token>`."""

    status = 401
    code = "token_missing"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class TokenInvalidError(ServiceError):
    """An API token that is unknown, revoked, or whose agent is disabled."""

    status = 401
    code = "token_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class SignInFailedError(AgentRefusal):
    """The name or the password is wrong (never saying which)."""

    status = 401
    code = "sign_in_failed"


class TooManyAttemptsError(AgentRefusal):
    """The sign-in limits are spent for now; Retry-After says for how long."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, sentence: str | None = None) -> None:
        super().__init__(message, sentence=sentence, headers={"Retry-After": str(retry_after)})


class InvalidPasswordError(AgentRefusal):
    """A new password that is refused, or a current password that is wrong."""

    status = 422
    code = "invalid_password"


class PasswordChangedError(AgentRefusal):
    """The password changed between reading it and replacing it."""

    status = 409
    code = "password_changed"


class NotYourConversationError(ForbiddenError):
    """Another agent has claimed this conversation."""

    code = "not_your_conversation"


class NotDeliveredError(ConflictError):
    """The customer's channel did not take the message."""

    code = "not_delivered"


class InvalidError(ServiceError):
    """An agent API query parameter or field is invalid; the message says which."""

    status = 422
    code = "invalid"
