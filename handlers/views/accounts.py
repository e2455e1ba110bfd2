"""The accounts list: an ephemeral, paged message with a menu per row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.accounts import AccountPage, AccountRow
from handlers.ids import Action
from handlers.metadata import ListState, row_op_value
from handlers.views.blocks import (
    actions,
    button,
    context,
    esc,
    message,
    option,
    section,
)
from handlers.views.formatting import account_line, provider_name


def describe_filter(state: ListState) -> str:
    parts = []
    if state.provider:
        parts.append(provider_name(state.provider))
    if state.status != "active":
        parts.append(f"status: {state.status}")
    parts += [f"tag: {esc(t)}" for t in state.tags]
    if state.profile:
        parts.append(f"profile: {esc(state.profile)}")
    if state.enabled is not None:
        parts.append("ON" if state.enabled else "OFF")
    if state.text:
        parts.append(f"“{esc(state.text)}”")
    return " · ".join(parts)


def row_menu(row: AccountRow) -> dict[str, Any]:
    if row.archived:
        options = [option("Unarchive", row_op_value("unarchive", row.id))]
    else:
        options = [
            option(
                "Turn OFF" if row.enabled else "Turn ON",
                row_op_value("disable" if row.enabled else "enable", row.id),
            ),
            option("Archive", row_op_value("archive", row.id)),
            option("Edit tags", row_op_value("tags", row.id)),
            option("Change profile", row_op_value("profile", row.id)),
            option("Tracker settings", row_op_value("tracker", row.id)),
        ]
    if len(options) == 1:
        options.append(option("Edit tags", row_op_value("tags", row.id)))
    return {"type": "overflow", "action_id": Action.ACCOUNT_MENU, "options": options}


def accounts_list(page: AccountPage, state: ListState, *, can_manage: bool) -> dict[str, Any]:
    scope = describe_filter(state)
    title = f"*Ad accounts*{' — ' + scope if scope else ''}"
    if not page.rows:
        hint = (
            "" if state.status != "active" else " Archived accounts are hidden; add `status:all`."
        )
        return message("No ad accounts match.", [section(f"{title}\nNo ad accounts match.{hint}")])
    first = (page.page - 1) * page.page_size + 1
    last = first + len(page.rows) - 1
    blocks = [section(f"{title}\nShowing {first}–{last} of {page.total}.")]
    for row in page.rows:
        blocks.append(section(account_line(row), accessory=row_menu(row) if can_manage else None))
    controls = []
    if page.page > 1:
        controls.append(button("◀ Previous", Action.ACCOUNTS_PAGE, _paged(state, page.page - 1)))
    if page.page < page.pages:
        controls.append(button("Next ▶", Action.ACCOUNTS_PAGE, _paged(state, page.page + 1)))
    if can_manage:
        controls.append(
            button("Bulk actions", Action.BULK_OPEN, _paged(state, page.page), style="primary")
        )
    blocks.append(context(f"Page {page.page} of {page.pages} · ⚙ = automatic tag"))
    if controls:
        blocks.append(actions(controls))
    return message(f"{page.total} ad accounts", blocks)


def _paged(state: ListState, page: int) -> str:
    return replace(state, page=page).encode()
