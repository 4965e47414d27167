"""Direct Line 3.0 gateway: lets the official Web Chat (and any Direct Line client) talk to the bot."""

from bot.directline.config import DirectLineConfig
from bot.directline.gateway import DIRECTLINE_SERVICE, setup_directline

__all__ = ["DIRECTLINE_SERVICE", "DirectLineConfig", "setup_directline"]
