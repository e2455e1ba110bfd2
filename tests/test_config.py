"""Configuration is read from the environment and every problem names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings


def test_defaults_need_nothing_but_give_sqlite_under_the_data_dir(tmp_path: Path):
    settings = Settings.from_env({"ADOPS_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'adops.db'}"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.sync_interval, settings.port, settings.socket_mode) == (900, 3000, False)
    assert set(settings.providers) == {"tiktok", "mediago"}


def test_values_are_parsed():
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9999/api/",
            "ADOPS_ADMINS": "U01AAA, U02BBB  W03CCC",
            "ADOPS_ALERT_CHANNEL": "C0ALERTS",
            "ADOPS_SYNC_INTERVAL": "5m",
            "ADOPS_PUBLIC_URL": "https://adops.example.com/",
            "PORT": "8080",
            "DATABASE_URL": "postgresql+asyncpg://u@db/adops",
            "ADOPS_ENCRYPTION_KEYS": "k1, k2,",
        }
    )
    assert settings.admins == {"U01AAA", "U02BBB", "W03CCC"}
    assert (settings.sync_interval, settings.port) == (300, 8080)
    assert settings.public_url == "https://adops.example.com"
    assert settings.socket_mode and settings.encryption_keys == ("k1", "k2")
    settings.check_serving()
    for secret in ("xoxb-1", "xapp-1", "k1"):
        assert secret not in repr(settings)


def test_every_problem_is_reported_with_its_variable():
    with pytest.raises(ConfigError) as info:
        Settings.from_env(
            {
                "SLACK_BOT_TOKEN": "xoxp-user-token",
                "ADOPS_ADMINS": "jane",
                "ADOPS_ALERT_CHANNEL": "#ad-ops",
                "ADOPS_SYNC_INTERVAL": "often",
                "PORT": "99999",
                "SLACK_API_URL": "slack.com",
                "DATABASE_URL": "mysql://x",
            }
        )
    text = str(info.value)
    for name in (
        "SLACK_BOT_TOKEN",
        "ADOPS_ADMINS",
        "ADOPS_ALERT_CHANNEL",
        "ADOPS_SYNC_INTERVAL",
        "PORT",
        "SLACK_API_URL",
        "DATABASE_URL",
    ):
        assert name in text
    assert len(info.value.problems) == 7


def test_postgres_requires_shared_encryption_keys():
    with pytest.raises(ConfigError, match="ADOPS_ENCRYPTION_KEYS is required with PostgreSQL"):
        Settings.from_env({"DATABASE_URL": "postgresql+asyncpg://u@db/adops"})


def test_serving_checks_tokens_at_boot():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({}).check_serving()
    assert "SLACK_BOT_TOKEN" in str(info.value) and "SLACK_SIGNING_SECRET" in str(info.value)
    Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).check_serving()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).check_serving()
