"""Tests of the agent console and the live-agent relay."""
