"""Names sort as people read them, numbers by value ("New Market 2" before "New Market 19"), in
the accounts list, the typeahead, the manage view and the profile and tracker lists; existing
rows get their sort key from the migration that adds it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Options
from handlers.metadata import ProfileRef
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AdAccount, ProfileAccess, natural_key
from storage.secrets import Keyring
from tests.factories import make_profile
from tests.support import ADMIN, ManualClock
from tests.test_slack_features import find, list_message, opened_view, text_of

NAMES = ["New Market 19", "new market 2", "New Market 10", "New Market 1", "Alpha 007", "Alpha 7b"]
READ_ORDER = [
    "Alpha 007",
    "Alpha 7b",
    "New Market 1",
    "new market 2",
    "New Market 10",
    "New Market 19",
]


def test_natural_key_orders_numbers_by_value():
    assert sorted(NAMES, key=natural_key) == READ_ORDER
    assert sorted(["a9", "a10", "a 9", "a", "b1", "a99999999999999999999"], key=natural_key) == [
        "a",
        "a 9",
        "a9",
        "a10",
        "a99999999999999999999",
        "b1",
    ]
    assert len(natural_key("1 " * 400)) == 600


async def named_accounts(db: Database, now, names: list[str], profile_id: int) -> list[int]:
    async with db.transaction() as session:
        accounts = [
            AdAccount(
                provider="tiktok",
                external_id=f"70{n}",
                name=name,
                profile_id=profile_id,
                enabled=True,
                archived=False,
                created_at=now,
                updated_at=now,
            )
            for n, name in enumerate(names)
        ]
        session.add_all(accounts)
        await session.flush()
        for account in accounts:
            session.add(
                ProfileAccess(
                    profile_id=profile_id,
                    account_id=account.id,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
        return [a.id for a in accounts]


def shown_order(payload: object, names: list[str]) -> list[str]:
    shown = text_of(payload)
    return sorted((n for n in names if n in shown), key=shown.index)


async def test_accounts_list_typeahead_and_manage_view_sort_naturally(bot, clock):
    db = bot.services.db
    main = await make_profile(db, clock(), name="Main")
    other = await make_profile(db, clock(), name="Other")
    await named_accounts(db, clock(), NAMES, main)
    async with db.transaction() as session:  # the other profile reaches them all too
        await session.execute(
            text(
                "INSERT INTO profile_access (profile_id, account_id, first_seen_at, last_seen_at)"
                " SELECT :other, account_id, first_seen_at, last_seen_at FROM profile_access"
            ),
            {"other": other},
        )

    message, _ = await list_message(bot)
    assert shown_order(message, NAMES) == READ_ORDER

    await bot.press(message, Action.BULK_OPEN)
    view = await opened_view(bot)
    options = await bot.suggest(Options.ACCOUNTS, "market", view=view)
    labels = [o["text"]["text"].split(" (")[0] for o in options.json["options"]]
    assert labels == READ_ORDER[2:]

    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    await bot.click(p.button(Action.PROFILE_MANAGE, ProfileRef(other).encode()), message=cards)
    manage = await opened_view(bot, 2)
    offered = [o["text"]["text"].split(" (")[0] for o in find(manage, INPUT_ACTION)["options"]]
    assert offered == READ_ORDER


async def test_profiles_and_trackers_sort_naturally(bot, clock):
    db = bot.services.db
    for name in ("TikTok 10", "TikTok 2", "TikTok 1"):
        await make_profile(db, clock(), name=name)
    for name in ("RT 12", "RT 3"):
        await bot.services.trackers.create(ADMIN, name=name, kind="redtrack", template="?r=1")
    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    assert shown_order(cards, ["TikTok 1", "TikTok 2", "TikTok 10"]) == [
        "TikTok 1",
        "TikTok 2",
        "TikTok 10",
    ]
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    assert shown_order(page["blocks"][2:], ["RT 3", "RT 12"]) == ["RT 3", "RT 12"]


async def test_the_migration_gives_existing_accounts_their_sort_key(
    tmp_path: Path, keyring: Keyring
):
    clock = ManualClock()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", keyring)
    await upgrade(db, "0002")
    async with db.engine.begin() as conn:
        for n, name in enumerate(NAMES):
            await conn.execute(
                text(
                    "INSERT INTO ad_accounts (provider, external_id, name, search_text, enabled,"
                    " archived, created_at, updated_at)"
                    " VALUES ('tiktok', :ext, :name, lower(:name), 1, 0, :now, :now)"
                ),
                {"ext": f"70{n}", "name": name, "now": clock().isoformat()},
            )
    await upgrade(db)
    async with db.reader() as session:
        keys = dict((await session.execute(text("SELECT name, sort_key FROM ad_accounts"))).all())
    await db.dispose()
    assert keys == {name: natural_key(name) for name in NAMES}
