"""The intake domain: pure policy, triage, routing and dialogue logic (no I/O, no clock reads)."""
