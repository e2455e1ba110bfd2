"""The Slack-agnostic core of adops-bot: configuration, domain services, permissions, audit."""
