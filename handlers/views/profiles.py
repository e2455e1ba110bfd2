"""Profile cards: status, accounts using and reachable, last sync, and what can be done."""

from __future__ import annotations

from typing import Any

from bot.profiles import ProfileCard
from handlers.ids import Action
from handlers.metadata import ProfileRef
from handlers.views.blocks import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    divider,
    esc,
    fields_section,
    message,
    section,
)
from handlers.views.formatting import provider_name, when

MAX_CARDS = 9  # up to five blocks each, under the 50-block message limit


def status_text(card: ProfileCard) -> str:
    if card.active:
        return ":white_check_mark: active"
    reason = esc(card.status_reason or "credentials rejected")
    return f":no_entry: *invalid* since {when(card.invalid_since)}: {reason}"


def profile_card(card: ProfileCard, *, can_manage: bool, oauth: bool) -> list[Block]:
    ref = ProfileRef(card.id).encode()
    blocks: list[Block] = [
        section(f"*{esc(card.name)}* · {provider_name(card.provider)} · {status_text(card)}"),
        fields_section(
            [
                f"*Accounts using it*\n{card.accounts_using}",
                f"*Accounts it can reach*\n{card.accounts_reachable}",
                f"*Last sync*\n{when(card.last_synced_at)}",
                f"*Credentials*\n{'OAuth token' if oauth else 'API key ' + (card.key_hint or '')}",
            ]
        ),
    ]
    if card.last_sync_error and card.active:
        blocks.append(context(f":warning: Last sync problem: {esc(card.last_sync_error)}"))
    if can_manage:
        buttons = [
            button("Manage ad accounts", Action.PROFILE_MANAGE, ref),
            button("Sync now", Action.PROFILE_SYNC, ref),
            button(
                "Re-authenticate" if oauth else "Update credentials",
                Action.PROFILE_REAUTH if oauth else Action.PROFILE_CREDENTIALS,
                ref,
                style=None if card.active else "primary",
            ),
            button("Rename", Action.PROFILE_RENAME, ref),
        ]
        if card.accounts_using == 0:
            buttons.append(
                button(
                    "Remove",
                    Action.PROFILE_REMOVE,
                    ref,
                    style="danger",
                    confirm=confirm_dialog(
                        "Remove this profile?",
                        f"{card.name} and its stored credentials will be deleted. "
                        "Its audit history stays.",
                        "Remove",
                    ),
                )
            )
        blocks.append(actions(buttons))
    return blocks


def profiles_list(
    cards: list[ProfileCard], *, can_manage: bool, oauth_providers: set[str], provider: str | None
) -> dict[str, Any]:
    scope = f" — {provider_name(provider)}" if provider else ""
    if not cards:
        hint = "Add one with `/adops connect tiktok` or `/adops connect mediago`."
        return message("No profiles yet.", [section(f"*Profiles*{scope}\nNo profiles yet. {hint}")])
    blocks: list[Block] = [section(f"*Profiles*{scope} · {len(cards)}")]
    for card in cards[:MAX_CARDS]:
        blocks += profile_card(card, can_manage=can_manage, oauth=card.provider in oauth_providers)
        blocks.append(divider())
    if len(cards) > MAX_CARDS:
        blocks.append(
            context(f"{len(cards) - MAX_CARDS} more; narrow with `/adops profiles <provider>`.")
        )
    return message(f"{len(cards)} profiles", blocks)
