"""The phone line: Twilio Voice webhooks driving the intake bot, Sev1 dialling and SMS paging."""

from bot.paging import PAGE_KIND, page_item
from bot.voice.adapter import TwilioVoiceAdapter
from bot.voice.config import VoiceConfig, voice_config
from bot.voice.paging import Pager, setup_paging
from bot.voice.routes import VoiceLine
from bot.voice.webhooks import VOICE_LINE, setup_voice

__all__ = [
    "PAGE_KIND",
    "VOICE_LINE",
    "Pager",
    "TwilioVoiceAdapter",
    "VoiceConfig",
    "VoiceLine",
    "page_item",
    "setup_paging",
    "setup_voice",
    "voice_config",
]
