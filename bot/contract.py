"""The activity contract between the bot and its channels (docs/ARCHITECTURE.md), named once."""

VOICE_CHANNEL_ID = "twilio-voice"
PHONE_LOCALE = "en-US"  # what the phone line speaks and hears, whatever else the customer speaks
WEBSITE_CHANNEL_ID = "directline"  # the service's own Direct Line gateway
# Channels this service hosts itself: their activities come only from their own adapters, in process.
BUILT_IN_CHANNEL_IDS = frozenset({VOICE_CHANNEL_ID, WEBSITE_CHANNEL_ID})
EVENT_NO_INPUT = "intake.no_input"  # the caller said nothing before the timeout
EVENT_HANGUP = "intake.hangup"  # the caller hung up
EVENT_CONNECT_ONCALL = "intake.connect_oncall"  # phone: dial the on-call engineers for this case
EVENT_HANDOFF = "handoff.initiate"  # the Bot Framework handoff convention
# channelData key the website's gateway alone sets on what it hands the bot: {"address": "203.0.113.9"}.
CLIENT_DATA_KEY = "intake_client"
# TurnContext.turn_state key under which a channel adapter of this service names its channel: a turn
# is a phone turn only when the phone line's own adapter says so, whatever an activity's channelId claims.
TURN_CHANNEL = "intake.channel"
