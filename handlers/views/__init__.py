"""Block Kit builders: domain data in, Slack JSON out. No I/O in here."""
