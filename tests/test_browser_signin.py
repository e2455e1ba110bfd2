"""`/adops connect tiktok` signed in with a real headless Chromium.

The other sign-in tests use an HTTP client, whose cookie jar is not a browser's: it stores a
`Secure` cookie from `http://127.0.0.1` without a second thought and ignores `SameSite`. Whether
the cookie that binds the flow to one browser survives what a browser does with it can only be
learnt from a browser. So this test takes the link the bot posted to Slack, clicks it in Debian's
`chromium` (driven by selenium through Debian's `chromedriver`) on a page of another site, as in
Slack, lets the browser follow the start route, the fake TikTok consent page and the callback on
its own, and reads the page it ends on; then it clicks the spent link again, as a user who goes
back to the old Slack message would.

What Chromium does with the cookie (`Secure; HttpOnly; SameSite=Lax; Path=/oauth`, set over
plain http on 127.0.0.1): it stores and sends it, since loopback is a secure context; and
because the navigation was started by another site, only `Lax` or laxer brings it back to the
callback. With `SameSite=Strict` the flow fails in the browser while the HTTP-client tests pass.

Selenium blocks, so every browser call runs in a thread (`asyncio.to_thread`) while the event
loop goes on serving the bot and the fakes that the browser is talking to.
"""

from __future__ import annotations

import asyncio
import html
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import func, select

from bot.oauth import CALLBACK_PATH
from fakes.tiktok import FakeTikTok
from handlers.transport.oauth_routes import COOKIE, COOKIE_PATH
from storage.models import Profile
from tests.harness import ADMIN_ID, BotUnderTest
from tests.test_slack_oauth import link_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=(
        f"no headless browser: {' and '.join(MISSING)} missing. `.ci/run` installs Debian's "
        "chromium and chromium-driver with apt-get; here: `apt-get install -y chromium "
        "chromium-driver`"
    ),
)

# Headless Chromium on a machine with no display, no user namespaces (root) and a closed
# network: without the background-networking flags it keeps dialling out to Google, and those
# connections are refused.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
)
PAGE_TIMEOUT = 30


@dataclass(frozen=True)
class Seen:
    """The page the browser ended on, as the user sees it."""

    url: str
    title: str
    heading: str
    text: str


@dataclass(frozen=True)
class Hop:
    """One request of a navigation as Chromium sent it: its headers (lower-case names), and each
    cookie it considered with why it was or was not sent (DevTools' `associatedCookies`)."""

    headers: dict[str, str]
    considered: list[dict[str, Any]]

    @property
    def host(self) -> str:
        return self.headers["host"]

    def cookie(self, name: str) -> dict[str, Any] | None:
        found = [c for c in self.considered if c["cookie"]["name"] == name]
        return found[0] if found else None


class Browser:
    """One headless Chromium with a new, empty profile. Blocking: call it from a thread."""

    def __init__(self, profile_dir: Path) -> None:
        options = webdriver.ChromeOptions()
        # Explicit paths to both, so that Selenium Manager has nothing to look up or download.
        options.binary_location = str(CHROMIUM)
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile_dir}")
        # DevTools network events, to see which cookies Chromium stored and sent, and why.
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        self.driver.set_page_load_timeout(PAGE_TIMEOUT)

    def click_in_slack(self, link: str) -> Seen:
        """Click `link` on a page of another site, as a user clicks the button in Slack, and
        follow the redirects to the last page. (Slack opens a new tab; that changes nothing
        for cookies, whose `SameSite` rules look at the site that started the navigation, and
        chromedriver would miss the first request of a new tab.)"""
        anchor = f'<a href="{html.escape(link)}" rel="noopener noreferrer">Sign in with TikTok</a>'
        self.driver.get("data:text/html;charset=utf-8," + quote(f"<!doctype html>{anchor}"))
        self.driver.find_element(By.TAG_NAME, "a").click()
        WebDriverWait(self.driver, PAGE_TIMEOUT).until(
            lambda driver: driver.find_elements(By.TAG_NAME, "h1")
        )
        return self.seen()

    def reload(self) -> Seen:
        self.driver.refresh()
        return self.seen()

    def seen(self) -> Seen:
        return Seen(
            url=self.driver.current_url,
            title=self.driver.title,
            heading=self.driver.find_element(By.TAG_NAME, "h1").text,
            text=self.driver.find_element(By.TAG_NAME, "body").text,
        )

    def cookie_names(self) -> set[str]:
        """Every cookie this profile holds (HttpOnly ones too), whatever the page."""
        cookies = self.driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]
        return {cookie["name"] for cookie in cookies}

    def hops_of(self, url: str) -> list[Hop]:
        """The requests of the navigation that opened `url`, redirects included, in order."""
        events = [
            json.loads(entry["message"])["message"] for entry in self.driver.get_log("performance")
        ]
        (navigation,) = {
            e["params"]["requestId"]
            for e in events
            if e["method"] == "Network.requestWillBeSent" and e["params"]["request"]["url"] == url
        }
        hops = []
        for event in events:
            params = event["params"]
            if (
                event["method"] == "Network.requestWillBeSentExtraInfo"
                and params["requestId"] == navigation
            ):
                headers = {key.lower(): value for key, value in params["headers"].items()}
                hops.append(Hop(headers, params["associatedCookies"]))
        return hops

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture
def profile_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="adops-chromium-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def browser(profile_dir: Path) -> AsyncIterator[Browser]:
    started = await asyncio.to_thread(Browser, profile_dir)
    yield started
    await asyncio.to_thread(started.close)


async def test_sign_in_in_a_real_browser_then_the_spent_link_is_refused(
    bot: BotUnderTest, fake_tiktok: FakeTikTok, browser: Browser
) -> None:
    reply, response_url = await bot.command("connect tiktok")
    assert reply.status == 200
    (posted,) = await bot.responses_to(response_url)
    assert posted["response_type"] == "ephemeral"
    link = link_in(posted)

    done = await asyncio.to_thread(browser.click_in_slack, link)

    assert urlparse(done.url).path == CALLBACK_PATH
    assert (done.title, done.heading) == ("Connected", "Connected")
    assert "TikTok 1 is connected and reaches 3 ad account(s)." in done.text
    (dm,) = await bot.slack.wait_for("chat.postMessage")
    assert dm.args["channel"].startswith("D")
    assert "3 ad account(s) reachable, 3 new" in dm.args["text"]
    async with bot.services.db.reader() as session:
        (profile,) = (await session.scalars(select(Profile))).all()
    assert profile.connected_by == ADMIN_ID
    assert fake_tiktok.tokens[profile.secret.reveal()] == "alice"

    # How the browser got there: start route, consent page, callback, in one navigation that
    # another site started; the cookie the start route set came back to the callback unblocked,
    # stored with every attribute it was sent with (Secure kept on plain http: 127.0.0.1 is a
    # secure context).
    hops = await asyncio.to_thread(browser.hops_of, link)
    bot_host, consent_host = urlparse(bot.url).netloc, urlparse(fake_tiktok.auth_url).netloc
    assert [hop.host for hop in hops] == [bot_host, consent_host, bot_host]
    callback = hops[-1]
    assert callback.headers["sec-fetch-site"] == "cross-site"
    sent = callback.cookie(COOKIE)
    assert sent is not None and sent["blockedReasons"] == []
    stored = sent["cookie"]
    assert (stored["secure"], stored["httpOnly"], stored["sameSite"], stored["path"]) == (
        True,
        True,
        "Lax",
        COOKIE_PATH,
    )
    assert f"{COOKIE}={stored['value']}" in callback.headers["cookie"]
    # The success page removed it from the browser.
    assert COOKIE not in await asyncio.to_thread(browser.cookie_names)

    # Reloading the success page (the state is spent, the cookie gone) does not sign in twice.
    reloaded = await asyncio.to_thread(browser.reload)
    assert reloaded.heading == "This sign-in cannot be completed"

    # The finished link, clicked again in Slack, gets the refusal page.
    replay = await asyncio.to_thread(browser.click_in_slack, link)
    assert (replay.title, replay.heading) == ("This link cannot be used",) * 2
    assert "expired or was already used" in replay.text
    async with bot.services.db.reader() as session:
        assert await session.scalar(select(func.count(Profile.id))) == 1
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
