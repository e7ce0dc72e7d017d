"""Microsoft Teams: Bot Connector client, bot tokens, Adaptive Cards, notifier, app package."""
