"""The audit log as a message: who, what, when, from what to what."""

from __future__ import annotations

import json
from typing import Any

from bot.audit import AuditEntry
from handlers.views.blocks import context, esc, message, section, trunc
from handlers.views.formatting import when

MAX_ENTRIES = 20


def _change(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    return esc(trunc(json.dumps(value, ensure_ascii=False, sort_keys=True), 300))


def audit_message(title: str, entries: list[AuditEntry]) -> dict[str, Any]:
    if not entries:
        return message("No changes recorded.", [section(f"*{esc(title)}*\nNo changes recorded.")])
    blocks = [section(f"*{esc(title)}*")]
    for entry in entries[:MAX_ENTRIES]:
        actor = (
            f"<@{entry.actor_id}>" if entry.actor_id[:1] in ("U", "W") else esc(entry.actor_label)
        )
        bulk = " · bulk" if entry.bulk_id else ""
        blocks.append(
            section(
                f"*{esc(entry.action)}* · {esc(entry.target_label)}\n"
                f"{_change(entry.before)} → {_change(entry.after)}"
            )
        )
        blocks.append(context(f"{when(entry.at)} · {actor} · {entry.source}{bulk}"))
    return message(esc(title), blocks)
