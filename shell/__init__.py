"""The offline terminal front-end: the real bot, a local Slack stand-in, optional demo networks."""
