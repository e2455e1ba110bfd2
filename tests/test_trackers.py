"""Tracker rules: integration defaults, per-account overrides, and the effective link."""

from __future__ import annotations

import pytest

from bot.bulk import BulkAction
from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.services import Services
from bot.trackers import TrackerSettings
from tests.factories import make_accounts
from tests.support import ADMIN, MEMBER, ManualClock


async def test_effective_link_follows_default_then_override(core: Services, clock: ManualClock):
    voluum = await core.trackers.create(
        ADMIN, name="Voluum EU", kind="Voluum", template="?cid={{campaign.id}}"
    )
    binom = await core.trackers.create(ADMIN, name="Binom", kind="binom", template="?b={{ad.id}}")
    a, b = await make_accounts(core.db, clock(), 2)
    (mg,) = await make_accounts(core.db, clock(), 1, provider="mediago")

    row = await core.accounts.get(ADMIN, a)
    assert (row.tracker.state, row.tracker.tracker_source) == ("none", "none")

    await core.trackers.set_integration_default(ADMIN, "tiktok", voluum)
    row = await core.accounts.get(ADMIN, a)
    assert (row.tracker.tracker_name, row.tracker.template, row.tracker.tracker_source) == (
        "Voluum EU",
        "?cid={{campaign.id}}",
        "default",
    )
    assert (await core.accounts.get(ADMIN, mg)).tracker.state == "none"

    await core.bulk.set_tracker(ADMIN, [a], TrackerSettings(tracker_id=binom))
    await core.bulk.set_tracker(ADMIN, [b], TrackerSettings(paused=True, template="?own=1"))
    row_a, row_b = await core.accounts.get(ADMIN, a), await core.accounts.get(ADMIN, b)
    assert (row_a.tracker.tracker_name, row_a.tracker.template, row_a.tracker.state) == (
        "Binom",
        "?b={{ad.id}}",
        "active",
    )
    assert (row_b.tracker.tracker_name, row_b.tracker.template, row_b.tracker.state) == (
        "Voluum EU",
        "?own=1",
        "paused",
    )
    assert row_b.tracker.template_overridden and row_b.tracker.tracker_source == "default"

    # Back to the default: the override disappears and the default shows through again.
    await core.bulk.set_tracker(
        ADMIN, [b], TrackerSettings(tracker_id=None, paused=False, template=None)
    )
    row_b = await core.accounts.get(ADMIN, b)
    assert (row_b.tracker.template, row_b.tracker.state) == ("?cid={{campaign.id}}", "active")
    again = await core.bulk.set_tracker(ADMIN, [b], TrackerSettings(paused=False))
    assert again.items[0].reason == "tracker settings unchanged"


async def test_bulk_tracker_change_and_trackers_in_use_cannot_be_deleted(core, clock):
    tracker = await core.trackers.create(ADMIN, name="RT", kind="redtrack", template="?r=1")
    ids = await make_accounts(core.db, clock(), 3)
    result = await core.bulk.apply(
        ADMIN, BulkAction.SET_TRACKER, ids, tracker=TrackerSettings(tracker_id=tracker)
    )
    assert len(result.done) == 3
    with pytest.raises(Conflict, match="3 account"):
        await core.trackers.delete(ADMIN, tracker)
    await core.bulk.set_tracker(ADMIN, ids, TrackerSettings(tracker_id=None))
    await core.trackers.set_integration_default(ADMIN, "mediago", tracker)
    with pytest.raises(Conflict, match="default tracker for mediago"):
        await core.trackers.delete(ADMIN, tracker)
    await core.trackers.set_integration_default(ADMIN, "mediago", None)
    await core.trackers.delete(ADMIN, tracker)
    assert await core.trackers.list_trackers(ADMIN) == []


async def test_tracker_input_is_validated_and_names_are_unique(core: Services):
    await core.trackers.create(ADMIN, name="Voluum", kind="voluum", template="?a=1")
    with pytest.raises(Conflict):
        await core.trackers.create(ADMIN, name="VOLUUM", kind="voluum", template="?a=1")
    with pytest.raises(InvalidInput, match="Tracker type"):
        await core.trackers.create(ADMIN, name="X", kind="facebook", template="?a=1")
    with pytest.raises(InvalidInput, match="limit is 2000"):
        await core.trackers.create(ADMIN, name="Y", kind="other", template="?" + "a" * 2000)
    with pytest.raises(PermissionDenied):
        await core.trackers.create(MEMBER, name="Z", kind="other", template="?a=1")
    assert [t.name for t in await core.trackers.list_trackers(MEMBER)] == ["Voluum"]


async def test_integration_defaults_listed_per_provider(core: Services):
    tracker = await core.trackers.create(ADMIN, name="CF", kind="clickflare", template="?c=1")
    await core.trackers.set_integration_default(ADMIN, "mediago", tracker)
    defaults = await core.trackers.integration_defaults(ADMIN)
    assert defaults["tiktok"] is None
    assert defaults["mediago"].name == "CF" and defaults["mediago"].default_for == ("mediago",)
