"""What a sync someone asked for found, as a message: one line a profile."""

from __future__ import annotations

from typing import Any

from bot.sync import SyncReport
from bot.sync_requests import Answered
from handlers.registry import COMMAND
from handlers.views.blocks import esc, message, section
from handlers.views.formatting import provider_name, when


def sync_line(report: SyncReport) -> str:
    name = f"*{esc(report.profile_name)}* ({provider_name(report.provider)})"
    if report.outcome == "ok":
        new = f", {len(report.new)} new" if report.new else ""
        lost = f", {len(report.lost)} no longer reachable" if report.lost else ""
        held = (
            f", {report.held} missing from the provider's answer (access kept until the next "
            "sync confirms it)"
            if report.held
            else ""
        )
        stale = f", details of {report.unrefreshed} not refreshed" if report.unrefreshed else ""
        found = f"{report.found} account(s) reachable"
        return f":white_check_mark: {name}: {found}{new}{lost}{held}{stale}."
    if report.outcome == "invalid":
        return (
            f":no_entry: {name}: credentials rejected ({esc(report.error or '')}). "
            f"Fix them from `{COMMAND} profiles`."
        )
    if report.outcome == "skipped":
        return f":double_vertical_bar: {name}: skipped, {esc(report.error or '')}."
    if report.outcome == "app":
        return (
            f":no_entry_sign: {name}: the provider refused the bot's own app, not this profile "
            f"({esc(report.error or '')}). Whoever runs the bot must fix it; the profile is fine."
        )
    again = (
        f"I'll retry after {when(report.retry_at)}"
        if report.retry_at
        else "I'll retry on the next cycle"
    )
    return f":warning: {name}: the provider did not answer ({esc(report.error or '')}); {again}."


def sync_answer(answered: Answered) -> dict[str, Any]:
    """The answer to one request: after a connection or a re-authentication, what the new
    credentials brought in; after `/adops sync` or Sync now, a line per profile."""
    reports = answered.reports
    if answered.purpose in ("connect", "reauth") and reports:
        (report,) = reports[:1]
        verb = "Connected" if answered.purpose == "connect" else "Updated"
        if report.outcome != "ok":
            text = f":warning: {verb} *{esc(report.profile_name)}*, but its first sync: " + (
                sync_line(report)
            )
            return message(f"{verb} {esc(report.profile_name)}", [section(text)])
        new = f", {len(report.new)} new" if report.new else ""
        text = (
            f":white_check_mark: {verb} *{esc(report.profile_name)}* "
            f"({provider_name(report.provider)}): {report.found} ad account(s) reachable{new}."
        )
        return message(text, [section(text)])
    lines = [sync_line(r) for r in reports] or ["The profiles asked for are gone."]
    return message("Sync finished", [section("\n".join(lines)[:2900])])
