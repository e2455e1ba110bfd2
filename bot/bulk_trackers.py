"""Bulk tracker settings: the per-account overrides of an integration's default tracker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bulk_results import Mutation, Outcome, chunks
from bot.errors import InvalidInput, NotFound
from bot.trackers import KEEP, TrackerSettings, override_snapshot
from bot.tracking_templates import check_template
from storage.models import AccountTrackerOverride, AdAccount, Tracker


def tracker_mutation(settings: TrackerSettings) -> Mutation:
    """Apply `settings` (its template already cleaned) to each account's override."""
    template = settings.template

    async def mutate(
        session: AsyncSession, accounts: list[AdAccount], out: Outcome, now: datetime
    ) -> None:
        if (
            isinstance(settings.tracker_id, int)
            and await session.get(Tracker, settings.tracker_id) is None
        ):
            raise NotFound("That tracker no longer exists.", field="tracker")
        overrides: dict[int, AccountTrackerOverride] = {}
        for chunk in chunks([a.id for a in accounts]):
            for o in (
                await session.scalars(
                    select(AccountTrackerOverride).where(
                        AccountTrackerOverride.account_id.in_(chunk)
                    )
                )
            ).all():
                overrides[o.account_id] = o
        for account in accounts:
            if account.archived:
                out.skip(account, "archived; unarchive it first")
                continue
            if isinstance(template, str):
                try:
                    check_template(template, (account.provider,))
                except InvalidInput as exc:
                    out.skip(account, exc.message)
                    continue
            current = overrides.get(account.id)
            before = override_snapshot(current)
            after = {
                "tracker_id": before["tracker_id"]
                if settings.tracker_id is KEEP
                else settings.tracker_id,
                "paused": before["paused"] if settings.paused is KEEP else settings.paused,
                "template": before["template"] if template is KEEP else template,
            }
            if after == before:
                out.skip(account, "tracker settings unchanged")
                continue
            if after == override_snapshot(None):
                await session.delete(current)
            elif current is None:
                session.add(
                    AccountTrackerOverride(
                        account_id=account.id,
                        tracker_id=after["tracker_id"],
                        paused=after["paused"],
                        tracking_template=after["template"],
                        updated_at=now,
                    )
                )
            else:
                current.tracker_id = after["tracker_id"]
                current.paused = bool(after["paused"])
                current.tracking_template = after["template"]
                current.updated_at = now
            out.done(account, "account.tracker", before, after)

    return mutate
