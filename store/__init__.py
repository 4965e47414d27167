"""Persistence: SQLModel tables, async sessions, migrations, Bot Framework Storage and transcripts."""
