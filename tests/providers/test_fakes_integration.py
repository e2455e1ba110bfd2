"""The provider clients against the local fake servers, end to end."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fakes._server import Fault
from fakes.mediago import FakeMediaGo, as_basic
from fakes.tiktok import FakeTikTok
from providers.base import Credentials, CredentialsInvalid, ProviderUnavailable, RateLimited
from providers.http import RetryPolicy
from providers.mediago import MediaGoConfig, MediaGoProvider
from providers.tiktok import TikTokConfig, TikTokProvider

FAST = RetryPolicy(attempts=3, total=3, base=0.01, cap=0.05)


def tiktok_for(fake: FakeTikTok, rate: float | None = None) -> TikTokProvider:
    config = TikTokConfig.from_env(
        {**fake.env(), "TIKTOK_RATE_LIMIT": str(rate or fake.rate_limit)}
    )
    return TikTokProvider(config, retry=FAST)


async def test_full_oauth_round_trip_then_revocation_and_new_grants(fake_tiktok: FakeTikTok):
    provider = tiktok_for(fake_tiktok)
    url = provider.authorization_url(state="state-123", redirect_uri="http://127.0.0.1:1/cb")
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as consent:
        assert consent.status == 302
        back = consent.headers["Location"]
    assert back.startswith("http://127.0.0.1:1/cb?") and "state=state-123" in back
    code = back.split("auth_code=")[1].split("&")[0]
    credentials = await provider.exchange_code(code=code, redirect_uri="http://127.0.0.1:1/cb")
    proof = await provider.validate(credentials)  # one call: ids and names, no details
    assert [a.name for a in proof.accounts] == ["Shop 001", "Shop 002", "Shop 003"]
    assert {a.timezone for a in proof.accounts} == {None}
    listing = await provider.list_accounts(credentials)
    assert {a.timezone for a in listing.accounts} == {"Europe/Berlin"}

    fake_tiktok.grant("alice", name="Late arrival")
    assert len((await provider.list_accounts(credentials)).accounts) == 4

    fake_tiktok.revoke(credentials.secret)
    with pytest.raises(CredentialsInvalid, match="40105"):
        await provider.list_accounts(credentials)
    with pytest.raises(CredentialsInvalid):
        await provider.exchange_code(code=code, redirect_uri="x")  # codes work once
    await provider.close()


async def test_limiter_keeps_a_burst_under_the_apps_limit(fake_tiktok: FakeTikTok):
    fake_tiktok.rate_limit = 100
    provider = tiktok_for(fake_tiktok, rate=100)
    token = fake_tiktok.issue_token("alice")
    results = await asyncio.gather(
        *(
            provider.list_accounts(
                Credentials(secret=token), skip_details=set(fake_tiktok.advertisers)
            )
            for _ in range(200)
        )
    )
    assert all(len(r.accounts) == 3 for r in results)
    assert fake_tiktok.rate_limited == 0
    await provider.close()


async def test_faults_are_transient_and_retried(fake_tiktok: FakeTikTok):
    provider = tiktok_for(fake_tiktok)
    token = fake_tiktok.issue_token("alice")
    fake_tiktok.fail_next("oauth2/advertiser/get/", Fault(status=504), 2)
    assert len((await provider.list_accounts(Credentials(secret=token))).accounts) == 3
    fake_tiktok.fail_next("oauth2/advertiser/get/", Fault(status=500), 5)
    with pytest.raises(ProviderUnavailable):
        await provider.list_accounts(Credentials(secret=token))
    await provider.close()


@pytest.fixture
def now():
    moment = [datetime(2026, 11, 1, tzinfo=UTC)]

    def clock() -> datetime:
        return moment[0]

    clock.moment = moment  # type: ignore[attr-defined]
    return clock


def mediago_for(fake: FakeMediaGo, now) -> MediaGoProvider:
    return MediaGoProvider(MediaGoConfig.from_env(fake.env()), retry=FAST, now=now)


async def test_mediago_validation_and_the_raw_token_form(fake_mediago: FakeMediaGo, now):
    provider = mediago_for(fake_mediago, now)
    issued_raw = "raw token with spaces"  # not Base64: the client must encode it
    fake_mediago.add_credentials(as_basic(issued_raw), accounts=2)
    listing = await provider.validate(Credentials(secret=issued_raw))
    assert [a.name for a in listing.accounts] == ["News 001", "News 002"]
    assert listing.meta == {"level": "account", "form": "base64"}
    assert all(a.currency is None and a.timezone is None for a in listing.accounts)
    with pytest.raises(CredentialsInvalid, match="invalid api token"):
        await provider.validate(Credentials(secret="nope"))
    await provider.close()


async def test_mediago_client_level_lists_under_data_accounts(fake_mediago: FakeMediaGo, now):
    provider = mediago_for(fake_mediago, now)
    secret = as_basic("client-token")
    fake_mediago.add_credentials(secret, accounts=3, level="client")
    listing = await provider.validate(Credentials(secret=secret))
    assert listing.meta["level"] == "client" and len(listing.accounts) == 3
    assert fake_mediago.calls("/data/v1/client/accounts") and not fake_mediago.calls(
        "/manage/v1/account"
    )
    await provider.close()


async def test_one_renewal_for_concurrent_callers_and_renewal_ahead_of_expiry(fake_mediago, now):
    provider = mediago_for(fake_mediago, now)
    secret = as_basic("token-a")
    token = fake_mediago.add_credentials(secret, accounts=1)
    credentials = Credentials(
        secret=secret, profile_ref="7", meta={"level": "account", "form": "as_is"}
    )
    await asyncio.gather(*(provider.list_accounts(credentials) for _ in range(10)))
    assert token.issued == 1
    now.moment[0] += timedelta(minutes=58)
    await provider.list_accounts(credentials)
    assert token.issued == 1
    now.moment[0] += timedelta(minutes=1, seconds=30)  # inside the 60 s margin
    await provider.list_accounts(credentials)
    assert token.issued == 2
    await provider.close()


async def test_401_renews_once_then_retries(fake_mediago, now):
    provider = mediago_for(fake_mediago, now)
    secret = as_basic("token-b")
    token = fake_mediago.add_credentials(secret, accounts=1)
    credentials = Credentials(
        secret=secret, profile_ref="8", meta={"level": "account", "form": "as_is"}
    )
    await provider.list_accounts(credentials)
    fake_mediago.expire_live_tokens()  # someone else renewed
    assert len((await provider.list_accounts(credentials)).accounts) == 1
    assert token.issued == 2
    await provider.close()


async def test_403_and_429_are_classified(fake_mediago, now):
    provider = mediago_for(fake_mediago, now)
    secret = as_basic("popin-token")
    fake_mediago.add_credentials(secret, accounts=1, mediago=False)
    with pytest.raises(CredentialsInvalid, match="not authorized for MediaGo"):
        await provider.validate(Credentials(secret=secret))
    good = as_basic("token-c")
    fake_mediago.add_credentials(good, accounts=1)
    throttled = Fault(status=429, body="", content_type="text/plain")
    fake_mediago.fail_next("/manage/v1/account", throttled, 3)
    with pytest.raises(RateLimited):
        await provider.validate(Credentials(secret=good))
    refusal = Fault(
        status=200,
        body='{"errno": 1, "errmsg": "invalid api token"}',
        content_type="application/json",
    )
    for path in ("/data/v1/authentication", "/data/v1/client/authentication"):
        fake_mediago.fail_next(path, refusal, 2)
    with pytest.raises(CredentialsInvalid, match="invalid api token"):
        await provider.validate(Credentials(secret=good))
    assert len((await provider.validate(Credentials(secret=good))).accounts) == 1
    await provider.close()


async def test_no_mediago_secret_in_logs(fake_mediago, now, caplog):
    caplog.set_level(logging.DEBUG)
    provider = mediago_for(fake_mediago, now)
    secret = as_basic("very-secret-token")
    fake_mediago.add_credentials(secret, accounts=1)
    credentials = Credentials(secret=secret, key="key-123456")
    await provider.validate(credentials)
    with pytest.raises(CredentialsInvalid) as info:
        await provider.validate(Credentials(secret="another-secret-value"))
    for text in (caplog.text, str(info.value), repr(credentials)):
        assert (
            secret not in text
            and "very-secret-token" not in text
            and "another-secret-value" not in text
        )
    await provider.close()
