"""MediaGo session tokens shared through the database by every replica, encrypted at rest."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.services import Services
from bot.sync import SyncEngine
from bot.token_cache import DatabaseTokenCache
from fakes.mediago import FakeMediaGo, as_basic
from providers.http import RetryPolicy
from providers.mediago import MediaGoConfig, MediaGoProvider
from tests.support import ADMIN, ManualClock

FAST = RetryPolicy(attempts=2, total=2, base=0.01, cap=0.02)


def replica(
    core: Services, clock: ManualClock, fake: FakeMediaGo
) -> tuple[SyncEngine, MediaGoProvider]:
    provider = MediaGoProvider(
        MediaGoConfig.from_env(fake.env()),
        retry=FAST,
        now=clock,
        token_cache=DatabaseTokenCache(core.db),
    )
    return SyncEngine(core.db, clock, {"mediago": provider}, core.profiles), provider


async def test_replicas_share_one_live_token_instead_of_revoking_each_other(
    core: Services, clock: ManualClock, fake_mediago: FakeMediaGo
):
    secret = as_basic("shared-api-token")
    issued = fake_mediago.add_credentials(secret, accounts=2)
    card = await core.profiles.create(ADMIN, "mediago", name="Shared", secret=secret)
    (a, provider_a), (b, provider_b) = (
        replica(core, clock, fake_mediago),
        replica(core, clock, fake_mediago),
    )
    try:
        first = await a.sync_profile(ADMIN, card.id)
        assert first.outcome == "ok" and first.found == 2
        assert issued.issued == 1
        # The other replica finds the live token in the row and does not renew it.
        second = await b.sync_profile(ADMIN, card.id)
        assert second.outcome == "ok" and issued.issued == 1
        # When the token does die, one renewal serves both replicas afterwards.
        fake_mediago.expire_live_tokens()
        await asyncio.gather(a.sync_profile(ADMIN, card.id), b.sync_profile(ADMIN, card.id))
        assert issued.issued in (2, 3)  # each may renew once; neither loops
        renewed = issued.issued
        await a.sync_profile(ADMIN, card.id)
        await b.sync_profile(ADMIN, card.id)
        assert issued.issued == renewed
    finally:
        await provider_a.close()
        await provider_b.close()


async def test_the_session_token_is_encrypted_in_the_row(
    core: Services, clock: ManualClock, fake_mediago: FakeMediaGo
):
    secret = as_basic("another-api-token")
    fake_mediago.add_credentials(secret, accounts=1)
    card = await core.profiles.create(ADMIN, "mediago", name="Enc", secret=secret)
    engine, provider = replica(core, clock, fake_mediago)
    try:
        await engine.sync_profile(ADMIN, card.id)
    finally:
        await provider.close()
    live = fake_mediago.tokens[secret].live
    assert live is not None
    async with core.db.reader() as session:
        raw = (
            await session.execute(
                text("SELECT session_token FROM profiles WHERE id = :id"), {"id": card.id}
            )
        ).scalar_one()
    assert raw and live not in raw
    assert (await DatabaseTokenCache(core.db).get(str(card.id)))[0] == live
