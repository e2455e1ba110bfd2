"""Secrets at rest: encrypted in the database, absent from logs, rotatable, and checked at start."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Text, select, type_coerce

from bot.config import Settings
from bot.runtime import open_database
from bot.services import Services
from storage.db import Database
from storage.keys import rotate_keys, verify_secrets
from storage.models import Profile
from storage.secrets import Keyring, Secret, SecretsError, load_or_create_key_file
from tests.support import ADMIN

TOKEN = "tt-access-token-7f3c9a1b2d4e6f80"
API_SECRET = "mg-api-secret-Zq8Wx2Lk5Pn9"
API_KEY = "mg-api-key-Aa11Bb22Cc33"


def test_secret_never_shows_itself():
    secret = Secret(TOKEN)
    for text in (repr(secret), str(secret), f"{secret}", repr([secret]), repr({"t": secret})):
        assert TOKEN not in text
    assert secret.reveal() == TOKEN
    assert secret.hint() == "••••6f80" and Secret("short").hint() == "••••"
    assert Secret(TOKEN) == Secret(TOKEN) and Secret(TOKEN) != Secret(API_SECRET)


async def test_no_plaintext_in_the_sqlite_file_or_logs(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = Settings.from_env({"ADOPS_DATA_DIR": str(tmp_path)})
    db = await open_database(settings)
    db.engine.echo = True
    core = Services(db)
    tiktok = await core.profiles.create(ADMIN, "tiktok", secret=TOKEN)
    mediago = await core.profiles.create(
        ADMIN, "mediago", name="MG", key=API_KEY, secret=API_SECRET
    )
    cards = await core.profiles.list_profiles(ADMIN)
    await db.dispose()

    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("adops.db"))
    assert b"tt-access-token" not in raw and b"mg-api-secret" not in raw
    assert b"mg-api-key" not in raw
    logged = caplog.text + repr([r.args for r in caplog.records])
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)  # SQL was logged
    for plaintext in (TOKEN, API_SECRET, API_KEY):
        assert plaintext not in logged
        assert plaintext not in repr(cards)
    assert (tiktok.key_hint, mediago.key_hint) == (None, "••••Cc33")


async def test_rotate_keys_moves_every_secret_to_the_newest_key(db_url: str, tmp_path: Path):
    old, new = Keyring.generate_key(), Keyring.generate_key()
    db = Database(db_url, Keyring([old]))
    core = Services(db)
    for n in range(5):
        await core.profiles.create(ADMIN, "mediago", name=f"P{n}", key=f"k{n}", secret=f"s-{n}")
    await db.dispose()

    both = Database(db_url, Keyring([new, old]))
    report = await rotate_keys(both, batch_size=2)
    assert (report.rotated, report.already_current) == (10, 0)
    assert (await rotate_keys(both, batch_size=2)).rotated == 0
    await both.dispose()

    new_only = Database(db_url, Keyring([new]))
    assert await verify_secrets(new_only) == 10
    async with new_only.reader() as session:
        profiles = (await session.scalars(select(Profile).order_by(Profile.id))).all()
        stored = (await session.scalars(select(type_coerce(Profile.secret, Text())))).all()
    assert [p.secret.reveal() for p in profiles] == [f"s-{n}" for n in range(5)]
    assert [p.api_key.reveal() for p in profiles] == [f"k{n}" for n in range(5)]
    assert all(value.startswith(new_only.keyring.primary_id + "$") for value in stored)
    await new_only.dispose()

    old_only = Database(db_url, Keyring([old]))
    with pytest.raises(SecretsError, match="ADOPS_ENCRYPTION_KEYS does not contain"):
        await verify_secrets(old_only)
    await old_only.dispose()


async def test_start_is_refused_when_no_key_can_read_the_stored_secrets(tmp_path: Path):
    settings = Settings.from_env({"ADOPS_DATA_DIR": str(tmp_path)})
    db = await open_database(settings)
    await Services(db).profiles.create(ADMIN, "tiktok", secret=TOKEN)
    await db.dispose()

    stranger = Settings.from_env(
        {"ADOPS_DATA_DIR": str(tmp_path), "ADOPS_ENCRYPTION_KEYS": Keyring.generate_key()}
    )
    with pytest.raises(SecretsError) as info:
        await open_database(stranger)
    assert TOKEN not in str(info.value)
    # The generated key file still opens it.
    db = await open_database(settings)
    await db.dispose()


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO)
    key = load_or_create_key_file(tmp_path / "data")
    path = tmp_path / "data" / "encryption.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert str(path) in caplog.text and key not in caplog.text
    assert load_or_create_key_file(tmp_path / "data") == key
    Keyring([key])


def test_bad_keys_are_refused_without_echoing_them():
    with pytest.raises(SecretsError, match="key #2 is not a valid Fernet key") as info:
        Keyring([Keyring.generate_key(), "not-a-key-at-all"])
    assert "not-a-key-at-all" not in str(info.value)


async def test_after_the_real_flows_no_secret_is_in_the_database_file_logs_or_slack(
    bot, fake_tiktok, fake_mediago, db_url: str, caplog
):
    """OAuth connect, a MediaGo form, syncs (which store MediaGo's session token) and an alert:
    then every plaintext the fakes know of is looked for everywhere it must not be."""
    if not db_url.startswith("sqlite"):
        pytest.skip("looks at the SQLite file's bytes")
    caplog.set_level(logging.DEBUG)
    from fakes import slack_payloads as p
    from fakes.mediago import as_basic
    from handlers.ids import INPUT_ACTION, Field, Modal
    from tests.test_slack_oauth import get, start_flow

    callback, cookie, _ = await start_flow(bot)
    assert (await get(bot, callback, cookie)).status == 200
    mediago_secret = "mg-flow-secret-Qw3rTy"
    fake_mediago.add_credentials(as_basic(mediago_secret), accounts=2)
    await bot.command("connect mediago")
    (opened,) = await bot.slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == Modal.MEDIAGO_CREDENTIALS
    await bot.submit(
        view,
        {
            Field.NAME: {INPUT_ACTION: p.text_value("MG")},
            Field.KEY: {INPUT_ACTION: p.text_value("mg-flow-key-Zx9")},
            Field.SECRET: {INPUT_ACTION: p.text_value(mediago_secret)},
        },
    )
    (checked,) = await bot.slack.wait_for("views.update")
    assert "2 ad account(s) reachable" in repr(checked.args["view"])
    await bot.services.settings.set_alert_channel(ADMIN, "C0ALERTS")
    await bot.scheduler.run_cycle()
    tiktok_tokens = list(fake_tiktok.tokens)
    session_token = fake_mediago.tokens[as_basic(mediago_secret)].live
    fake_tiktok.revoke(login="alice")
    await bot.scheduler.run_cycle()
    assert bot.slack.calls_to("chat.postMessage")  # the alert went out
    await bot.settle()

    plaintexts = [
        *tiktok_tokens,
        mediago_secret,
        as_basic(mediago_secret),
        "mg-flow-key-Zx9",
        session_token,
        fake_tiktok.app_secret,
    ]
    assert all(plaintexts)
    path = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
    raw = b"".join(f.read_bytes() for f in path.parent.iterdir() if f.name.startswith(path.name))
    logged = caplog.text + repr([r.args for r in caplog.records])
    seen_by_slack = repr([(c.method, c.args) for c in bot.slack.calls])
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any('"GET /oauth/callback"' in line for line in access)  # logged, but not its query
    assert "auth_code" not in logged and "state=" not in logged
    for plaintext in plaintexts:
        assert plaintext.encode() not in raw, plaintext[:6]
        assert plaintext not in logged, plaintext[:6]
        assert plaintext not in seen_by_slack, plaintext[:6]
