"""A very small browser for OAuth links: follows redirects, keeps cookies per host the way a real
browser does for localhost (Secure cookies count, since localhost is a trustworthy origin), and
reads back the title and text of the page it ends on."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

import aiohttp

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_TITLE = re.compile(r"<h1>(.*?)</h1>", re.S)
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


@dataclass
class Page:
    status: int
    url: str
    title: str
    text: str


@dataclass
class Browser:
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)

    @staticmethod
    def reachable(url: str) -> bool:
        return urlparse(url).hostname in LOCAL_HOSTS

    async def open(self, url: str, *, max_redirects: int = 10) -> Page:
        """Raises ValueError for a link that leaves this machine (it cannot be followed here)."""
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            for _ in range(max_redirects):
                if not self.reachable(url):
                    raise ValueError(url)
                host = urlparse(url).netloc
                jar = self.cookies.setdefault(host, {})
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
                async with http.get(url, headers=headers, allow_redirects=False) as response:
                    for name, morsel in response.cookies.items():
                        jar[name] = morsel.value
                    body = await response.text()
                    if response.status in (301, 302, 303, 307, 308):
                        url = urljoin(url, response.headers["Location"])
                        continue
                    return Page(response.status, url, *_readable(body))
        raise ValueError("too many redirects")


def _readable(body: str) -> tuple[str, str]:
    title = _TITLE.search(body)
    paragraphs = [html.unescape(p).strip() for p in _PARAGRAPH.findall(body)]
    return (html.unescape(title[1]).strip() if title else body[:80].strip(), " ".join(paragraphs))
