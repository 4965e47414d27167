"""One settings class: every knob of the service, from the environment and `.env`, validated at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.client_address import IPNetwork, parse_networks
from intake.domain import Channel, PolicyError, Severity
from intake.escalation import DEFAULT_ESCALATION, parse_escalation
from intake.limits import TextLimits
from intake.phones import InvalidPhoneError, to_e164
from intake.policy import (
    AccountFormat,
    Policy,
    SlaClock,
    SlaTarget,
    parse_duration,
    parse_routing,
    parse_severity_map,
)
from intake.schedule import WeeklySchedule, parse_holidays, parse_hours, parse_zone
from intake.survey import SurveyPolicy

if TYPE_CHECKING:
    from bot.incidents import IncidentConfig

# Placeholders that ship in .env.example: fine on a laptop, refused in production.
DEV_DIRECTLINE_SECRET = "dev-only-directline-secret-change-me-0123456789"
DEV_LINK_SECRET = "dev-only-link-secret-change-me-0123456789abcdef"
_PLACEHOLDERS = {DEV_DIRECTLINE_SECRET, DEV_LINK_SECRET, "change-me", "changeme", "secret", "your-auth-token"}


class ConfigError(Exception):
    """Configuration that cannot run: the message names each bad setting and its accepted form."""


def _e164(value: str, setting: str) -> str:
    # The importer's rule (valid, not merely possible): a number the desk dials or shows must exist.
    try:
        return to_e164(value)
    except InvalidPhoneError as exc:
        raise ValueError(f"{value!r} is not a valid phone number for {setting}; use E.164 like +18005550100") from exc


class Settings(BaseSettings):
    """Read from environment variables and `.env` (environment wins); names are case-insensitive."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    intake_env: Literal["development", "production"] = "development"
    database_url: str = ""  # empty: SQLite file intake.db in the working directory
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    public_base_url: str = ""  # the URL customers and Twilio reach; empty: http://localhost:PORT
    log_level: str = "INFO"

    company_name: str = "Vue Cloud Support"
    support_phone: str = "+18005550100"
    chat_hours: str = "Mon-Fri 08:00-17:00"
    chat_timezone: str = "America/New_York"
    business_hours: str = ""  # for SLAs on the business clock; empty: the chat hours
    support_holidays: str = ""
    sla_response: str = "1:15m,2:1h,3:24h,4:2d"
    sla_fix: str = "1:8h,2:24h,3:120h,4:none"
    sla_update: str = "1:1h,2:4h,3:24h,4:none"  # how often the customer hears from us while a case is open
    sla_clock: str = "1:calendar,2:calendar,3:calendar,4:calendar"
    account_prefix: str = "K"
    account_digits: str = "4-10"
    routing_chat: str = "1:redirect_phone,2:web_request,3:web_request,4:live_chat"
    routing_phone: str = "1:phone_engineer,2:web_request,3:web_request,4:web_request"
    # How much of the customer's text the dialogue reads (one message; a conversation's description) and
    # keeps on the case: reading costs time in proportion to the text, so one message's work is bounded.
    message_read_chars: int = Field(default=2_000, ge=100, le=262_144)
    description_read_chars: int = Field(default=4_000, ge=100, le=262_144)
    description_kept_chars: int = Field(default=262_144, ge=100, le=4_194_304)

    microsoft_app_id: str = Field(default="", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID"))
    microsoft_app_password: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD")
    )
    microsoft_app_tenant_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID")
    )
    # POST /api/messages, for Bot Framework channels: "auto" = on with MicrosoftAppId (every request needs
    # a valid Bot Framework token) and, without one, on in development only (unauthenticated: for local
    # tools and scripts); "on" or "off" decide outright.
    api_messages: Literal["auto", "on", "off"] = "auto"
    # Where the bot may send replies to Bot Framework channels: https hosts, "*." for any subdomain.
    bot_service_hosts: str = "*.botframework.com,*.botframework.us,*.botframework.azure.us,smba.trafficmanager.net"
    directline_secret: str = DEV_DIRECTLINE_SECRET
    directline_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # A customer's message still unanswered this long after it was stored belongs to a process that died:
    # a live process answers it (and looks for such messages this often, and once at start).
    directline_recovery_seconds: int = Field(default=15, ge=1, le=3600)
    # A slow or stalled client holds a connection at most about this long: a request's body must arrive
    # within it (408, then the connection is closed) and a Direct Line stream must answer the service's
    # ping within it (else it is closed).
    client_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # A connection that has not sent a whole request for this long is closed: one idle between requests,
    # or one trickling its headers. Keep it above the proxy's upstream keepalive timeout (nginx: 60 s).
    idle_connection_seconds: float = Field(default=75.0, gt=0, le=3600)

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = ""  # tests and simulators only: where the Twilio REST API is
    oncall_numbers: str = ""
    # Paged when a Sev1's response target passes with nobody answering (the SLA watch, bot/sla_watch.py).
    oncall_backup_numbers: str = ""
    sla_watch_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Who hears of each SLA alert (intake/escalation.py); staff mail about a Sev2-4 case waits for business
    # hours unless SLA_NOTIFY_OUTSIDE_HOURS is true.
    sla_escalation: str = DEFAULT_ESCALATION
    sla_warn_share: float = Field(default=0.75, gt=0, lt=1)  # the share of a target at which to warn
    sla_notify_outside_hours: bool = False
    dial_timeout_seconds: int = Field(default=20, ge=5, le=120)

    handoff_timeout_seconds: int = Field(default=300, ge=10)

    # Incidents (bot/incidents.py): Sev1/Sev2 reports from INCIDENT_MIN_ACCOUNTS accounts naming the same
    # component within INCIDENT_WINDOW_MINUTES open one; INCIDENT_COMPONENTS_FILE (JSON, {key: {label, words}})
    # replaces the default components and their words.
    incident_min_accounts: int = Field(default=3, ge=2, le=1000)
    incident_window_minutes: float = Field(default=15, gt=0, le=24 * 60)
    incident_components_file: str = ""
    # Planned maintenance (bot/maintenance.py): a window with downtime needs this many days' notice unless
    # overridden with a reason; the reminder goes this many days ahead (same local time, the account's zone);
    # an account's scheduled downtime per calendar year is capped at this many hours unless overridden.
    maintenance_notice_days: float = Field(default=14, ge=0, le=365)
    maintenance_reminder_days: float = Field(default=3, gt=0, le=60)
    maintenance_yearly_hours: float = Field(default=96, gt=0, le=8784)

    # Email to customers (notices) and staff (SLA warnings): SMTP through the outbox. No SMTP_HOST: mail
    # stays queued (and says so in the log) until one is set.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = ""  # required to send mail
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["starttls", "tls", "off"] = "starttls"
    # Staff mailboxes: supervisors hear of every breach; the queue's mailbox of warnings on unassigned cases.
    supervisor_emails: str = ""
    queue_emails: str = ""
    # Signs the links in notices (unsubscribe, "is everything working?", the survey form); >= 32 chars.
    link_secret: str = DEV_LINK_SECRET

    # The eXceed survey (bot/survey/): a call SURVEY_DELAY after a case closes, in the customer's own
    # SURVEY_HOURS, tried SURVEY_CALL_TRIES times SURVEY_RETRY_GAP apart, then the web form's link (valid
    # SURVEY_LINK_DAYS); nothing is sent SURVEY_WINDOW after closure. Durations like 4h, 1d, 10d.
    survey_delay: str = "1d"
    survey_window: str = "10d"
    survey_hours: str = "Mon-Fri 10:00-17:00"
    survey_call_tries: int = Field(default=2, ge=1, le=5)
    survey_retry_gap: str = "4h"
    survey_link_days: int = Field(default=14, ge=1, le=90)
    survey_watch_seconds: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("survey_delay", "survey_window", "survey_retry_gap")
    @classmethod
    def _survey_duration(cls, value: str) -> str:
        if _wrap(parse_duration, value) is None:
            raise ValueError(f"a duration is needed (e.g. 4h, 1d, 10d), not {value!r}")
        return value

    @model_validator(mode="after")
    def _survey(self) -> Settings:
        try:
            self.survey_policy()
        except ValueError as exc:  # the only cross-field rule: the window outlasts the delay
            raise ValueError(
                f"SURVEY_WINDOW ({self.survey_window}) must be longer than SURVEY_DELAY ({self.survey_delay})"
            ) from exc
        return self

    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated); empty: none, the
    # peer's own address is the client's.
    trusted_proxies: str = ""

    # Prometheus metrics on a listener of their own (never the main port, so a proxy in front never serves
    # them): "off" by default. Each process needs its own METRICS_PORT (docs/DEPLOYMENT.md).
    metrics: Literal["off", "on"] = "off"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=1, le=65535)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @field_validator("support_phone", "twilio_from_number")
    @classmethod
    def _phone(cls, value: str, info: Any) -> str:
        return _e164(value, info.field_name.upper()) if value else value

    @field_validator("oncall_backup_numbers")
    @classmethod
    def _backup(cls, value: str) -> str:
        return ",".join(_e164(v.strip(), "ONCALL_BACKUP_NUMBERS") for v in value.split(",") if v.strip())

    @field_validator("sla_escalation")
    @classmethod
    def _escalation(cls, value: str) -> str:
        _wrap(parse_escalation, value)
        return value

    @field_validator("incident_components_file")
    @classmethod
    def _components(cls, value: str) -> str:
        from bot.incidents import IncidentConfig  # the file is read and checked here, at start-up

        try:
            IncidentConfig.build(min_accounts=3, window_minutes=15, components_file=value)
        except ValueError as exc:  # pydantic names the setting itself
            raise ValueError(str(exc).removeprefix("INCIDENT_COMPONENTS_FILE: ")) from exc
        return value

    @field_validator("supervisor_emails", "queue_emails", "smtp_from")
    @classmethod
    def _emails(cls, value: str, info: Any) -> str:
        for address in (a.strip() for a in value.split(",")):
            if address:
                try:
                    validate_email(address, check_deliverability=False, globally_deliverable=False)
                except EmailNotValidError as exc:
                    raise ValueError(f"{address!r} is not an email address") from exc
        return value

    @field_validator("oncall_numbers")
    @classmethod
    def _oncall(cls, value: str) -> str:
        return ",".join(_e164(v.strip(), "ONCALL_NUMBERS") for v in value.split(",") if v.strip())

    @field_validator("chat_hours", "business_hours", "survey_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if value:
            _wrap(parse_hours, value)
        return value

    @field_validator("chat_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _wrap(parse_zone, value)
        return value

    @field_validator("support_holidays")
    @classmethod
    def _holidays(cls, value: str) -> str:
        _wrap(parse_holidays, value)
        return value

    @field_validator("sla_response", "sla_fix", "sla_update")
    @classmethod
    def _sla(cls, value: str, info: Any) -> str:
        for sev, raw in _wrap(parse_severity_map, value, info.field_name.upper()).items():
            duration = _wrap(parse_duration, raw)
            if duration is None and (info.field_name == "sla_response"):
                raise ValueError(f"severity {int(sev)} needs a response target (e.g. 15m, 1h, 2d)")
        return value

    @field_validator("sla_clock")
    @classmethod
    def _clock(cls, value: str) -> str:
        for raw in _wrap(parse_severity_map, value, "SLA_CLOCK").values():
            if raw.lower() not in {c.value for c in SlaClock}:
                raise ValueError(f"{raw!r} is not a clock; use 'calendar' or 'business' per severity")
        return value

    @field_validator("account_digits")
    @classmethod
    def _digits(cls, value: str) -> str:
        low, sep, high = value.partition("-")
        if not (low.strip().isdigit() and (not sep or high.strip().isdigit())):
            raise ValueError(f"{value!r}: use a digit count range like '4-10' or a single count like '6'")
        return value

    @field_validator("routing_chat", "routing_phone")
    @classmethod
    def _routing(cls, value: str, info: Any) -> str:
        _wrap(parse_routing, value, info.field_name.upper())
        return value

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Settings:
        if len(self.directline_secret) < 32:
            raise ValueError("DIRECTLINE_SECRET must be at least 32 characters")
        if len(self.link_secret) < 32:
            raise ValueError("LINK_SECRET must be at least 32 characters")
        if self.intake_env == "production":
            bad = [
                name
                for name, value in (
                    ("DIRECTLINE_SECRET", self.directline_secret),
                    ("LINK_SECRET", self.link_secret),
                    ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                )
                if value in _PLACEHOLDERS
            ]
            if bad:
                raise ValueError(f"placeholder secret in production for {', '.join(bad)}: set a real value")
            if not self.public_base_url:
                raise ValueError("PUBLIC_BASE_URL must be set in production (the URL customers and Twilio use)")
        # Build the policy once so cross-field problems (e.g. business hours) surface at start-up.
        self.policy()
        return self

    # -- derived values -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def api_messages_enabled(self) -> bool:
        """Whether POST /api/messages takes activities (see `api_messages`)."""
        if self.api_messages != "auto":
            return self.api_messages == "on"
        return bool(self.microsoft_app_id) or self.intake_env == "development"

    @property
    def service_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.bot_service_hosts.split(",") if h.strip())

    def effective_database_url(self, cwd: Path | None = None) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{((cwd or Path.cwd()) / 'intake.db').as_posix()}"

    @property
    def oncall(self) -> tuple[str, ...]:
        return tuple(n for n in self.oncall_numbers.split(",") if n)

    @property
    def supervisors(self) -> tuple[str, ...]:
        return _addresses(self.supervisor_emails)

    @property
    def queue_mailboxes(self) -> tuple[str, ...]:
        return _addresses(self.queue_emails)

    @property
    def oncall_backup(self) -> tuple[str, ...]:
        """The backup on-call numbers, paged when a Sev1 goes unanswered past its response target."""
        return tuple(n for n in self.oncall_backup_numbers.split(",") if n)

    def policy(self) -> Policy:
        """The immutable Policy these settings describe."""
        zone = parse_zone(self.chat_timezone)
        calendar = parse_holidays(self.support_holidays)

        def schedule(hours: str) -> WeeklySchedule:
            days, opens, closes = parse_hours(hours)
            return WeeklySchedule(tz=zone, days=days, opens=opens, closes=closes, holidays=calendar)

        responses = parse_severity_map(self.sla_response, "SLA_RESPONSE")
        fixes = parse_severity_map(self.sla_fix, "SLA_FIX")
        clocks = parse_severity_map(self.sla_clock, "SLA_CLOCK")
        updates = parse_severity_map(self.sla_update, "SLA_UPDATE")
        sla: dict[Severity, SlaTarget] = {}
        for sev in Severity:
            response = parse_duration(responses[sev])
            assert response is not None  # validated above
            sla[sev] = SlaTarget(
                response, parse_duration(fixes[sev]), SlaClock(clocks[sev].lower()), parse_duration(updates[sev])
            )
        low, _, high = self.account_digits.partition("-")
        return Policy(
            company_name=self.company_name,
            support_phone=self.support_phone,
            web_url=self.base_url + "/",
            sla=sla,
            chat=schedule(self.chat_hours),
            business=schedule(self.business_hours) if self.business_hours else None,
            account=AccountFormat(self.account_prefix, int(low), int(high or low)),
            routing={
                Channel.CHAT: parse_routing(self.routing_chat, "ROUTING_CHAT"),
                Channel.PHONE: parse_routing(self.routing_phone, "ROUTING_PHONE"),
            },
            text=TextLimits(self.message_read_chars, self.description_read_chars, self.description_kept_chars),
        )

    def incident_config(self) -> IncidentConfig:
        """The components customers name and when their reports open an incident."""
        from bot.incidents import IncidentConfig

        return IncidentConfig.build(
            min_accounts=self.incident_min_accounts,
            window_minutes=self.incident_window_minutes,
            components_file=self.incident_components_file,
        )

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(minutes=self.directline_token_minutes)

    def survey_policy(self) -> SurveyPolicy:
        """When and how often the eXceed survey is tried (bot/survey/)."""
        days, opens, closes = parse_hours(self.survey_hours)
        delay, window, gap = (parse_duration(v) for v in (self.survey_delay, self.survey_window, self.survey_retry_gap))
        assert delay is not None and window is not None and gap is not None  # validated above
        return SurveyPolicy(
            delay=delay,
            window=window,
            days=days,
            opens=opens,
            closes=closes,
            call_tries=self.survey_call_tries,
            retry_gap=gap,
            link_ttl=timedelta(days=self.survey_link_days),
        )


def _addresses(value: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in value.split(",") if a.strip())


def _wrap(fn: Any, *args: Any) -> Any:
    # pydantic reports ValueError with the field's name; PolicyError already is one, kept explicit here.
    try:
        return fn(*args)
    except PolicyError as exc:
        raise ValueError(str(exc)) from exc


def load_settings(**overrides: Any) -> Settings:
    """Settings from env/.env (plus overrides); bad values raise ConfigError naming each setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "configuration"
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from exc
