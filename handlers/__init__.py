"""Slack in: listeners, Block Kit builders, and the HTTP routes that sit next to Bolt."""
