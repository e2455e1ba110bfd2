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


def row_menu(row: AccountRow, list_key: str | None) -> dict[str, Any]:
    def choice(label: str, op: str) -> dict[str, Any]:
        return option(label, row_op_value(op, row.id, list_key))

    if row.archived:
        options = [choice("Unarchive", "unarchive"), choice("History", "history")]
    else:
        options = [
            choice("Turn OFF", "disable") if row.enabled else choice("Turn ON", "enable"),
            choice("Archive", "archive"),
            choice("Edit tags", "tags"),
            choice("Change profile", "profile"),
            choice("Tracker settings", "tracker"),
        ]
    return {"type": "overflow", "action_id": Action.ACCOUNT_MENU, "options": options}


def accounts_list(
    page: AccountPage, state: ListState, *, can_manage: bool, list_key: str | None = None
) -> dict[str, Any]:
    """`state` is the list as shown (its page is the one drawn); `list_key` names it for the row
    menus (`bot.list_views`), which Slack tells nothing else about the list they sit in."""
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
        menu = row_menu(row, list_key) if can_manage else None
        blocks.append(section(account_line(row), accessory=menu))
    controls = []
    if page.page > 1:
        controls.append(button("◀ Previous", Action.ACCOUNTS_PREV, _paged(state, page.page - 1)))
    if page.page < page.pages:
        controls.append(button("Next ▶", Action.ACCOUNTS_NEXT, _paged(state, page.page + 1)))
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
