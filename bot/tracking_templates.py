"""Tracking templates (a tracker's macro mapping), checked before they are saved, so that a link
the ad network would never fill in is caught in the form rather than weeks later in the tracker.

A template is a link (http or https) or a query string (`?cid=__CID__&…`; the leading `?` or `&`
may be left out, as MediaGo's Tracking field wants it), without spaces or line breaks. Two kinds
of placeholder may stand in it:

- the ad network's macros, which it replaces on every click. TikTok writes them `__NAME__`,
  MediaGo `${NAME}`; only the macros a network documents are accepted (`PROVIDER_MACROS`).
- the tracker's own placeholders in braces, `{name}` or `{{name}}` (`{{campaign.id}}`), which
  whoever builds the final link from the template fills in. They are left as written and only
  checked for being closed and named with letters, digits, `_`, `.` or `-`.

A tracker serves any integration, so its template may hold any network's macros; an account's
own template only its network's, since no other network will ever replace them.

Sources (read 2026-12-04; research/tiktok.md and research/mediago.md, "Tracking macros"):
- TikTok Business Help Center, "About supported macros for Mobile Measurement Partners"
  (https://ads.tiktok.com/help/article/about-supported-macros-for-mobile-measurement-partners,
  May 2025): IDFA, GAID, IP, SL, UA, PLACEMENT, CALLBACK_PARAM or CALLBACK_URL, CAMPAIGN_NAME,
  CAMPAIGN_ID, AID_NAME, AID, CID_NAME, CID, "double-underlined at the beginning and end".
  "Third Party Tracking" (https://ads.tiktok.com/help/article?aid=6669666107177041925) adds, in
  its example links, CTYPE, OS, ANDROIDID1 and UA1.
- MediaGo, "How do I add URL Parameter tracking to my campaign?"
  (https://cdn.mediago.io/js/docs/platform/utm-params.html): CAMPAIGN_NAME, AD_TITLE, ASSET_ID,
  TRACKING_ID, written `${…}`; "S2S Conversion Postback"
  (https://cdn.mediago.io/js/docs/platform/s2s-conversion-postback.html) adds AD_ID.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.errors import InvalidInput


@dataclass(frozen=True)
class Macros:
    """The macros one ad network fills in, and how it writes them."""

    label: str
    style: Literal["under", "dollar"]
    names: tuple[str, ...]

    def spell(self, name: str) -> str:
        return f"__{name}__" if self.style == "under" else f"${{{name}}}"

    def listing(self) -> str:
        return f"{self.label} macros: " + ", ".join(self.spell(n) for n in self.names)


PROVIDER_MACROS = {
    "tiktok": Macros(
        "TikTok",
        "under",
        (
            "CAMPAIGN_ID",
            "CAMPAIGN_NAME",
            "AID",
            "AID_NAME",
            "CID",
            "CID_NAME",
            "PLACEMENT",
            "CALLBACK_PARAM",
            "CALLBACK_URL",
            "CTYPE",
            "OS",
            "IP",
            "UA",
            "UA1",
            "SL",
            "IDFA",
            "GAID",
            "ANDROIDID1",
        ),
    ),
    "mediago": Macros(
        "MediaGo", "dollar", ("CAMPAIGN_NAME", "AD_ID", "AD_TITLE", "ASSET_ID", "TRACKING_ID")
    ),
}

_TOKEN = re.compile(
    r"\$\{(?P<dollar>[^{}]*)\}"
    r"|\{\{(?P<double>[^{}]*)\}\}"
    r"|\{(?P<single>[^{}]*)\}"
    r"|__(?P<under>[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__"
)
_PLACEHOLDER = re.compile(r"[A-Za-z0-9_.-]+")
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!=)")
SHAPE = "a link (https://…) or a query string (?cid=__CID__&…)"


def macro_help(providers: Sequence[str]) -> str:
    """What may stand in a template for these providers, for a form's hint and its errors."""
    listings = [PROVIDER_MACROS[p].listing() for p in providers if p in PROVIDER_MACROS]
    return ". ".join([*listings, "{name} and {{name}} are left for the tracker"]) + "."


def check_template(template: str, providers: Sequence[str], *, field: str | None = None) -> None:
    """Refuse a template that is not a link or query string, or that holds a macro none of
    `providers` fills in, saying which macros there are."""
    if any(char.isspace() for char in template):
        raise InvalidInput("A tracking template cannot contain spaces or line breaks.", field=field)
    _check_shape(template, field)
    for match in _TOKEN.finditer(template):
        style = "under" if match["under"] else "dollar" if match["dollar"] is not None else None
        if style is None:
            name = match["double"] if match["double"] is not None else match["single"]
            if not _PLACEHOLDER.fullmatch(name):
                raise InvalidInput(
                    f"The placeholder {match[0]} needs a name of letters, digits, _ . or -.",
                    field=field,
                )
            continue
        name = match[style]
        if not any(
            p in PROVIDER_MACROS
            and PROVIDER_MACROS[p].style == style
            and name in PROVIDER_MACROS[p].names
            for p in providers
        ):
            raise InvalidInput(_unknown(match[0], style, name, providers), field=field)
    rest = _TOKEN.sub("", template)
    if "{" in rest or "}" in rest:
        raise InvalidInput(
            "A brace in the tracking template does not close a placeholder "
            "(${NAME}, {name} or {{name}}).",
            field=field,
        )


def _check_shape(template: str, field: str | None) -> None:
    if template.lower().startswith(("http://", "https://")):
        if not urlsplit(template).netloc:
            raise InvalidInput("That link has no host name.", field=field)
        return
    if _OTHER_SCHEME.match(template) and "=" not in template.split(":", 1)[0]:
        raise InvalidInput(
            f"A tracking template is {SHAPE}; only http:// and https:// links.", field=field
        )
    params = [p for p in template.lstrip("?&").split("&") if p]
    bad = next((p for p in params if not p.partition("=")[0] or "=" not in p), None)
    if not params or bad is not None:
        raise InvalidInput(
            f"A tracking template is {SHAPE}; {bad or template!r} is not name=value.", field=field
        )


def _unknown(spelled: str, style: str, name: str, providers: Sequence[str]) -> str:
    owners = [m.label for m in PROVIDER_MACROS.values() if m.style == style and name in m.names]
    wanted = [PROVIDER_MACROS[p].label if p in PROVIDER_MACROS else p for p in providers]
    if owners:
        reason = f"{spelled} is a {owners[0]} macro, which {' or '.join(wanted)} will not fill in."
    else:
        reason = f"{spelled} is not a macro {' or '.join(wanted)} knows."
    return f"{reason} {macro_help(providers)}"
