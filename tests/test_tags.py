"""Tag rules: trimmed, case-insensitively unique, length-limited, any Unicode, auto-marked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.accounts import AccountFilter
from bot.errors import InvalidInput
from bot.services import Services
from bot.tags import add_auto_tags, clean_tag
from storage.models import Tag
from tests.factories import make_accounts
from tests.support import ADMIN, ManualClock


async def test_tags_are_trimmed_and_case_insensitively_unique(core: Services, clock: ManualClock):
    a, b = await make_accounts(core.db, clock(), 2)
    await core.bulk.add_tags(ADMIN, [a], ["  VIP  Client "])
    result = await core.bulk.add_tags(ADMIN, [a, b], ["vip client", "Straße"])
    assert [i.done for i in result.items] == [True, True]
    row_a, row_b = (await core.accounts.get(ADMIN, a)), (await core.accounts.get(ADMIN, b))
    assert [t.name for t in row_a.tags] == ["Straße", "VIP Client"]
    assert [t.name for t in row_b.tags] == ["Straße", "VIP Client"]
    async with core.db.reader() as session:
        assert await session.scalar(select(func.count(Tag.id))) == 2
    again = await core.bulk.add_tags(ADMIN, [a], ["STRASSE", "vip CLIENT"])
    assert again.items[0].reason == "already has these tags"


@pytest.mark.parametrize(
    "name", ["客户-北京", "🚀 launch", "Ünïcødé", "a" * 64, "tz:Europe/Berlin", "x"]
)
def test_any_printable_unicode_up_to_64_characters_is_a_tag(name: str):
    assert clean_tag(name) == name


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("a" * 65, "limit is 64"),
        ("a,b", "comma"),
        ("bell\x07", "cannot be shown"),
        ("rtl\u202eevil", "cannot be shown"),
    ],
)
def test_bad_tags_are_refused_with_a_reason(name: str, error: str):
    with pytest.raises(InvalidInput, match=error):
        clean_tag(name)


async def test_tag_filter_and_removal(core: Services, clock: ManualClock):
    a, b = await make_accounts(core.db, clock(), 2)
    await core.bulk.add_tags(ADMIN, [a, b], ["team-1", "brand"])
    result = await core.bulk.remove_tags(ADMIN, [a, b], ["TEAM-1"])
    assert [i.done for i in result.items] == [True, True]
    await core.bulk.add_tags(ADMIN, [a], ["team-1"])
    page = await core.accounts.list_accounts(ADMIN, AccountFilter(tags=("Team-1", "brand")))
    assert [r.id for r in page.rows] == [a]
    again = await core.bulk.remove_tags(ADMIN, [b], ["team-1"])
    assert again.items[0].reason == "does not have that tag"


async def test_automatic_tags_are_marked_and_never_clobber_a_user_tag(core, clock):
    a, b = await make_accounts(core.db, clock(), 2)
    await core.bulk.add_tags(ADMIN, [b], ["EUR"])
    async with core.db.transaction() as session:
        added_a = await add_auto_tags(session, a, ["Europe/Berlin", "EUR", None], at=clock())
        added_b = await add_auto_tags(session, b, ["Europe/Berlin", "EUR", "bad,tag"], at=clock())
    assert added_a == ["Europe/Berlin", "EUR"]
    assert added_b == ["Europe/Berlin"]
    row_a, row_b = await core.accounts.get(ADMIN, a), await core.accounts.get(ADMIN, b)
    assert {(t.name, t.auto) for t in row_a.tags} == {("Europe/Berlin", True), ("EUR", True)}
    assert {(t.name, t.auto) for t in row_b.tags} == {("Europe/Berlin", True), ("EUR", False)}
    tags = await core.tags.list_tags(ADMIN)
    assert [(t.name, t.accounts) for t in tags] == [("EUR", 2), ("Europe/Berlin", 2)]
