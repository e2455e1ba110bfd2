"""Every change to ad accounts, one account or thousands.

Single-account changes are one-item bulk operations, so the rules (archived accounts are left
alone, reassignment needs access, ...) live in one place. A bulk operation decides each account
on its own, records a per-account result, and writes all accepted changes and their audit rows in
one transaction: a refused item never disturbs the others, and a failure changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.bulk_results import (
    BulkAction,
    BulkResult,
    ItemResult,
    Mutation,
    Outcome,
    chunks,
)
from bot.bulk_trackers import tracker_mutation
from bot.clock import Clock
from bot.errors import Conflict, InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.tags import clean_tags, ensure_tags, known_tags
from bot.trackers import TrackerSettings, clean_template
from bot.tracking_templates import PROVIDER_MACROS
from storage.db import INCLUDE_ARCHIVED, Database
from storage.models import (
    AccountTag,
    AdAccount,
    Profile,
    ProfileAccess,
    ProfileStatus,
    Tag,
    TagSource,
    fold,
)

MAX_BULK = 10_000


class BulkService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def apply(
        self,
        actor: Actor,
        action: BulkAction,
        account_ids: Sequence[int],
        *,
        tags: Sequence[str] = (),
        profile_id: int | None = None,
        tracker: TrackerSettings | None = None,
    ) -> BulkResult:
        match action:
            case BulkAction.ENABLE | BulkAction.DISABLE:
                return await self.set_enabled(actor, account_ids, action == BulkAction.ENABLE)
            case BulkAction.ARCHIVE | BulkAction.UNARCHIVE:
                return await self.set_archived(actor, account_ids, action == BulkAction.ARCHIVE)
            case BulkAction.ADD_TAGS:
                return await self.add_tags(actor, account_ids, tags)
            case BulkAction.REMOVE_TAGS:
                return await self.remove_tags(actor, account_ids, tags)
            case BulkAction.CHANGE_PROFILE:
                if profile_id is None:
                    raise InvalidInput(
                        "Choose the profile to move the accounts to.", field="profile"
                    )
                return await self.change_profile(actor, account_ids, profile_id)
            case BulkAction.SET_TRACKER:
                if tracker is None:
                    raise InvalidInput(
                        "Choose what to change in the tracker link.", field="tracker"
                    )
                return await self.set_tracker(actor, account_ids, tracker)
        raise InvalidInput(f"Unknown bulk action {action!r}.")

    async def set_enabled(
        self, actor: Actor, account_ids: Sequence[int], enabled: bool
    ) -> BulkResult:
        action = BulkAction.ENABLE if enabled else BulkAction.DISABLE

        async def mutate(
            _s: AsyncSession, accounts: list[AdAccount], out: Outcome, now: datetime
        ) -> None:
            for account in accounts:
                if account.archived:
                    out.skip(account, "archived; unarchive it first")
                elif account.enabled == enabled:
                    out.skip(account, f"already {'ON' if enabled else 'OFF'}")
                else:
                    account.enabled = enabled
                    account.updated_at = now
                    out.done(
                        account, f"account.{action}", {"enabled": not enabled}, {"enabled": enabled}
                    )

        return await self._mutate(actor, action, account_ids, mutate)

    async def set_archived(
        self, actor: Actor, account_ids: Sequence[int], archived: bool
    ) -> BulkResult:
        action = BulkAction.ARCHIVE if archived else BulkAction.UNARCHIVE

        async def mutate(
            _s: AsyncSession, accounts: list[AdAccount], out: Outcome, now: datetime
        ) -> None:
            for account in accounts:
                if account.archived == archived:
                    out.skip(account, "already archived" if archived else "not archived")
                else:
                    account.archived = archived
                    account.archived_at = now if archived else None
                    account.updated_at = now
                    out.done(
                        account,
                        f"account.{action}",
                        {"archived": not archived},
                        {"archived": archived},
                    )

        return await self._mutate(actor, action, account_ids, mutate)

    async def add_tags(
        self, actor: Actor, account_ids: Sequence[int], names: Sequence[str]
    ) -> BulkResult:
        wanted = clean_tags(names, field="tags")

        async def mutate(
            session: AsyncSession, accounts: list[AdAccount], out: Outcome, now: datetime
        ) -> None:
            live = [a for a in accounts if not a.archived]
            for account in accounts:
                if account.archived:
                    out.skip(account, "archived; unarchive it first")
            if not live:
                return
            tags = await ensure_tags(session, wanted, at=now)
            current = await _tag_names(session, [a.id for a in live])
            have = await _tag_links(session, [a.id for a in live])
            rows = []
            for account in live:
                new = [t for t in tags if (account.id, t.id) not in have]
                if not new:
                    out.skip(
                        account, "already has " + ("that tag" if len(tags) == 1 else "these tags")
                    )
                    continue
                rows += [
                    {
                        "account_id": account.id,
                        "tag_id": t.id,
                        "source": TagSource.USER,
                        "added_at": now,
                        "added_by": actor.id[:32],
                    }
                    for t in new
                ]
                before = current.get(account.id, [])
                out.done(
                    account,
                    "account.tags.add",
                    {"tags": before},
                    {"tags": before + [t.name for t in new]},
                )
            if rows:
                await session.execute(insert(AccountTag), rows)

        return await self._mutate(actor, BulkAction.ADD_TAGS, account_ids, mutate)

    async def remove_tags(
        self, actor: Actor, account_ids: Sequence[int], names: Sequence[str]
    ) -> BulkResult:
        """A name no tag has is skipped, and said so in the result, rather than failing the
        whole operation: the tags that do exist still come off."""
        wanted = clean_tags(names, field="tags")

        async def mutate(
            session: AsyncSession, accounts: list[AdAccount], out: Outcome, _now: datetime
        ) -> None:
            tags, missing = await known_tags(session, wanted)
            if missing:
                out.notes.append(
                    f"No tag named {', '.join(repr(m) for m in missing)}; "
                    + ("it was" if len(missing) == 1 else "they were")
                    + " skipped."
                )
            tag_ids = {t.id for t in tags}
            live = [a for a in accounts if not a.archived]
            current = await _tag_names(session, [a.id for a in live])
            have = await _tag_links(session, [a.id for a in live])
            for account in accounts:
                gone = [t for t in tags if (account.id, t.id) in have]
                if account.archived:
                    out.skip(account, "archived; unarchive it first")
                elif not tags:
                    out.skip(account, "no such tag")
                elif not gone:
                    out.skip(
                        account, "does not have " + ("that tag" if len(tags) == 1 else "these tags")
                    )
                else:
                    before = current.get(account.id, [])
                    removed = {t.name_key for t in gone}
                    after = [n for n in before if fold(n) not in removed]
                    out.done(account, "account.tags.remove", {"tags": before}, {"tags": after})
            for chunk in chunks([i for i, r in out.results.items() if r.done]):
                await session.execute(
                    delete(AccountTag).where(
                        AccountTag.account_id.in_(chunk), AccountTag.tag_id.in_(tag_ids)
                    )
                )

        return await self._mutate(actor, BulkAction.REMOVE_TAGS, account_ids, mutate)

    async def change_profile(
        self, actor: Actor, account_ids: Sequence[int], profile_id: int
    ) -> BulkResult:
        async def mutate(
            session: AsyncSession, accounts: list[AdAccount], out: Outcome, now: datetime
        ) -> None:
            profile = await session.get(Profile, profile_id)
            if profile is None:
                raise NotFound("That profile no longer exists.", field="profile")
            if profile.status != ProfileStatus.ACTIVE:
                raise Conflict(
                    f"Profile {profile.name} is invalid ({profile.status_reason or 'no reason'}); "
                    "fix its credentials before moving accounts to it.",
                    field="profile",
                )
            reachable: set[int] = set()
            for chunk in chunks([a.id for a in accounts]):
                reachable.update(
                    (
                        await session.scalars(
                            select(ProfileAccess.account_id).where(
                                ProfileAccess.profile_id == profile_id,
                                ProfileAccess.lost_at.is_(None),
                                ProfileAccess.account_id.in_(chunk),
                            )
                        )
                    ).all()
                )
            old_ids = {a.profile_id for a in accounts if a.profile_id is not None}
            names = dict(
                (
                    await session.execute(
                        select(Profile.id, Profile.name).where(Profile.id.in_(old_ids))
                    )
                ).all()
            )
            for account in accounts:
                if account.archived:
                    out.skip(account, "archived; unarchive it first")
                elif account.provider != profile.provider:
                    out.skip(
                        account,
                        f"{profile.name} is a {profile.provider} profile, "
                        f"this is a {account.provider} account",
                    )
                elif account.profile_id == profile_id:
                    out.skip(account, f"already uses {profile.name}")
                elif account.id not in reachable:
                    out.skip(account, f"{profile.name} has no access to this account")
                else:
                    before = {
                        "profile_id": account.profile_id,
                        "profile": names.get(account.profile_id),
                    }
                    account.profile_id = profile_id
                    account.access_lost_at = None
                    account.access_lost_reason = None
                    account.updated_at = now
                    out.done(
                        account,
                        "account.profile",
                        before,
                        {"profile_id": profile_id, "profile": profile.name},
                    )

        return await self._mutate(actor, BulkAction.CHANGE_PROFILE, account_ids, mutate)

    async def set_tracker(
        self, actor: Actor, account_ids: Sequence[int], settings: TrackerSettings
    ) -> BulkResult:
        """An account's own template may hold only its network's macros; one that holds
        another's is skipped, with the macros it may use."""
        template = settings.template
        if isinstance(template, str):
            template = clean_template(template, tuple(PROVIDER_MACROS), field="template")

        mutate = tracker_mutation(replace(settings, template=template))
        return await self._mutate(actor, BulkAction.SET_TRACKER, account_ids, mutate)

    async def _mutate(
        self, actor: Actor, action: BulkAction, account_ids: Sequence[int], mutate: Mutation
    ) -> BulkResult:
        actor.require(Permission.MANAGE)
        ids = list(dict.fromkeys(int(i) for i in account_ids))
        if not ids:
            raise InvalidInput("Choose at least one ad account.", field="accounts")
        if len(ids) > MAX_BULK:
            raise InvalidInput(f"At most {MAX_BULK} accounts in one operation.", field="accounts")
        now = self._clock()
        out = Outcome()
        async with self._db.transaction() as session:
            accounts: dict[int, AdAccount] = {}
            for chunk in chunks(ids):
                found = await session.scalars(
                    select(AdAccount)
                    .where(AdAccount.id.in_(chunk))
                    .execution_options(**{INCLUDE_ARCHIVED: True})
                    .with_for_update()
                )
                accounts.update((a.id, a) for a in found)
            for missing in (i for i in ids if i not in accounts):
                out.results[missing] = ItemResult(
                    missing, f"account #{missing}", False, "no such ad account"
                )
            await mutate(session, [accounts[i] for i in ids if i in accounts], out, now)
            bulk_id = audit.new_bulk_id() if len(ids) > 1 and out.changes else None
            await audit.record(session, actor, out.changes, at=now, bulk_id=bulk_id)
        return BulkResult(
            action=action,
            bulk_id=bulk_id,
            items=tuple(out.results[i] for i in ids),
            notes=tuple(out.notes),
        )


async def _tag_links(session: AsyncSession, account_ids: Sequence[int]) -> set[tuple[int, int]]:
    links: set[tuple[int, int]] = set()
    for chunk in chunks(account_ids):
        rows = await session.execute(
            select(AccountTag.account_id, AccountTag.tag_id).where(AccountTag.account_id.in_(chunk))
        )
        links.update((a, t) for a, t in rows)
    return links


async def _tag_names(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(account_ids):
        rows = await session.execute(
            select(AccountTag.account_id, Tag.name)
            .join(Tag, Tag.id == AccountTag.tag_id)
            .where(AccountTag.account_id.in_(chunk))
            .order_by(Tag.name_key)
        )
        for account_id, name in rows:
            names[account_id].append(name)
    return names
