"""Shared wording for domain values: statuses, providers, dates, tags, tracker state."""

from __future__ import annotations

from datetime import datetime

from bot.accounts import AccountRow, TagLabel
from bot.trackers import EffectiveTracker
from handlers.views.blocks import esc

PROVIDER_NAMES = {"tiktok": "TikTok", "mediago": "MediaGo"}
MAX_TAGS_SHOWN = 8


def provider_name(name: str) -> str:
    return PROVIDER_NAMES.get(name, name)


def when(moment: datetime | None, fallback: str = "never") -> str:
    """A date Slack renders in the reader's own timezone."""
    if moment is None:
        return fallback
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def tags_text(tags: tuple[TagLabel, ...]) -> str:
    if not tags:
        return "no tags"
    shown = [f"{esc(t.name)}{' ⚙' if t.auto else ''}" for t in tags[:MAX_TAGS_SHOWN]]
    more = len(tags) - MAX_TAGS_SHOWN
    return ", ".join(shown) + (f" +{more} more" if more > 0 else "")


def tracker_text(tracker: EffectiveTracker) -> str:
    if tracker.state == "none":
        return "no tracker"
    name = esc(tracker.tracker_name or "tracker")
    parts = [name + (" (account's own)" if tracker.tracker_source == "override" else " (default)")]
    if tracker.template_overridden:
        parts.append("own template")
    if tracker.paused:
        parts.append("paused")
    return " · ".join(parts)


def account_line(row: AccountRow) -> str:
    state = "ON" if row.enabled else "OFF"
    flags = [f"*{state}*"]
    if row.archived:
        flags.append("archived")
    if row.access_lost:
        flags.append(":warning: profile lost access")
    profile = esc(row.profile_name) if row.profile_name else "_no profile_"
    if row.profile_status == "invalid":
        profile += " :no_entry: invalid"
    return (
        f"*{esc(row.name)}*  `{esc(row.external_id)}` · {provider_name(row.provider)}\n"
        f"{' · '.join(flags)} · Profile: {profile}\n"
        f"Tags: {tags_text(row.tags)} · Tracker: {tracker_text(row.tracker)}"
    )
