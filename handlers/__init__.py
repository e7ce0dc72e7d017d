"""Flare's use cases. Platform-free: no Slack, Teams or web imports here."""
