"""The survey's settings as one immutable value, handed to its scheduler, webhooks, form and console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.settings import Settings
from bot.voice.config import VoiceConfig
from intake.schedule import parse_zone
from intake.survey import SurveyPolicy

SURVEY_PURPOSE = "survey"  # what a survey link's token is for (bot/links.py)
FORM_PATH = "/survey/{token}"


@dataclass(frozen=True, kw_only=True)
class SurveyConfig:
    """When and how to survey, who to tell about an unhappy customer, and the Twilio account to call from."""

    policy: SurveyPolicy
    voice: VoiceConfig
    link_secret: str
    company: str
    desk_tz: ZoneInfo  # for accounts without a time zone of their own
    supervisors: tuple[str, ...] = ()
    # A placed call whose status callback never came is counted unanswered after this long.
    call_lease: timedelta = timedelta(minutes=30)
    batch: int = 50

    def zone(self, name: str) -> ZoneInfo:
        """The customer's zone: the account's when it names a valid one, else the desk's."""
        if not name:
            return self.desk_tz
        try:
            return parse_zone(name)
        except ValueError:
            return self.desk_tz

    def form_link(self, token: str) -> str:
        """The web form's public URL for `token`."""
        return self.voice.url(FORM_PATH.replace("{token}", token))

    def webhook(self, step: str, survey_id: int) -> str:
        """The public URL of one of the survey call's webhooks."""
        return self.voice.url(f"/twilio/survey/{step}?survey={survey_id}")


def survey_config(settings: Settings, voice: VoiceConfig, policy: SurveyPolicy) -> SurveyConfig:
    """The survey's settings: its policy (SURVEY_*, `settings.survey_policy()`), the phone line's Twilio account,
    LINK_SECRET, SUPERVISOR_EMAILS."""
    return SurveyConfig(
        policy=policy,
        voice=voice,
        link_secret=settings.link_secret,
        company=settings.company_name,
        desk_tz=parse_zone(settings.chat_timezone),
        supervisors=settings.supervisors,
    )
