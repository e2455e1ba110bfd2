"""Domain rules for ad accounts (DESIGN.md §1), against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.accounts import AccountFilter
from bot.bulk import BulkAction
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services import Services
from storage.db import INCLUDE_ARCHIVED
from storage.models import AdAccount, AuditEvent, ProfileAccess
from tests.factories import make_accounts, make_profile
from tests.support import ADMIN, GUEST, MEMBER, ManualClock


async def audit_rows(core: Services, action: str | None = None) -> list[AuditEvent]:
    async with core.db.reader() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list((await session.scalars(query)).all())


async def names(core: Services, flt: AccountFilter = AccountFilter()) -> list[str]:
    page = await core.accounts.list_accounts(ADMIN, flt, page_size=100)
    return [row.name for row in page.rows]


async def test_accounts_are_unique_per_provider_and_external_id(core: Services, clock: ManualClock):
    await make_accounts(core.db, clock(), 1, provider="tiktok", prefix="Same")
    await make_accounts(core.db, clock(), 1, provider="mediago", prefix="Same")
    with pytest.raises(IntegrityError):
        await make_accounts(core.db, clock(), 1, provider="tiktok", prefix="Same")


async def test_disabled_account_keeps_data_and_stays_listed_and_selectable(core, clock):
    (acc,) = await make_accounts(core.db, clock(), 1)
    result = await core.bulk.set_enabled(ADMIN, [acc], False)
    assert result.single().done
    row = await core.accounts.get(ADMIN, acc)
    assert row.enabled is False
    assert await names(core) == ["Acme 001"]
    assert await names(core, AccountFilter(enabled=False)) == ["Acme 001"]
    assert await names(core, AccountFilter(enabled=True)) == []
    assert [o.id for o in await core.accounts.options(ADMIN, "acme")] == [acc]
    await core.bulk.set_enabled(ADMIN, [acc], True)
    assert (await core.accounts.get(ADMIN, acc)).enabled is True


async def test_archived_accounts_vanish_everywhere_until_unarchived(core, clock):
    pid = await make_profile(core.db, clock())
    keep, gone = await make_accounts(core.db, clock(), 2, profile_id=pid)
    await core.bulk.add_tags(ADMIN, [keep, gone], ["client-x"])

    (await core.bulk.set_archived(ADMIN, [gone], True)).single()

    assert await names(core) == ["Acme 001"]
    assert [o.id for o in await core.accounts.options(ADMIN, "")] == [keep]
    assert [t.accounts for t in await core.tags.list_tags(ADMIN)] == [1]
    card = await core.profiles.get(ADMIN, pid)
    assert (card.accounts_using, card.accounts_reachable) == (1, 1)
    view = await core.profiles.manage_view(ADMIN, pid)
    assert [a.id for a in view.using] == [keep]
    # …but can be asked for, and nothing was deleted.
    assert await names(core, AccountFilter(status="archived")) == ["Acme 002"]
    assert await names(core, AccountFilter(status="all")) == ["Acme 001", "Acme 002"]
    assert [o.id for o in await core.accounts.options(ADMIN, "", include_archived=True)] == [
        keep,
        gone,
    ]
    async with core.db.reader() as session:
        assert (
            await session.scalar(
                select(func.count(AdAccount.id)).execution_options(**{INCLUDE_ARCHIVED: True})
            )
            == 2
        )

    (await core.bulk.set_archived(ADMIN, [gone], False)).single()
    assert await names(core) == ["Acme 001", "Acme 002"]
    assert [t.accounts for t in await core.tags.list_tags(ADMIN)] == [2]


async def test_archived_accounts_refuse_every_change_but_unarchive(core, clock):
    pid = await make_profile(core.db, clock())
    (acc,) = await make_accounts(core.db, clock(), 1, reachable_by=(pid,))
    await core.bulk.set_archived(ADMIN, [acc], True)
    before = await audit_rows(core)
    for call in (
        core.bulk.set_enabled(ADMIN, [acc], False),
        core.bulk.add_tags(ADMIN, [acc], ["x"]),
        core.bulk.change_profile(ADMIN, [acc], pid),
    ):
        result = await call
        assert result.skipped[0].reason == "archived; unarchive it first"
    assert len(await audit_rows(core)) == len(before)
    with pytest.raises(Conflict, match="already archived"):
        (await core.bulk.set_archived(ADMIN, [acc], True)).single()


async def test_reassignment_needs_access_and_the_same_provider(core, clock):
    old = await make_profile(core.db, clock(), name="Old")
    backup = await make_profile(core.db, clock(), name="Backup")
    other = await make_profile(core.db, clock(), name="MG", provider="mediago")
    (reachable,) = await make_accounts(core.db, clock(), 1, profile_id=old, reachable_by=(backup,))
    (unreachable,) = await make_accounts(core.db, clock(), 1, profile_id=old, start=2)

    result = await core.bulk.change_profile(ADMIN, [reachable, unreachable], backup)
    assert [(i.account_id, i.done) for i in result.items] == [
        (reachable, True),
        (unreachable, False),
    ]
    assert result.skipped[0].reason == "Backup has no access to this account"
    assert (await core.accounts.get(ADMIN, reachable)).profile_name == "Backup"
    assert (await core.accounts.get(ADMIN, unreachable)).profile_name == "Old"

    mixed = await core.bulk.change_profile(ADMIN, [reachable], other)
    assert "is a mediago profile" in mixed.items[0].reason
    assert await core.accounts.profiles_for(ADMIN, reachable) == [(backup, "Backup"), (old, "Old")]


async def test_lost_access_blocks_reassignment(core, clock):
    a = await make_profile(core.db, clock(), name="A")
    b = await make_profile(core.db, clock(), name="B")
    (acc,) = await make_accounts(core.db, clock(), 1, profile_id=a, reachable_by=(b,))
    async with core.db.transaction() as session:
        access = await session.get(ProfileAccess, (b, acc))
        access.lost_at = clock()
    result = await core.bulk.change_profile(ADMIN, [acc], b)
    assert not result.items[0].done
    assert await core.accounts.profiles_for(ADMIN, acc) == [(a, "A")]


async def test_invalid_profile_cannot_receive_accounts(core, clock):
    a = await make_profile(core.db, clock(), name="A")
    b = await make_profile(core.db, clock(), name="B", status="invalid")
    (acc,) = await make_accounts(core.db, clock(), 1, profile_id=a, reachable_by=(b,))
    with pytest.raises(Conflict, match="invalid"):
        await core.bulk.change_profile(ADMIN, [acc], b)
    assert (await core.accounts.get(ADMIN, acc)).profile_id == a
    assert await audit_rows(core, "account.profile") == []


async def test_bulk_reports_each_account_and_skips_do_not_disturb_others(core, clock):
    ids = await make_accounts(core.db, clock(), 3)
    await core.bulk.set_enabled(ADMIN, [ids[1]], False)
    result = await core.bulk.apply(ADMIN, BulkAction.DISABLE, [*ids, 999_999])
    assert [(i.done, i.reason) for i in result.items] == [
        (True, None),
        (False, "already OFF"),
        (True, None),
        (False, "no such ad account"),
    ]
    rows = await audit_rows(core, "account.disable")
    bulk_rows = [r for r in rows if r.bulk_id == result.bulk_id]
    assert len(bulk_rows) == 2
    assert {r.target_id for r in bulk_rows} == {str(ids[0]), str(ids[2])}
    assert all(r.before == {"enabled": True} and r.after == {"enabled": False} for r in bulk_rows)
    assert all(r.actor_id == ADMIN.id and r.source == "command" for r in bulk_rows)


async def test_a_failed_bulk_call_changes_nothing(core, clock):
    ids = await make_accounts(core.db, clock(), 2)
    with pytest.raises(InvalidInput):
        await core.bulk.add_tags(ADMIN, ids, ["ok", "x" * 65])
    nothing = await core.bulk.remove_tags(ADMIN, ids, ["never-created"])  # skipped, said so
    assert not nothing.done and nothing.notes == ("No tag named 'never-created'; it was skipped.",)
    with pytest.raises(NotFound):
        await core.bulk.change_profile(ADMIN, ids, 4242)
    with pytest.raises(InvalidInput):
        await core.bulk.set_enabled(ADMIN, [], False)
    assert await audit_rows(core) == []
    assert all(
        not row.tags for row in (await core.accounts.list_accounts(ADMIN, AccountFilter())).rows
    )


async def test_members_can_look_but_not_change_and_guests_cannot_look(core, clock):
    (acc,) = await make_accounts(core.db, clock(), 1)
    assert (await core.accounts.list_accounts(MEMBER, AccountFilter())).total == 1
    for call in (
        core.bulk.set_enabled(MEMBER, [acc], False),
        core.bulk.set_archived(MEMBER, [acc], True),
        core.bulk.add_tags(MEMBER, [acc], ["x"]),
    ):
        with pytest.raises(PermissionDenied):
            await call
    with pytest.raises(PermissionDenied):
        await core.accounts.list_accounts(GUEST, AccountFilter())
    row = await core.accounts.get(ADMIN, acc)
    assert (row.enabled, row.archived, row.tags) == (True, False, ())
    assert await audit_rows(core) == []


async def test_listing_filters_combine_and_page(core, clock):
    tt = await make_profile(core.db, clock(), name="TT main")
    mg = await make_profile(core.db, clock(), name="MG main", provider="mediago")
    tik = await make_accounts(core.db, clock(), 25, profile_id=tt, prefix="Shop")
    await make_accounts(core.db, clock(), 5, provider="mediago", profile_id=mg, prefix="News")
    await core.bulk.add_tags(ADMIN, tik[:3], ["Client Ünïcode 🚀"])
    await core.bulk.set_enabled(ADMIN, [tik[0]], False)

    page = await core.accounts.list_accounts(ADMIN, AccountFilter(provider="tiktok"), page=3)
    assert (page.total, page.pages, page.page, len(page.rows)) == (25, 3, 3, 5)
    assert (await core.accounts.list_accounts(ADMIN, AccountFilter(), page=99)).page == 3
    assert await names(core, AccountFilter(tags=("client ünïcode 🚀",), enabled=True)) == [
        "Shop 002",
        "Shop 003",
    ]
    assert await names(core, AccountFilter(profile="mg MAIN", text="news 00")) == [
        f"News {n:03d}" for n in range(1, 6)
    ]
    assert len(await names(core, AccountFilter(text="shop-1"))) == 11  # ids 1 and 10-19
    assert await names(core, AccountFilter(text="tiktok-shop-12")) == ["Shop 012"]
    assert await names(core, AccountFilter(text="%")) == []
    with pytest.raises(NotFound, match="No tag"):
        await names(core, AccountFilter(tags=("nope",)))
    with pytest.raises(NotFound, match="No profile"):
        await names(core, AccountFilter(profile="nope"))
    with pytest.raises(NotFound, match="No provider"):
        await names(core, AccountFilter(provider="facebook"))


async def test_option_search_caps_at_100_and_matches_name_or_id(core, clock):
    await make_accounts(core.db, clock(), 130)
    assert len(await core.accounts.options(ADMIN, "")) == 100
    assert [o.label for o in await core.accounts.options(ADMIN, "ACME 12")] == [
        f"Acme {n} (tiktok-acme-{n})" for n in range(120, 130)
    ]
    assert [o.label for o in await core.accounts.options(ADMIN, "tiktok-acme-7")] == [
        "Acme 007 (tiktok-acme-7)",
        *[f"Acme {n:03d} (tiktok-acme-{n})" for n in range(70, 80)],
    ]


async def test_resolve_by_external_id_or_exact_name(core, clock):
    (acc,) = await make_accounts(core.db, clock(), 1, prefix="Zeta")
    assert (await core.accounts.resolve(ADMIN, "tiktok-zeta-1")).id == acc
    assert (await core.accounts.resolve(ADMIN, "zeta 001")).id == acc
    with pytest.raises(NotFound):
        await core.accounts.resolve(ADMIN, "zeta")
