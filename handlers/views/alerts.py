"""Token alerts as Slack messages: the channel post, its thread reminders, the DM, and the
"resolved" version the original post is updated to."""

from __future__ import annotations

import re
from typing import Any

from bot.alerts import AlertKind, AlertView
from handlers.ids import Action
from handlers.metadata import AlertMove, ProfileRef
from handlers.views.blocks import Block, actions, button, context, esc, message, section
from handlers.views.formatting import when


def _fix_buttons(alert: AlertView) -> list[dict[str, Any]]:
    ref = ProfileRef(alert.profile_id).encode()
    buttons = [
        button("Re-authenticate", Action.ALERT_REAUTH, ref, style="primary")
        if alert.uses_oauth
        else button("Update credentials", Action.ALERT_CREDENTIALS, ref, style="primary")
    ]
    if alert.backup is not None and alert.backup.movable:
        buttons.append(
            button(
                f"Move {alert.backup.movable} accounts to {alert.backup.name}",
                Action.ALERT_MOVE,
                AlertMove(alert.id, alert.backup.profile_id).encode(),
            )
        )
    return buttons


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def person(label: str | None) -> str:
    """A Slack user id becomes a mention Slack renders as the person's name."""
    if label and _USER_ID.match(label):
        return f"<@{label}>"
    return esc(label or "someone")


def headline(alert: AlertView) -> str:
    who = f"{alert.provider_display} profile *{esc(alert.profile_name)}*"
    if alert.kind == AlertKind.INVALID:
        return f":rotating_light: {who} stopped working"
    if alert.kind == AlertKind.EXPIRY:
        return f":hourglass_flowing_sand: {who}: credentials expire soon"
    return f":warning: {who} has not synced for a while"


def alert_message(alert: AlertView) -> dict[str, Any]:
    if alert.status == "resolved":
        text = (
            f":white_check_mark: *Resolved*: {alert.provider_display} profile "
            f"*{esc(alert.profile_name)}* was fixed by {person(alert.resolved_by)} "
            f"{when(alert.resolved_at)}."
        )
        blocks: list[Block] = [
            section(text),
            context(f"Was: {esc(alert.reason)} (since {when(alert.created_at)})"),
        ]
        return message(f"Resolved: {esc(alert.profile_name)}", blocks)
    detail = f"Reason: {esc(alert.reason)}"
    if alert.kind == AlertKind.INVALID:
        detail += (
            f"\n*{alert.accounts_affected}* ON ad account(s) stopped syncing "
            f"{when(alert.created_at)}. Nothing runs for them until this is fixed."
        )
    elif alert.kind == AlertKind.TRANSIENT:
        detail += "\nI keep retrying; this is a warning, the credentials were not rejected."
    blocks = [section(f"{headline(alert)}\n{detail}")]
    if alert.kind != AlertKind.TRANSIENT:
        blocks.append(actions(_fix_buttons(alert)))
    return message(
        f"{alert.provider_display} profile {esc(alert.profile_name)} needs attention", blocks
    )


def reminder_message(alert: AlertView) -> dict[str, Any]:
    text = (
        f":bell: Still broken: *{esc(alert.profile_name)}* ({esc(alert.reason)}), "
        f"since {when(alert.created_at)}. {alert.accounts_affected} ON account(s) are not syncing."
    )
    return message(
        f"Reminder: {esc(alert.profile_name)} is still broken",
        [section(text), actions(_fix_buttons(alert))],
    )
