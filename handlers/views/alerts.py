"""Token alerts as Slack messages: the channel post, its thread reminders, the DM, and the
"resolved" version the original post is updated to."""

from __future__ import annotations

import re
from typing import Any

from bot.alerts import AlertKind, AlertView
from bot.delivery import Undeliverable
from handlers.ids import Action
from handlers.metadata import AlertMove, ProfileRef
from handlers.views.blocks import Block, actions, button, context, esc, message, section
from handlers.views.formatting import when


def _fix_buttons(alert: AlertView) -> list[dict[str, Any]]:
    if alert.profile_id is None or alert.kind in (AlertKind.TRANSIENT, AlertKind.CONTENTION):
        return []
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


def subject(alert: AlertView) -> str:
    if alert.profile_id is None:
        return f"{alert.provider_display}: the bot's own app"
    return f"{alert.provider_display} profile {alert.profile_name}"


def headline(alert: AlertView) -> str:
    who = f"{alert.provider_display} profile *{esc(alert.profile_name)}*"
    if alert.kind == AlertKind.APP:
        return f":no_entry: {alert.provider_display} refuses the bot's own app"
    if alert.kind == AlertKind.QUOTA:
        return (
            f":hourglass_flowing_sand: {alert.provider_display}: the app's daily limit is used up"
        )
    if alert.kind == AlertKind.CONTENTION:
        return f":twisted_rightwards_arrows: {who}: another tool is renewing its token"
    if alert.kind == AlertKind.INVALID:
        return f":rotating_light: {who} stopped working"
    if alert.kind == AlertKind.EXPIRY:
        return f":hourglass_flowing_sand: {who}: credentials expire soon"
    return f":warning: {who} has not synced for a while"


def alert_message(alert: AlertView) -> dict[str, Any]:
    if alert.status == "resolved":
        why = f": {esc(alert.resolved_note)}" if alert.resolved_note else ""
        text = (
            f":white_check_mark: *Resolved*: {esc(subject(alert))} was fixed by "
            f"{person(alert.resolved_by)} {when(alert.resolved_at)}{why}."
        )
        blocks: list[Block] = [
            section(text),
            context(f"Was: {esc(alert.reason)} (since {when(alert.created_at)})"),
        ]
        return message(f"Resolved: {esc(subject(alert))}", blocks)
    detail = f"Reason: {esc(alert.reason)}"
    if alert.kind == AlertKind.INVALID:
        detail += (
            f"\n*{alert.accounts_affected}* ON ad account(s) stopped syncing "
            f"{when(alert.created_at)}. Nothing runs for them until this is fixed."
        )
    elif alert.kind == AlertKind.TRANSIENT:
        detail += "\nI keep retrying; this is a warning, the credentials were not rejected."
    elif alert.kind in (AlertKind.APP, AlertKind.QUOTA):
        detail += (
            f"\nNo profile is at fault and none needs re-authenticating; {alert.accounts_affected}"
            f" ON {alert.provider_display} ad account(s) wait until this is over."
        )
    blocks = [section(f"{headline(alert)}\n{detail}")]
    if buttons := _fix_buttons(alert):
        blocks.append(actions(buttons))
    return message(f"{esc(subject(alert))} needs attention", blocks)


def reminder_message(alert: AlertView) -> dict[str, Any]:
    text = (
        f":bell: Still broken: *{esc(subject(alert))}* ({esc(alert.reason)}), "
        f"since {when(alert.created_at)}. {alert.accounts_affected} ON account(s) are not syncing."
    )
    buttons = _fix_buttons(alert)
    return message(
        f"Reminder: {esc(subject(alert))} is still broken",
        [section(text), *([actions(buttons)] if buttons else [])],
    )


def undeliverable_message(problem: Undeliverable) -> dict[str, Any]:
    """To an admin: where alerts cannot go, and what to do about it."""
    reason = esc(problem.reason)
    if problem.channel:
        text = (
            f":warning: I cannot post token alerts in <#{problem.channel}> ({reason}). Alerts "
            "still reach whoever connected each profile by DM. Invite me to the channel "
            "(`/invite @adops`), or choose another with `/adops alerts #channel`."
        )
    else:
        alert = problem.alert
        what = f"{esc(subject(alert))} needs attention" if alert else "an alert"
        text = (
            f":warning: I could not tell <@{problem.user}> that {what} ({reason}). The alert "
            "channel still has it; see `/adops profiles`."
        )
    return message(text, [section(text)])
