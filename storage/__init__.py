"""Persistence for adops-bot: models, engine and session setup, secrets at rest, migrations."""
