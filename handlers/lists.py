"""The accounts list as people page through it: one page of a filter, remembered under a key
(`bot.list_views`) that its row menus and bulk form carry, and recalled to redraw it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.permissions import Actor, Permission
from bot.services import Services
from handlers.list_filters import account_filter
from handlers.metadata import ListState, StaleMetadata
from handlers.views.accounts import accounts_list

PAGE_SIZE = 10


async def render_accounts(services: Services, actor: Actor, state: ListState) -> dict[str, Any]:
    """One page of a list, remembered (`bot.list_views`) so that its row menus can redraw it."""
    page = await services.accounts.list_accounts(
        actor, account_filter(state), page=state.page, page_size=PAGE_SIZE
    )
    shown = replace(state, page=page.page)
    can_manage = actor.can(Permission.MANAGE)
    key = await services.list_views.remember(shown.as_state()) if can_manage else None
    return accounts_list(page, shown, can_manage=can_manage, list_key=key)


async def recall_list(services: Services, key: str | None) -> ListState | None:
    """The list a row menu or a modal came from, or None when it is no longer known."""
    if key is None:
        return None
    try:
        return ListState.from_state(await services.list_views.recall(key))
    except StaleMetadata:
        return None
