"""TikTok client against aioresponses: every reply class, batching, and defensive parsing."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pytest
from aioresponses import CallbackResult, aioresponses

from providers.base import (
    AppMisconfigured,
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
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def instant(_seconds: float) -> None:
    return None


@pytest.fixture
async def tiktok():
    provider = TikTokProvider(
        TikTokConfig(app_id="app-1", app_secret=APP_SECRET, api_url=API, rate_limit=1000),
        retry=RetryPolicy(attempts=3, total=5, base=0.01, cap=0.01),
        sleep=instant,
        now=lambda: NOON,
    )
    yield provider
    await provider.close()


def envelope(code: int, data: object = None, message: str = "OK", rid: str = "r1") -> dict:
    return {"code": code, "message": message, "request_id": rid, "data": data or {}}


def advertisers(*ids: str) -> dict:
    return envelope(0, {"list": [{"advertiser_id": i, "advertiser_name": i} for i in ids]})


CREDS = Credentials(secret=TOKEN)


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        (40105, "Access token is incorrect or has been revoked.", CredentialsInvalid),
        (40102, "Access token has expired", CredentialsInvalid),
        (40104, "Access token is null", CredentialsInvalid),
        (40106, "The core user is invalid", CredentialsInvalid),
        (40000, "Parameter error", ProviderError),
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


@pytest.mark.parametrize(
    ("code", "message", "setting"),
    [
        (40101, "Secret and app ID do not match.", "TIKTOK_APP_SECRET"),
        (40113, "The app has been blocked or does not exist.", "TIKTOK_APP_ID"),
        (
            40000,
            "The app_id is inconsistent with the token's app information. Please retry.",
            "TIKTOK_APP_ID",
        ),
        (40008, "The interface (endpoint) has not been implemented.", "TIKTOK_API_URL"),
        (40014, "Not supported in the sandbox environment.", "TIKTOK_API_URL"),
    ],
)
async def test_the_apps_own_faults_are_app_level_and_name_the_setting(
    tiktok, code, message, setting
):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(code, message=message), repeat=True)
        with pytest.raises(AppMisconfigured) as info:
            await tiktok.list_accounts(CREDS)
    assert info.value.setting == setting and setting in info.value.reason
    assert not isinstance(info.value, CredentialsInvalid)
    assert APP_SECRET not in info.value.reason


@pytest.mark.parametrize(
    ("code", "message", "window", "scope", "calls"),
    [
        (40100, "App [1] reaches the QPS limit 10, current QPS is 12.", "second", "app", 3),
        (40100, "App [1] reaches the QPM limit 600, current QPM is 601.", "minute", "app", 1),
        (40100, "App [1] reaches the QPD limit 864000.", "day", "app", 1),
        (40100, "Requests from App [1] are temporarily restricted.", "minute", "app", 1),
        (40016, "Requests made too frequently.", "minute", "endpoint", 1),
        (40133, "Advertiser (7)'s QPS (11) reaches QPS limit 10", "second", "advertiser", 3),
    ],
)
async def test_rate_limits_carry_their_window_and_long_waits_are_not_retried(
    tiktok, code, message, window, scope, calls
):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(code, message=message), repeat=True)
        with pytest.raises(RateLimited) as info:
            await tiktok.list_accounts(CREDS)
        sent = sum(len(v) for v in mocked.requests.values())
    assert (info.value.window, info.value.scope, sent) == (window, scope, calls)
    if window == "day":
        assert info.value.retry_after == 12 * 3600  # until 00:00 UTC


@pytest.mark.parametrize(
    "body",
    [
        {"code": 0, "message": "OK", "request_id": "r9", "data": None},
        {"code": 0, "message": "OK", "request_id": "r9"},
        {"code": 0, "message": "OK", "request_id": "r9", "data": {"list": {"a": 1}}},
        {"code": 0, "message": "OK", "request_id": "r9", "data": {"page_info": {}}},
        {"code": 0, "request_id": "r9", "data": {"list": [{"advertiser_name": "no id"}]}},
        {"code": 0, "request_id": "r9", "data": {"list": [{"advertiser_id": True}]}},
    ],
)
async def test_a_200_without_a_usable_list_is_an_error_never_zero_accounts(tiktok, body):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=body, repeat=True)
        with pytest.raises(ProviderUnavailable, match="request_id r9"):
            await tiktok.list_accounts(CREDS)


async def test_non_json_504_and_malformed_bodies_are_unavailable_never_invalid(tiktok):
    with aioresponses() as mocked:
        mocked.get(
            GET_URL,
            body="<html>504 Gateway Time-out</html>",
            status=504,
            headers={"X-TT-LOGID": "LOG123"},
            repeat=True,
        )
        with pytest.raises(ProviderUnavailable, match=r"unreadable reply.*request_id LOG123"):
            await tiktok.list_accounts(CREDS)
    for body in ('{"code": 0, "data": ', '{"message": "no code"}', "[]", '{"code": "abc"}'):
        with aioresponses() as mocked:
            mocked.get(GET_URL, body=body, status=200, repeat=True)
            with pytest.raises(ProviderUnavailable):
                await tiktok.list_accounts(CREDS)


async def test_every_call_logs_its_request_id_and_errors_show_it_but_never_the_token(
    tiktok, caplog
):
    caplog.set_level(logging.DEBUG, logger="providers.tiktok")
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(0, {"list": [{"advertiser_id": "1"}]}, rid="rid-A"))
        mocked.get(INFO_URL, payload=envelope(0, {"list": []}, rid="rid-B"))
        await tiktok.list_accounts(CREDS)
        mocked.get(GET_URL, payload=envelope(40105, message="revoked", rid="rid-C"))
        with pytest.raises(CredentialsInvalid) as info:
            await tiktok.list_accounts(CREDS)
    assert "(request_id rid-C)" in str(info.value)
    assert all(rid in caplog.text for rid in ("rid-A", "rid-B", "rid-C"))
    assert TOKEN not in caplog.text and APP_SECRET not in caplog.text


async def test_transient_errors_are_retried_then_succeed(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(50002), status=200)
        mocked.get(GET_URL, payload=envelope(40100, message="reaches the QPS limit"), status=200)
        mocked.get(GET_URL, payload=envelope(0, {"list": []}), status=200)
        listing = await tiktok.list_accounts(CREDS)
    assert listing.accounts == [] and listing.complete


async def test_timeouts_are_unavailable(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, exception=TimeoutError(), repeat=True)
        with pytest.raises(ProviderUnavailable, match="timed out"):
            await tiktok.list_accounts(CREDS)


async def test_zero_granted_accounts_is_a_valid_connection(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(0, {"list": []}))
        listing = await tiktok.validate(CREDS)
    assert listing.accounts == [] and listing.lost == {} and listing.complete


async def test_partial_success_on_the_list_is_not_a_complete_listing(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload={**advertisers("1"), "code": 20001})
        mocked.get(INFO_URL, payload=envelope(0, {"list": [{"advertiser_id": "1"}]}))
        listing = await tiktok.list_accounts(CREDS)
    assert [a.external_id for a in listing.accounts] == ["1"] and not listing.complete


def info_server(refuse):
    """advertiser/info answering per batch: `refuse(batch)` gives (code, message) or None."""
    asked: list[list[str]] = []

    def info(url, **kwargs):
        wanted = json.loads(kwargs["params"]["advertiser_ids"])
        asked.append(wanted)
        refusal = refuse(wanted)
        if refusal:
            return CallbackResult(payload=envelope(refusal[0], message=refusal[1]))
        rows = [{"advertiser_id": i, "name": "n" + i, "currency": "USD"} for i in wanted]
        return CallbackResult(payload=envelope(0, {"list": rows}))

    return info, asked


async def test_details_are_fetched_in_batches_of_100(tiktok):
    ids = [f"7{n:018d}" for n in range(250)]
    info, asked = info_server(lambda batch: None)
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers(*ids))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS, skip_details=())
    assert [len(b) for b in asked] == [100, 100, 50]
    assert len(listing.accounts) == 250 and listing.accounts[0].currency == "USD"


async def test_a_missing_permission_keeps_access_and_is_narrowed_down_cheaply(tiktok):
    """40001 "does not grant you … permission" (PostHog/posthog#82183) for one advertiser of
    100: the others get their details, nobody is lost, and it costs a few calls, not 100."""
    ids = [f"{n:03d}" for n in range(100)]
    denied = "042"
    message = "advertiser does not grant you /advertiser/info/:GET permission"
    info, asked = info_server(lambda batch: (40001, message) if denied in batch else None)
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers(*ids))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS)
    assert listing.lost == {}
    assert set(listing.unrefreshed) == {denied} and "permission" in listing.unrefreshed[denied]
    assert len(asked) <= 16
    named = {a.external_id: a.name for a in listing.accounts}
    assert named[denied] == denied and named["041"] == "n041"


async def test_a_refusal_for_every_advertiser_stops_after_one_split(tiktok):
    ids = [str(n) for n in range(1000, 1100)]
    message = "advertiser does not grant you /advertiser/info/:GET permission"
    info, asked = info_server(lambda batch: (40001, message))
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers(*ids))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS)
    assert len(asked) == 3 and set(listing.unrefreshed) == set(ids) and listing.lost == {}


async def test_a_deleted_advertiser_named_in_the_reply_is_lost_at_one_extra_call(tiktok):
    one, two, three = (f"7{n:018d}" for n in (1, 2, 3))
    info, asked = info_server(
        lambda batch: (
            (40001, f"advertiser {three} doesn't exist or has been deleted.")
            if three in batch
            else None
        )
    )
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers(one, two, three))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS, skip_details={one})
    assert asked == [[two, three], [two]]
    assert set(listing.lost) == {three} and listing.unrefreshed == {}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (40106, "The core user is invalid for advertiser 7002"),
        (40119, "Developer and advertisers do not belong to the same company."),
        (40300, "The advertiser does not exist or has been deleted."),
    ],
)
async def test_per_advertiser_codes_fail_that_advertiser_only(tiktok, code, message):
    info, _ = info_server(lambda batch: (code, message) if "7002" in batch else None)
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers("7001", "7002", "7003", "7004"))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS)
    touched = set(listing.lost) | set(listing.unrefreshed)
    assert touched == {"7002"}
    assert ("7002" in listing.lost) == (code == 40300)
    assert {a.name for a in listing.accounts if a.external_id != "7002"} == {
        "n7001",
        "n7003",
        "n7004",
    }


async def test_a_parameter_error_fails_its_batch_without_splitting(tiktok):
    info, asked = info_server(lambda batch: (40002, "Time format should be %Y-%m-%d"))
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers("1", "2", "3"))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS)
    assert len(asked) == 1 and set(listing.unrefreshed) == {"1", "2", "3"} and not listing.lost


async def test_too_many_ids_halves_the_batch(tiktok):
    info, asked = info_server(
        lambda batch: (
            (40011, "Too many IDs are provided in a single request") if len(batch) > 25 else None
        )
    )
    ids = [str(n) for n in range(100, 200)]
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=advertisers(*ids))
        mocked.get(INFO_URL, callback=info, repeat=True)
        listing = await tiktok.list_accounts(CREDS)
    assert listing.unrefreshed == {} and all(
        a.name == "n" + a.external_id for a in listing.accounts
    )
    assert max(len(b) for b in asked[1:]) <= 50


async def test_a_sandbox_url_is_refused_up_front_with_a_clear_reason():
    provider = TikTokProvider(
        TikTokConfig.from_env(
            {
                "TIKTOK_APP_ID": "a",
                "TIKTOK_APP_SECRET": "s",
                "TIKTOK_API_URL": "https://sandbox-ads.tiktok.com/open_api/v1.3/",
            }
        )
    )
    with aioresponses() as mocked:
        with pytest.raises(AppMisconfigured, match="sandbox has no oauth2/advertiser/get") as info:
            await provider.list_accounts(CREDS)
        assert mocked.requests == {}
    assert info.value.setting == "TIKTOK_API_URL"
    await provider.close()


async def test_revocation_sends_the_app_credentials_and_a_dead_token_counts_as_revoked(tiktok):
    with aioresponses() as mocked:
        mocked.post(API + "oauth2/revoke_token/", payload=envelope(0, {"advertiser_ids": ["1"]}))
        assert await tiktok.revoke(CREDS) is True
        (call,) = next(iter(mocked.requests.values()))
        assert call.kwargs["json"] == {
            "app_id": "app-1",
            "secret": APP_SECRET,
            "access_token": TOKEN,
        }
        mocked.post(API + "oauth2/revoke_token/", payload=envelope(40105, message="revoked"))
        assert await tiktok.revoke(CREDS) is True
        mocked.post(API + "oauth2/revoke_token/", payload=envelope(40101, message="mismatch"))
        with pytest.raises(AppMisconfigured):
            await tiktok.revoke(CREDS)


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
    for code in (40110, 40101):
        with aioresponses() as mocked:
            mocked.post(
                API + "oauth2/access_token/",
                payload=envelope(code, message="The auth_code is canceled."),
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


async def test_provider_text_is_capped_and_token_shapes_are_stripped(tiktok):
    leak = "x" * 1000 + f" Access-Token: {TOKEN} secret={APP_SECRET}"
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=envelope(40105, message=f"bad {TOKEN} " + leak), repeat=True)
        with pytest.raises(CredentialsInvalid) as info:
            await tiktok.list_accounts(CREDS)
    assert TOKEN not in info.value.reason and APP_SECRET not in info.value.reason
    assert len(info.value.reason) < 340 and info.value.reason.endswith("(request_id r1)")
