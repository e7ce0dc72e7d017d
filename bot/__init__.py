"""Flare's delivery side: everything that speaks a protocol (HTTP, Slack, Teams, CLI)."""
