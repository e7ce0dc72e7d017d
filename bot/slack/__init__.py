"""Slack: slack-bolt app, listeners, Block Kit views, notifier and OAuth installation store."""
