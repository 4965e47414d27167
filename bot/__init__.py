"""The service: aiohttp app factory, the Bot Framework bot, channel adapters, agent console, CLI."""
