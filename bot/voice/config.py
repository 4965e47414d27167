"""Settings of the phone line, as one immutable value handed to the voice routes and the pager."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True)
class VoiceConfig:
    """Twilio credentials, the public URL Twilio calls, and who to ring for a Sev1."""

    auth_token: str | None
    account_sid: str | None
    public_base_url: str
    support_phone: str
    oncall_numbers: tuple[str, ...]
    from_number: str | None
    dial_timeout: int = 20
    twilio_api_base: str | None = None  # tests and simulators: a stand-in for https://api.twilio.com

    def url(self, path_and_query: str) -> str:
        """Return the public URL Twilio uses for `path_and_query` (which starts with '/')."""
        return self.public_base_url.rstrip("/") + path_and_query


def voice_config(settings: Settings) -> VoiceConfig:
    """Build the phone line's config from the service settings (empty strings mean "not set")."""
    return VoiceConfig(
        auth_token=settings.twilio_auth_token or None,
        account_sid=settings.twilio_account_sid or None,
        public_base_url=settings.base_url,
        support_phone=settings.support_phone,
        oncall_numbers=settings.oncall,
        from_number=settings.twilio_from_number or None,
        dial_timeout=settings.dial_timeout_seconds,
        twilio_api_base=settings.twilio_api_base or None,
    )
