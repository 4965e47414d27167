"""Settings of the Direct Line gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.client_address import IPNetwork

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True, kw_only=True)
class DirectLineConfig:
    """How the gateway signs tokens, where it reaches the bot and how much it accepts."""

    # Signs tokens, and is also the Direct Line secret a server-side client may present as a bearer.
    secret: str
    # The serviceUrl put on activities. Only a label: the bot runs in this process and its replies are
    # stored by the gateway's adapter, never posted to this URL.
    service_url: str
    bot_name: str
    token_ttl: timedelta = timedelta(minutes=30)
    # The stream token rides in a URL (access logs, proxies): it only opens a socket, so it can be brief.
    stream_token_ttl: timedelta = timedelta(minutes=2)
    max_body: int = 256 * 1024
    bot_id: str = "intake-bot"
    # A user activity still pending after this long belongs to a turn whose process died.
    bot_timeout: timedelta = timedelta(seconds=15)
    # How often each process looks for such activities (and once at start).
    recovery_interval: timedelta = timedelta(seconds=30)
    # Reverse proxies whose X-Forwarded-For names the client (for the bot's per-address limits).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # A stream that does not answer a ping within this is closed (a client gone, or one holding it idle).
    stream_heartbeat: timedelta = timedelta(seconds=30)
    # How often streams look for activities written by other processes.
    poll_interval: timedelta = timedelta(milliseconds=250)

    def __post_init__(self) -> None:
        """Reject settings the gateway cannot run safely with."""
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the Direct Line secret must be at least {MIN_SECRET_LENGTH} characters")
        if not self.service_url.startswith(("http://", "https://")):
            raise ValueError("service_url must be an http(s) URL")
        if self.token_ttl <= timedelta(0) or self.stream_token_ttl <= timedelta(0):
            raise ValueError("token lifetimes must be positive")
        if self.max_body < 1024:
            raise ValueError("max_body must be at least 1024 bytes")
