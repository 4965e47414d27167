"""The activity contract between the bot and its channels (docs/ARCHITECTURE.md), named once."""

VOICE_CHANNEL_ID = "twilio-voice"
EVENT_NO_INPUT = "intake.no_input"  # the caller said nothing before the timeout
EVENT_HANGUP = "intake.hangup"  # the caller hung up
EVENT_CONNECT_ONCALL = "intake.connect_oncall"  # phone: dial the on-call engineers for this case
EVENT_HANDOFF = "handoff.initiate"  # the Bot Framework handoff convention
