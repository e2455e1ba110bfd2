"""Domain rules for profiles (DESIGN.md §1), against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services import Services
from storage.models import AuditEvent, Profile
from tests.factories import make_accounts, make_profile
from tests.support import ADMIN, MEMBER, ManualClock


async def test_oauth_profile_gets_a_default_name_and_stores_the_token(core: Services):
    first = await core.profiles.create(ADMIN, "tiktok", secret="tok-aaaaaaaaaaaaaaaa")
    second = await core.profiles.create(ADMIN, "tiktok", secret="tok-bbbbbbbbbbbbbbbb")
    assert (first.name, second.name) == ("TikTok 1", "TikTok 2")
    assert first.active and first.key_hint is None
    async with core.db.reader() as session:
        stored = await session.get(Profile, first.id)
        assert stored.secret.reveal() == "tok-aaaaaaaaaaaaaaaa"


async def test_mediago_profile_keeps_key_and_secret_and_shows_only_a_hint(core: Services):
    card = await core.profiles.create(
        ADMIN, "mediago", name="Client A", key="key-123456789012", secret="s3cr3t-value-xyz"
    )
    assert card.key_hint == "••••9012"
    with pytest.raises(InvalidInput, match="take no API key"):
        await core.profiles.create(ADMIN, "tiktok", key="k-1234567890", secret="t-1234567890")


async def test_profile_names_are_unique_per_provider_case_insensitively(core: Services):
    await core.profiles.create(ADMIN, "mediago", name="Main", key="k", secret="s-1")
    with pytest.raises(Conflict):
        await core.profiles.create(ADMIN, "mediago", name="  mAIN ", key="k", secret="s-2")
    other = await core.profiles.create(ADMIN, "tiktok", name="Main", secret="t-1")
    assert other.name == "Main"


async def test_reauthentication_replaces_the_token_in_place(core: Services, clock: ManualClock):
    card = await core.profiles.create(ADMIN, "tiktok", name="Login", secret="old-token-000000")
    ids = await make_accounts(core.db, clock(), 2, profile_id=card.id)
    await core.bulk.add_tags(ADMIN, ids, ["brand"])
    assert await core.profiles.mark_invalid(ADMIN, card.id, "token revoked (40105)")
    clock.advance(hours=2)

    fixed = await core.profiles.update_credentials(
        ADMIN, card.id, provider="tiktok", secret="new-token-111111"
    )

    assert (fixed.id, fixed.name, fixed.status, fixed.status_reason) == (
        card.id,
        "Login",
        "active",
        None,
    )
    assert fixed.accounts_using == 2
    rows = [await core.accounts.get(ADMIN, i) for i in ids]
    assert all(r.profile_id == card.id and [t.name for t in r.tags] == ["brand"] for r in rows)
    async with core.db.reader() as session:
        assert (await session.get(Profile, card.id)).secret.reveal() == "new-token-111111"
    with pytest.raises(Conflict, match="TikTok profile"):
        await core.profiles.update_credentials(ADMIN, card.id, provider="mediago", secret="x")


async def test_invalid_status_records_reason_and_first_time_once(
    core: Services, clock: ManualClock
):
    card = await core.profiles.create(ADMIN, "tiktok", secret="tok-1234567890")
    first_seen = clock()
    assert await core.profiles.mark_invalid(ADMIN, card.id, "revoked") is True
    clock.advance(minutes=15)
    assert await core.profiles.mark_invalid(ADMIN, card.id, "still revoked") is False
    card = await core.profiles.get(ADMIN, card.id)
    assert (card.status, card.status_reason, card.invalid_since) == (
        "invalid",
        "revoked",
        first_seen,
    )
    assert await core.profiles.mark_active(ADMIN, card.id) is True
    assert (await core.profiles.get(ADMIN, card.id)).invalid_since is None


async def test_profile_can_be_removed_only_when_no_account_uses_it(core, clock):
    used = await make_profile(core.db, clock(), name="Used")
    spare = await make_profile(core.db, clock(), name="Spare")
    (acc,) = await make_accounts(core.db, clock(), 1, profile_id=used, reachable_by=(spare,))
    await core.bulk.set_archived(ADMIN, [acc], True)
    with pytest.raises(Conflict, match="archived ones count too"):
        await core.profiles.remove(ADMIN, used)
    await core.profiles.remove(ADMIN, spare)
    with pytest.raises(NotFound):
        await core.profiles.get(ADMIN, spare)
    assert (await core.accounts.get(ADMIN, acc)).profile_id == used


async def test_manage_view_has_two_sections_and_saving_moves_accounts(core, clock):
    mine = await make_profile(core.db, clock(), name="Mine")
    theirs = await make_profile(core.db, clock(), name="Theirs")
    using = await make_accounts(core.db, clock(), 2, profile_id=mine, prefix="Using")
    other = await make_accounts(
        core.db, clock(), 2, profile_id=theirs, reachable_by=(mine,), prefix="Other"
    )
    orphan = await make_accounts(core.db, clock(), 1, reachable_by=(mine,), prefix="Orphan")
    await make_accounts(core.db, clock(), 1, profile_id=theirs, prefix="Unreachable")

    view = await core.profiles.manage_view(ADMIN, mine)
    assert [(a.id, a.current_profile) for a in view.available] == [
        (orphan[0], None),
        (other[0], "Theirs"),
        (other[1], "Theirs"),
    ]
    assert [a.id for a in view.using] == using
    assert (view.available_total, view.using_total) == (3, 2)

    await core.bulk.change_profile(ADMIN, [other[0], orphan[0]], mine)
    view = await core.profiles.manage_view(ADMIN, mine)
    assert [a.id for a in view.available] == [other[1]]
    assert view.using_total == 4


async def test_profile_changes_are_audited_without_secrets(core: Services):
    card = await core.profiles.create(ADMIN, "mediago", name="A", key="key-1", secret="sek-abc-1")
    await core.profiles.update_credentials(
        ADMIN, card.id, provider="mediago", key="key-2", secret="sek-abc-2"
    )
    await core.profiles.rename(ADMIN, card.id, "B")
    async with core.db.reader() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert [r.action for r in rows] == ["profile.create", "profile.credentials", "profile.rename"]
    assert rows[1].after == {"status": "active", "credentials": "updated"}
    assert rows[2].before == {"name": "A"} and rows[2].after == {"name": "B"}
    text = repr([(r.before, r.after, r.target_label) for r in rows])
    assert "sek-abc" not in text and "key-" not in text


async def test_members_cannot_change_profiles(core: Services):
    card = await core.profiles.create(ADMIN, "tiktok", secret="tok-1234567890")
    for call in (
        core.profiles.rename(MEMBER, card.id, "X"),
        core.profiles.remove(MEMBER, card.id),
        core.profiles.create(MEMBER, "tiktok", secret="tok-0987654321"),
        core.profiles.update_credentials(MEMBER, card.id, provider="tiktok", secret="t-1"),
    ):
        with pytest.raises(PermissionDenied):
            await call
    assert [p.name for p in await core.profiles.list_profiles(MEMBER)] == ["TikTok 1"]


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "cannot be empty"), ("a" * 81, "limit is 80"), ("bad\u202ename", "cannot be shown")],
)
async def test_bad_profile_names_are_refused(core: Services, name: str, error: str):
    with pytest.raises(InvalidInput, match=error):
        await core.profiles.create(ADMIN, "tiktok", name=name, secret="tok-1234567890")
    assert await core.profiles.list_profiles(ADMIN) == []


async def test_resolve_profile_by_name_or_number(core: Services):
    card = await core.profiles.create(ADMIN, "tiktok", name="Main", secret="tok-1234567890")
    assert (await core.profiles.resolve(ADMIN, "main")).id == card.id
    assert (await core.profiles.resolve(ADMIN, f"#{card.id}")).id == card.id
    await core.profiles.create(ADMIN, "mediago", name="Main", key="k", secret="s-1")
    with pytest.raises(InvalidInput, match="several providers"):
        await core.profiles.resolve(ADMIN, "Main")
    assert (await core.profiles.resolve(ADMIN, "Main", provider="mediago")).provider == "mediago"
