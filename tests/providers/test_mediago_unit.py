"""MediaGo's replies as the client reads them (aioresponses): which are refusals, which are
transient, which listings are complete; and the credential forms it sends."""

from __future__ import annotations

import base64
import re

import pytest
from aioresponses import aioresponses

from providers.base import (
    Credentials,
    CredentialsInvalid,
    ProviderUnavailable,
    RateLimited,
)
from providers.http import RetryPolicy
from providers.mediago import MediaGoConfig, MediaGoProvider, basic_credentials

API = "https://mg.test"
AUTH = re.compile(r"^https://mg\.test/data/v1/(client/)?authentication$")
ACCOUNT_AUTH = API + "/data/v1/authentication"
CLIENT_AUTH = API + "/data/v1/client/authentication"
ACCOUNTS = API + "/manage/v1/account"
TOKEN = base64.b64encode(b"mg-token-value-123").decode()


async def instant(_seconds: float) -> None:
    return None


@pytest.fixture
async def mediago():
    provider = MediaGoProvider(
        MediaGoConfig(api_url=API, rate_limit=1000),
        retry=RetryPolicy(attempts=2, total=5, base=0.01, cap=0.01),
        sleep=instant,
    )
    yield provider
    await provider.close()


CREDS = Credentials(secret=TOKEN)
ROWS = [{"account_id": "101", "account_name": "A"}, {"account_id": 102, "account_name": "B"}]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "invalid api token"}, CredentialsInvalid),
        (401, None, CredentialsInvalid),
        (400, {"errmsg": "invalid api token"}, CredentialsInvalid),
        (200, {"errno": 1, "errmsg": "Invalid token"}, CredentialsInvalid),
        (200, {}, ProviderUnavailable),
        (200, None, ProviderUnavailable),
        (200, {"errno": 503, "errmsg": "system maintenance"}, ProviderUnavailable),
        (200, {"code": 0, "data": {"expires_in": 3600}}, ProviderUnavailable),
        (403, {"message": "Missing Authentication Token"}, ProviderUnavailable),
        (404, {"message": "Not Found"}, ProviderUnavailable),
        (403, "<html>Forbidden</html>", ProviderUnavailable),
        (502, "<html>Bad gateway</html>", ProviderUnavailable),
        (429, {"code": 1, "message": "IpLimit.operateTooMuch", "data": {}}, RateLimited),
    ],
)
async def test_only_a_plain_refusal_of_the_login_is_credentials_invalid(
    mediago, status, body, error
):
    with aioresponses() as mocked:
        kwargs = {"body": body} if isinstance(body, str) else {"payload": body}
        mocked.post(AUTH, status=status, repeat=True, **kwargs)
        with pytest.raises(error):
            await mediago.validate(CREDS)


@pytest.mark.parametrize(
    "body",
    [
        ROWS,
        {"data": {"accounts": ROWS}},
        {"errno": 0, "data": ROWS},
        {"code": "0", "result": ROWS},
        {"code": 200, "results": ROWS},
        {"status": "success", "data": {"list": ROWS}},
    ],
)
async def test_listings_in_the_shapes_public_clients_read(mediago, body):
    with aioresponses() as mocked:
        mocked.post(ACCOUNT_AUTH, payload={"access_token": "at-1", "expires_in": 3600})
        mocked.post(CLIENT_AUTH, status=401, payload={"error": "invalid api token"})
        mocked.get(ACCOUNTS, payload=body)
        listing = await mediago.validate(CREDS)
    assert [(a.external_id, a.name) for a in listing.accounts] == [("101", "A"), ("102", "B")]


@pytest.mark.parametrize(
    "body",
    [
        {"code": 500},
        {"status": "FAIL"},
        {"code": 0, "data": None},
        {"code": 1, "data": ROWS},
        {"errno": 2, "errmsg": "internal"},
        {"data": {"total": 2}},
        {},
        [{"account_name": "no id"}],
        [{"account_id": True}],
        "not json",
    ],
)
async def test_a_listing_it_cannot_read_is_an_error_never_zero_accounts(mediago, body):
    with aioresponses() as mocked:
        mocked.post(ACCOUNT_AUTH, payload={"access_token": "at-1", "expires_in": 3600})
        mocked.post(CLIENT_AUTH, status=401, payload={"error": "invalid api token"})
        kwargs = {"body": body} if isinstance(body, str) else {"payload": body}
        mocked.get(ACCOUNTS, repeat=True, **kwargs)
        with pytest.raises(ProviderUnavailable):
            await mediago.validate(CREDS)


async def test_a_5xx_at_the_client_level_still_tries_the_account_level(mediago):
    with aioresponses() as mocked:
        mocked.post(CLIENT_AUTH, status=503, body="<html>down</html>", repeat=True)
        mocked.post(ACCOUNT_AUTH, payload={"access_token": "at-1", "expires_in": 3600})
        mocked.get(ACCOUNTS, payload=ROWS)
        listing = await mediago.validate(CREDS)
    assert listing.meta["level"] == "account" and len(listing.accounts) == 2


async def test_refused_everywhere_but_unsure_somewhere_is_not_a_refusal(mediago):
    with aioresponses() as mocked:
        mocked.post(CLIENT_AUTH, status=503, body="<html>down</html>", repeat=True)
        mocked.post(ACCOUNT_AUTH, status=401, payload={"error": "invalid api token"}, repeat=True)
        with pytest.raises(ProviderUnavailable):
            await mediago.validate(CREDS)


def test_a_lone_token_is_never_paired_and_a_pair_is_tried_first():
    raw = "not-base64 token"
    forms = basic_credentials(None, raw)
    assert [f for f, _ in forms] == ["base64", "as_is"]
    assert all(":" not in base64.b64decode(v + "==").decode(errors="replace") for _, v in forms)
    assert basic_credentials(None, "Basic " + TOKEN)[0] == ("as_is", TOKEN)
    pair = basic_credentials("key-1", "secret-1")
    assert pair[0] == ("pair", base64.b64encode(b"key-1:secret-1").decode())
    assert {f for f, _ in pair[1:]} == {"as_is", "base64"}
