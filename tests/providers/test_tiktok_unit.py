"""TikTok client against aioresponses: every error class, batching, and defensive parsing."""

from __future__ import annotations

import json
import logging
import re

import pytest
from aioresponses import aioresponses

from providers.base import (
    Credentials,
    CredentialsInvalid,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from providers.http import RetryPolicy
from providers.tiktok import TikTokConfig, TikTokProvider

API = "https://tt.test/open_api/v1.3/"
GET_URL = re.compile(r"^https://tt\.test/open_api/v1\.3/oauth2/advertiser/get/.*$")
INFO_URL = re.compile(r"^https://tt\.test/open_api/v1\.3/advertiser/info/.*$")
TOKEN = "tt-secret-token-abcdef0123456789"
APP_SECRET = "app-secret-xyz-987"
NO_RETRY = RetryPolicy(attempts=1)


async def instant(_seconds: float) -> None:
    return None


@pytest.fixture
async def tiktok():
    provider = TikTokProvider(
        TikTokConfig(app_id="app-1", app_secret=APP_SECRET, api_url=API, rate_limit=1000),
        retry=RetryPolicy(attempts=3, total=5, base=0.01, cap=0.01),
        sleep=instant,
    )
    yield provider
    await provider.close()


def envelope(code: int, data: object = None, message: str = "OK") -> dict:
    return {"code": code, "message": message, "request_id": "r1", "data": data or {}}


CREDS = Credentials(secret=TOKEN)


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        (40105, "Access token is incorrect or has been revoked.", CredentialsInvalid),
        (40102, "Access token has expired", CredentialsInvalid),
        (40104, "Access token is null", CredentialsInvalid),
        (40106, "The core user is invalid", CredentialsInvalid),
        (
            40000,
            "The app_id is inconsistent with the token's app information. Please retry.",
            CredentialsInvalid,
        ),
        (40000, "Parameter error", ProviderError),
        (
            40100,
            "Due to too many requests, requests from App [1] are temporarily restricted.",
            RateLimited,
        ),
        (40133, "Advertiser QPS limit", RateLimited),
        (40016, "Requests made too frequently", RateLimited),
        (50000, "System error", ProviderUnavailable),
        (50002, "Error processing request", ProviderUnavailable),
        (60001, "System in maintenance", ProviderUnavailable),
    ],
)
async def test_errors_are_decided_by_the_body_code(tiktok, code, message, error):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(code, message=message), status=200, repeat=True)
        with pytest.raises(error) as info:
            await tiktok.list_accounts(CREDS)
    assert type(info.value) is error
    if error is not CredentialsInvalid:
        assert not isinstance(info.value, CredentialsInvalid)


async def test_non_json_504_and_malformed_bodies_are_unavailable_never_invalid(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, body="<html>504 Gateway Time-out</html>", status=504, repeat=True)
        with pytest.raises(ProviderUnavailable, match="unreadable reply"):
            await tiktok.list_accounts(CREDS)
    for body in ('{"code": 0, "data": ', '{"message": "no code"}', "[]", '{"code": "abc"}'):
        with aioresponses() as mocked:
            mocked.get(GET_URL, body=body, status=200, repeat=True)
            with pytest.raises(ProviderUnavailable):
                await tiktok.list_accounts(CREDS)


async def test_transient_errors_are_retried_then_succeed(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(50002), status=200)
        mocked.get(GET_URL, payload=envelope(40100), status=200)
        mocked.get(GET_URL, payload=envelope(0, {"list": []}), status=200)
        listing = await tiktok.list_accounts(CREDS)
    assert listing.accounts == []


async def test_timeouts_are_unavailable(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, exception=TimeoutError(), repeat=True)
        with pytest.raises(ProviderUnavailable, match="timed out"):
            await tiktok.list_accounts(CREDS)


async def test_zero_granted_accounts_is_a_valid_connection(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(0, {"list": []}))
        listing = await tiktok.validate(CREDS)
    assert listing.accounts == [] and listing.lost == {}


async def test_details_are_fetched_in_batches_of_100(tiktok):
    ids = [f"7{n:018d}" for n in range(250)]
    batches: list[list[str]] = []

    def info(url, **kwargs):
        wanted = json.loads(kwargs["params"]["advertiser_ids"])
        batches.append(wanted)
        from aioresponses import CallbackResult

        rows = [
            {
                "advertiser_id": i,
                "name": f"N{i}",
                "currency": "USD",
                "timezone": "Etc/GMT",
                "display_timezone": "America/New_York",
                "status": "STATUS_ENABLE",
            }
            for i in wanted
        ]
        return CallbackResult(payload=envelope(0, {"list": rows}))

    with aioresponses() as mocked:
        mocked.get(
            GET_URL,
            payload=envelope(
                0, {"list": [{"advertiser_id": i, "advertiser_name": i} for i in ids]}
            ),
        )
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS, skip_details=())
    assert [len(b) for b in batches] == [100, 100, 50]
    assert len(listing.accounts) == 250
    first = listing.accounts[0]
    assert (first.name, first.currency, first.timezone) == (f"N{ids[0]}", "USD", "America/New_York")


async def test_skipped_accounts_are_not_asked_about_and_one_lost_account_is_isolated(tiktok):
    ids = ["1", "2", "3"]
    asked: list[list[str]] = []

    def info(url, **kwargs):
        from aioresponses import CallbackResult

        wanted = json.loads(kwargs["params"]["advertiser_ids"])
        asked.append(wanted)
        if "3" in wanted:
            return CallbackResult(
                payload=envelope(40001, message="advertiser 3 doesn't exist or has been deleted.")
            )
        return CallbackResult(
            payload=envelope(0, {"list": [{"advertiser_id": i, "name": "n" + i} for i in wanted]})
        )

    with aioresponses() as mocked:
        mocked.get(
            GET_URL,
            payload=envelope(
                0, {"list": [{"advertiser_id": i, "advertiser_name": i} for i in ["0", *ids]]}
            ),
        )
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS, skip_details={"0"})
    assert asked == [["1", "2", "3"], ["1"], ["2"], ["3"]]
    assert set(listing.lost) == {"3"}
    assert [a.name for a in listing.accounts] == ["0", "n1", "n2", "3"]


async def test_authorisation_url_and_exchange(tiktok):
    url = tiktok.authorization_url(state="st-1", redirect_uri="https://bot.test/oauth/callback")
    assert url.startswith("https://business-api.tiktok.com/portal/auth?")
    assert (
        "app_id=app-1" in url
        and "state=st-1" in url
        and "redirect_uri=https%3A%2F%2Fbot.test" in url
    )
    with aioresponses() as mocked:
        mocked.post(
            API + "oauth2/access_token/",
            payload=envelope(0, {"access_token": TOKEN, "advertiser_ids": [], "scope": [1]}),
        )
        credentials = await tiktok.exchange_code(code="ac-1", redirect_uri="x")
    assert credentials.secret == TOKEN
    with aioresponses() as mocked:
        mocked.post(
            API + "oauth2/access_token/",
            payload=envelope(40110, message="The auth_code is canceled."),
        )
        with pytest.raises(CredentialsInvalid):
            await tiktok.exchange_code(code="used", redirect_uri="x")


async def test_no_secret_in_logs_errors_or_reprs(tiktok, caplog):
    caplog.set_level(logging.DEBUG)
    with aioresponses() as mocked:
        mocked.get(
            GET_URL, exception=OSError(f"connect failed for {API}?secret={APP_SECRET}"), repeat=True
        )
        with pytest.raises(ProviderUnavailable) as info:
            await tiktok.list_accounts(CREDS)
    for text in (str(info.value), repr(info.value), caplog.text, repr(CREDS), repr(tiktok.config)):
        assert TOKEN not in text and APP_SECRET not in text
