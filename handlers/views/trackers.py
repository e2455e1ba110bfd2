"""Tracker connections and each integration's default tracker."""

from __future__ import annotations

from typing import Any

from bot.trackers import TrackerInfo
from handlers.ids import Action
from handlers.metadata import TrackerRef
from handlers.views.blocks import (
    Block,
    actions,
    button,
    context,
    esc,
    message,
    option,
    plain,
    section,
    trunc,
)
from handlers.views.formatting import provider_name

MAX_TRACKERS = 20


# What the integration pickers' option labels may hold together: Slack refuses a message with
# too much text across its blocks (handlers/views/blocks.py `within_budget`), and a picker's
# hundred labels are text too.
PICKERS_TEXT = 4000


def default_picker(
    provider: str, trackers: list[TrackerInfo], current: TrackerInfo | None, *, pickers: int = 1
) -> dict[str, Any]:
    shown = trackers[:99]
    label = max(20, min(75, PICKERS_TEXT // max(1, pickers * (len(shown) + 1))))
    options = [option("No default tracker", f"{provider}:none")] + [
        option(trunc(t.name, label), f"{provider}:{t.id}") for t in shown
    ]
    initial = next(
        (o for o in options if current and o["value"] == f"{provider}:{current.id}"), options[0]
    )
    return {
        "type": "static_select",
        "action_id": f"{Action.TRACKER_DEFAULT}.{provider}",
        "placeholder": plain(f"Default for {provider_name(provider)}"),
        "options": options,
        "initial_option": initial,
    }


def trackers_message(
    trackers: list[TrackerInfo], defaults: dict[str, TrackerInfo | None], *, can_manage: bool
) -> dict[str, Any]:
    lines = [
        f"*{provider_name(p)}*: {esc(d.name) if d else '_no default tracker_'}"
        for p, d in defaults.items()
    ]
    blocks: list[Block] = [section("*Integration defaults*\n" + "\n".join(lines))]
    if can_manage and trackers:
        pickers = [
            default_picker(p, trackers, d, pickers=len(defaults)) for p, d in defaults.items()
        ]
        blocks.append(actions(pickers))
    if not trackers:
        blocks.append(section("No tracker connections yet."))
    for tracker in trackers[:MAX_TRACKERS]:
        overriding = (
            f" · {tracker.overriding_accounts} account(s) link it directly"
            if tracker.overriding_accounts
            else ""
        )
        text = (
            f"*{esc(tracker.name)}* · {esc(tracker.kind)}{overriding}\n"
            f"`{esc(trunc(tracker.tracking_template, 500))}`"
        )
        accessory = (
            button("Edit", Action.TRACKER_EDIT, TrackerRef(tracker.id).encode())
            if can_manage
            else None
        )
        blocks.append(section(text, accessory=accessory))
    if len(trackers) > MAX_TRACKERS:
        blocks.append(context(f"{len(trackers) - MAX_TRACKERS} more not shown."))
    if can_manage:
        blocks.append(
            actions(
                [button("Add tracker", Action.TRACKER_ADD, TrackerRef().encode(), style="primary")]
            )
        )
    return message("Trackers", blocks)
