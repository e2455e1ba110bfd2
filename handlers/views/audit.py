"""The audit log as a message: who, what, when, and from what to what, field by field.

People and channels are Slack mentions (Slack shows their names), profiles and trackers that an
entry names by id are shown by their current name, and credentials only ever as "updated".
"""

from __future__ import annotations

from typing import Any

from bot.audit import SECRET_CHANGED, AuditEntry, AuditPage
from handlers.ids import Action
from handlers.views.blocks import actions, button, context, esc, message, section, trunc
from handlers.views.formatting import when

MAX_VALUE = 200
MAX_CHANGES = 450  # twenty entries stay well under what one message holds (~13 000 characters)
_SECRET_KEYS = frozenset({"credentials"})


def _mention(user_id: str) -> str | None:
    """A Slack user id as a mention, which Slack shows as the person's name."""
    if user_id[:1] in ("U", "W") and user_id.isalnum() and user_id.isupper():
        return f"<@{user_id}>"
    return None


def _value(key: str, side: dict[str, Any], entry: AuditEntry, page: AuditPage) -> str:
    """One field's value from one side (before or after) of an entry, readably."""
    value = side.get(key)
    if value is None:
        if key == "tracker_id" and entry.action == "account.tracker":
            return "the integration default"
        return "off" if key == "channel" else "none"
    if isinstance(value, bool):
        return ("ON" if value else "OFF") if key == "enabled" else ("yes" if value else "no")
    if key in ("profile_id", "tracker_id") and isinstance(value, int):
        names = page.profiles if key == "profile_id" else page.trackers
        kept = side.get(key.removesuffix("_id"))  # the name stored beside the id, if any
        name = names.get(value) or (kept if isinstance(kept, str) else None)
        return esc(trunc(name, MAX_VALUE)) if name else f"#{value} (since removed)"
    if key == "channel" and isinstance(value, str):
        return f"<#{value}>"
    if isinstance(value, list):
        return ", ".join(esc(trunc(str(v), MAX_VALUE)) for v in value) or "none"
    if key == "template":
        return f"`{esc(trunc(str(value), MAX_VALUE))}`"
    return esc(trunc(str(value), MAX_VALUE))


def change_lines(entry: AuditEntry, page: AuditPage) -> list[str]:
    """`field: before → after` for each field that changed; a created or removed thing lists
    its fields once. A name kept beside its id (`profile` with `profile_id`) is shown once."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    shown = [k for k in keys if not (k in ("profile", "tracker") and f"{k}_id" in keys)]
    lines = []
    for key in shown:
        label = key.removesuffix("_id")
        if key in _SECRET_KEYS:
            lines.append(f"{label}: {SECRET_CHANGED}")
            continue
        if entry.before is None or entry.after is None:
            lines.append(f"{label}: {_value(key, after or before, entry, page)}")
        elif isinstance(before.get(key), list) and isinstance(after.get(key), list):
            lines.append(f"{label}: {_list_change(before[key], after[key])}")
        elif before.get(key) != after.get(key):
            was, now = _value(key, before, entry, page), _value(key, after, entry, page)
            lines.append(f"{label}: {was} → {now}")
    return lines or ["no change"]


def _list_change(before: list[Any], after: list[Any]) -> str:
    """What a list (an account's tags) gained and lost: `+new −old`, not both lists whole."""
    added = [f"+{esc(trunc(str(v), MAX_VALUE))}" for v in after if v not in before]
    removed = [f"−{esc(trunc(str(v), MAX_VALUE))}" for v in before if v not in after]
    return " ".join(added + removed) or "no change"


def _target(entry: AuditEntry, page: AuditPage) -> str:
    if entry.target_type == "user" and (mention := _mention(entry.target_id)):
        return mention
    if entry.target_type == "profile" and entry.target_id.isdigit():
        current = page.profiles.get(int(entry.target_id))
        if current and current != entry.target_label:
            return f"{esc(current)} (then {esc(entry.target_label)})"
    return esc(entry.target_label)


def _actor(entry: AuditEntry) -> str:
    return _mention(entry.actor_id) or esc(entry.actor_label)


def whole_lines(lines: list[str], limit: int) -> str:
    """As many whole lines as fit, and a count of the rest: a line cut in the middle could end
    inside a mention or an escaped character, which Slack would show as raw text."""
    kept: list[str] = []
    for n, line in enumerate(lines):
        rest = len(lines) - n - 1
        more = f"\n…and {rest} more" if rest else ""
        if len("\n".join([*kept, line])) + len(more) > limit:
            shown = "\n".join(kept) if kept else trunc(line, limit)
            return shown + f"\n…and {len(lines) - len(kept) - (0 if kept else 1)} more"
        kept.append(line)
    return "\n".join(kept)


def audit_message(title: str, page: AuditPage, *, next_page: str | None) -> dict[str, Any]:
    """`next_page` is the Next button's value (`handlers.metadata.AuditCursor`), when there are
    older entries than these."""
    if not page.entries:
        return message("No changes recorded.", [section(f"*{esc(title)}*\nNo changes recorded.")])
    blocks = [section(f"*{esc(title)}*")]
    for entry in page.entries[:20]:
        bulk = f" · bulk `{entry.bulk_id[:8]}`" if entry.bulk_id else ""
        changes = whole_lines(change_lines(entry, page), MAX_CHANGES)
        blocks.append(section(f"*{esc(entry.action)}* · {_target(entry, page)}\n{changes}"))
        blocks.append(context(f"{when(entry.at)} · {_actor(entry)} · {entry.source}{bulk}"))
    if next_page is not None:
        blocks.append(actions([button("Next ▶", Action.AUDIT_NEXT, next_page)]))
    return message(esc(title), blocks)
