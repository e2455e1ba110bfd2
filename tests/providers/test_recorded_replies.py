"""The replies public sources recorded from TikTok and MediaGo (tests/data, README there): the
clients read each as the README says, and the fakes send the same shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

from fakes.mediago import FakeMediaGo, as_basic, operate_too_much_body
from fakes.tiktok import FakeTikTok
from providers.base import (
    AppMisconfigured,
    Credentials,
    CredentialsInvalid,
    ProviderError,
    RateLimited,
)
from providers.http import RetryPolicy
from providers.mediago import MediaGoConfig, MediaGoProvider
from providers.tiktok import TikTokConfig, TikTokProvider

DATA = Path(__file__).resolve().parent.parent / "data"
TT = "https://tt.test/open_api/v1.3/"
GET_URL = re.compile(r"^https://tt\.test/open_api/v1\.3/oauth2/advertiser/get/.*$")
INFO_URL = re.compile(r"^https://tt\.test/open_api/v1\.3/advertiser/info/.*$")
ONE = [{"advertiser_id": "7000000000000000001", "advertiser_name": "One"}]


def sample(name: str) -> dict:
    return json.loads((DATA / name).read_text())


async def instant(_seconds: float) -> None:
    return None


@pytest.fixture
async def tiktok():
    provider = TikTokProvider(
        TikTokConfig(app_id="app-1", app_secret="s", api_url=TT, rate_limit=1000),
        retry=RetryPolicy(attempts=1),
        sleep=instant,
    )
    yield provider
    await provider.close()


@pytest.mark.parametrize(
    ("name", "error", "detail"),
    [
        ("tiktok/40104_access_token_null.json", CredentialsInvalid, None),
        ("tiktok/40000_app_mismatch.json", AppMisconfigured, "TIKTOK_APP_ID"),
        ("tiktok/40100_app_restricted.json", RateLimited, "minute"),
        ("tiktok/40100_qps_limit.json", RateLimited, "second"),
        ("tiktok/40133_advertiser_qps.json", RateLimited, "second"),
    ],
)
async def test_tiktok_list_replies_as_recorded(tiktok, name, error, detail):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=sample(name), repeat=True)
        with pytest.raises(error) as info:
            await tiktok.list_accounts(Credentials(secret="tok"))
    if error is RateLimited:
        assert info.value.window == detail
    elif detail:
        assert info.value.setting == detail


async def test_tiktok_detail_refusals_as_recorded(tiktok):
    listing = {"code": 0, "message": "OK", "data": {"list": ONE}}
    for name, lost in (
        ("tiktok/40001_permission_not_granted.json", False),
        ("tiktok/40001_advertiser_deleted.json", True),
    ):
        with aioresponses() as mocked:
            mocked.get(GET_URL, payload=listing)
            mocked.get(INFO_URL, payload=sample(name))
            result = await tiktok.list_accounts(Credentials(secret="tok"))
        assert (bool(result.lost), bool(result.unrefreshed)) == (lost, not lost), name
        assert [a.external_id for a in result.accounts] == ["7000000000000000001"]


async def test_tiktok_success_and_exchange_refusal_as_recorded(tiktok):
    with aioresponses() as mocked:
        mocked.get(GET_URL, payload=sample("tiktok/advertiser_get_ok.json"))
        mocked.get(INFO_URL, payload={"code": 0, "message": "OK", "data": {"list": []}})
        listing = await tiktok.list_accounts(Credentials(secret="tok"))
        assert [a.name for a in listing.accounts] == ["Acme EU", "Acme US"]
        mocked.post(
            TT + "oauth2/access_token/", payload=sample("tiktok/40110_auth_code_canceled.json")
        )
        with pytest.raises(CredentialsInvalid, match="40110"):
            await tiktok.exchange_code(code="used", redirect_uri="x")


async def test_the_fake_tiktok_sends_the_recorded_shapes(fake_tiktok: FakeTikTok):
    recorded = sample("tiktok/40104_access_token_null.json")
    shape = re.compile(r"^\d{14}[0-9A-F]{14}$")
    assert shape.match(recorded["request_id"])
    async with aiohttp.ClientSession() as http:

        async def call(path: str, token: str | None = None, **query: str) -> dict:
            headers = {"Access-Token": token} if token else {}
            async with http.get(fake_tiktok.api_url + path, params=query, headers=headers) as r:
                assert r.status == 200  # errors come with HTTP 200
                return await r.json()

        null = await call("advertiser/info/", advertiser_ids='["1"]')
        assert set(null) == set(recorded) and null["message"] == recorded["message"]
        assert shape.match(null["request_id"]) and null["data"] == {}

        token = fake_tiktok.issue_token("alice")
        other_app = await call("oauth2/advertiser/get/", token, app_id="other", secret="x")
        assert other_app["message"] == sample("tiktok/40000_app_mismatch.json")["message"]

        ok = await call(
            "oauth2/advertiser/get/",
            token,
            app_id=fake_tiktok.app_id,
            secret=fake_tiktok.app_secret,
        )
        rows = sample("tiktok/advertiser_get_ok.json")["data"]["list"]
        assert {tuple(sorted(r)) for r in ok["data"]["list"]} == {tuple(sorted(r)) for r in rows}

        denied = fake_tiktok.logins["alice"].advertisers[0]
        fake_tiktok.deny_permission(denied)
        refused = await call("advertiser/info/", token, advertiser_ids=json.dumps([denied]))
        grant = re.compile(r"^advertiser does not grant you /\S+:GET permission$")
        assert grant.match(sample("tiktok/40001_permission_not_granted.json")["message"])
        assert refused["code"] == 40001 and grant.match(refused["message"])

        fake_tiktok.rate_limit = 1
        fake_tiktok.allow(denied)
        answers = [await call("oauth2/advertiser/get/", token) for _ in range(3)]
        qps = re.compile(r"^App \[[^\]]+\] reaches the QPS limit [\d.]+, current QPS is \d+\.$")
        assert qps.match(sample("tiktok/40100_qps_limit.json")["message"])
        assert any(a["code"] == 40100 and qps.match(a["message"]) for a in answers)


async def test_mediago_replies_as_recorded():
    provider = MediaGoProvider(MediaGoConfig(api_url="https://mg.test"), retry=RetryPolicy(1))
    auth = re.compile(r"^https://mg\.test/data/v1/(client/)?authentication$")
    good = sample("mediago/client_authentication.json")
    cases = [
        ("/data/v1/client/accounts", sample("mediago/client_accounts.json"), 200, ["1"]),
        ("/manage/v1/account", sample("mediago/popin_list_ok.json"), 200, []),
        ("/manage/v1/account", sample("mediago/popin_use_mediago_403.json"), 200, None),
        ("/manage/v1/account", sample("mediago/write_validation_errno.json"), 200, None),
        ("/manage/v1/account", sample("mediago/operate_too_much_429.json"), 429, RateLimited),
    ]
    for path, body, status, expected in cases:
        level = "client" if "client" in path else "account"
        with aioresponses() as mocked:
            mocked.post(auth, payload=good, repeat=True)
            mocked.get("https://mg.test" + path, payload=body, status=status, repeat=True)
            mocked.get("https://mg.test/manage/v1/account", status=500, repeat=True)
            credentials = Credentials(secret="dG9r", meta={"level": level, "form": "as_is"})
            if isinstance(expected, list):
                listing = await provider.list_accounts(credentials)
                assert [a.external_id for a in listing.accounts] == expected, path
            else:
                with pytest.raises(expected or ProviderError):
                    await provider.list_accounts(credentials)
    await provider.close()


async def test_the_fake_mediago_sends_the_recorded_shapes(fake_mediago: FakeMediaGo):
    secret = as_basic("client-token")
    fake_mediago.add_credentials(secret, accounts=1, level="client")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            fake_mediago.base + "/data/v1/client/authentication",
            headers={
                "Authorization": f"Basic {secret}",
                "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
            },
        ) as r:
            auth = await r.json()
        assert set(auth) == set(sample("mediago/client_authentication.json"))
        bearer = {"Authorization": f"Bearer {auth['access_token']}"}
        async with http.get(fake_mediago.base + "/data/v1/client/accounts", headers=bearer) as r:
            listed = await r.json()
        recorded = sample("mediago/client_accounts.json")
        assert set(listed) == set(recorded) and set(listed["data"]) == set(recorded["data"])
        assert set(recorded["data"]["accounts"][0]) <= set(listed["data"]["accounts"][0])
    assert operate_too_much_body() == sample("mediago/operate_too_much_429.json")
