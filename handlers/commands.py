"""`/adops` and its subcommands. Each subcommand parses its words, calls the core, and renders;
the registry builds `help` from the `register` calls below."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput, NotFound
from bot.permissions import Actor, Permission
from bot.sync import SyncReport
from handlers.audit import audit_payload
from handlers.clients import without_retries
from handlers.deps import Deps
from handlers.ids import Action
from handlers.list_filters import account_filter, list_state, split_name_hint
from handlers.loading import open_modal
from handlers.metadata import AuditCursor, ListState, ModalContext, StaleMetadata
from handlers.registry import COMMAND, Registry
from handlers.replies import tell
from handlers.views import help as help_views
from handlers.views.accounts import accounts_list
from handlers.views.blocks import actions, button, esc, message, notice, section
from handlers.views.formatting import provider_name, when
from handlers.views.modals import mediago_credentials_modal
from handlers.views.profiles import profiles_list
from handlers.views.trackers import trackers_message

PAGE_SIZE = 10
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")

registry = Registry()


@dataclass
class Call:
    deps: Deps
    actor: Actor
    args: list[str]
    body: dict[str, Any]
    client: AsyncWebClient
    respond: AsyncRespond

    async def reply(self, payload: dict[str, Any], *, replace: bool = False) -> None:
        await tell(
            self.body,
            self.client,
            self.respond,
            payload["text"],
            payload.get("blocks"),
            replace=replace,
        )


async def render_accounts(deps: Deps, actor: Actor, state: ListState) -> dict[str, Any]:
    """One page of a list, remembered (`bot.list_views`) so that its row menus can redraw it."""
    page = await deps.core.accounts.list_accounts(
        actor, account_filter(state), page=state.page, page_size=PAGE_SIZE
    )
    shown = replace(state, page=page.page)
    can_manage = actor.can(Permission.MANAGE)
    key = await deps.core.list_views.remember(shown.as_state()) if can_manage else None
    return accounts_list(page, shown, can_manage=can_manage, list_key=key)


async def recall_list(deps: Deps, key: str | None) -> ListState | None:
    """The list a row menu or a modal came from, or None when it is no longer known."""
    if key is None:
        return None
    try:
        return ListState.from_state(await deps.core.list_views.recall(key))
    except StaleMetadata:
        return None


@registry.register(
    "help", usage="help", summary="What I can do.", permission=Permission.HELP, aliases=("?",)
)
async def help_command(call: Call) -> None:
    await call.reply(help_views.help_message(call.deps.registry, call.actor))


@registry.register(
    "accounts",
    usage="accounts [tiktok|mediago] [status:active|archived|all] [tag:X] [profile:Y] [on|off] "
    "[text]",
    summary="List ad accounts, with a menu per account and bulk actions (quote names with "
    'spaces: `profile:"TikTok 2"`).',
    permission=Permission.VIEW,
    aliases=("list",),
)
async def accounts_command(call: Call) -> None:
    state = list_state(call.args, tuple(call.deps.core.catalog))
    try:
        payload = await render_accounts(call.deps, call.actor, state)
    except NotFound as exc:
        raise NotFound(
            exc.message + split_name_hint(call.args, exc.field), field=exc.field
        ) from None
    await call.reply(payload)


@registry.register(
    "profiles",
    usage="profiles [tiktok|mediago]",
    summary="Credential profiles: status, accounts, sync, re-authenticate.",
    permission=Permission.VIEW,
)
async def profiles_command(call: Call) -> None:
    provider = call.args[0].lower() if call.args else None
    if provider is not None and provider not in call.deps.core.catalog:
        raise InvalidInput(f"No provider named `{call.args[0][:40]}`.")
    cards = await call.deps.core.profiles.list_profiles(call.actor, provider)
    await call.reply(
        profiles_list(
            cards,
            can_manage=call.actor.can(Permission.MANAGE),
            oauth_providers=call.deps.oauth_providers,
            provider=provider,
        )
    )


async def send_oauth_link(
    deps: Deps,
    actor: Actor,
    *,
    provider: str,
    team_id: str,
    profile_id: int | None,
    tell: Any,
) -> None:
    """The link goes to the requester only (ephemeral or DM), never into a channel."""
    if not deps.public_url:
        raise InvalidInput("ADOPS_PUBLIC_URL is not set, so I cannot offer a sign-in link.")
    deps.sync.provider(provider)
    ticket = await deps.tickets.issue(
        actor,
        provider=provider,
        purpose="reauth" if profile_id else "connect",
        team_id=team_id,
        profile_id=profile_id,
    )
    url = f"{deps.public_url}/oauth/start?ticket={ticket}"
    what = (
        "re-authenticate this profile"
        if profile_id
        else f"connect a {provider_name(provider)} login"
    )
    text = f"Open this link to {what}. It is for you only and works once, within 10 minutes."
    await tell(
        message(
            text,
            [
                section(f":lock: {text}"),
                actions(
                    [
                        button(
                            "Sign in with " + provider_name(provider),
                            Action.LINK,
                            url=url,
                            style="primary",
                        )
                    ]
                ),
            ],
        )
    )


@registry.register(
    "connect tiktok",
    usage="connect tiktok",
    summary="Add a TikTok login (sends you a private sign-in link).",
    permission=Permission.MANAGE,
)
async def connect_tiktok(call: Call) -> None:
    await send_oauth_link(
        call.deps,
        call.actor,
        provider="tiktok",
        team_id=call.body.get("team_id", ""),
        profile_id=None,
        tell=call.reply,
    )


@registry.register(
    "connect mediago",
    usage="connect mediago",
    summary="Add MediaGo API credentials (opens a form).",
    permission=Permission.MANAGE,
)
async def connect_mediago(call: Call) -> None:
    call.deps.sync.provider("mediago")
    meta = ModalContext(response_url=call.body.get("response_url"), provider="mediago")
    await open_modal(
        call.client, call.body["trigger_id"], mediago_credentials_modal(meta, profile=None)
    )


@registry.register(
    "sync",
    usage="sync [profile]",
    summary="Pull in accounts that became reachable, for one profile or all.",
    permission=Permission.MANAGE,
)
async def sync_command(call: Call) -> None:
    core = call.deps.core
    if call.args:
        cards = [await core.profiles.resolve(call.actor, " ".join(call.args))]
    else:
        cards = [c for c in await core.profiles.list_profiles(call.actor) if c.active]
        if not cards:
            await call.reply(notice("No active profiles to sync."))
            return
    await call.reply(notice(f":hourglass_flowing_sand: Syncing {len(cards)} profile(s)…"))
    lines = []
    for card in cards:
        report = await call.deps.sync.sync_profile(call.actor, card.id)
        lines.append(sync_line(report))
    await call.reply(message("Sync finished", [section("\n".join(lines)[:2900])]), replace=True)


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


@registry.register(
    "trackers",
    usage="trackers",
    summary="Tracker connections (add, edit, delete) and the default tracker of each integration.",
    permission=Permission.VIEW,
)
async def trackers_command(call: Call) -> None:
    trackers = await call.deps.core.trackers.list_trackers(call.actor)
    defaults = await call.deps.core.trackers.integration_defaults(call.actor)
    await call.reply(
        trackers_message(trackers, defaults, can_manage=call.actor.can(Permission.MANAGE))
    )


@registry.register(
    "alerts",
    usage="alerts [here|#channel|off]",
    summary="Where token alerts go (a new channel is checked by posting there).",
    permission=Permission.VIEW,
)
async def alerts_command(call: Call) -> None:
    settings = call.deps.core.settings
    if not call.args:
        channel = await settings.alert_channel()
        where = f"<#{channel}>" if channel else "nowhere (off)"
        await call.reply(
            notice(f"Token alerts go to {where}. Change with `{COMMAND} alerts here|#channel|off`.")
        )
        return
    # Looking is for members, changing for admins; checked before the bot posts anywhere.
    call.actor.require(Permission.MANAGE)
    word = call.args[0]
    if word.lower() == "off":
        channel = None
    elif word.lower() == "here":
        channel = call.body.get("channel_id", "")
        if not channel.startswith(("C", "G")):
            raise InvalidInput(
                "Alerts need a channel; run this in one, or name it: `alerts #ad-ops`."
            )
    elif match := _CHANNEL.match(word):
        channel = match[1]
    else:
        raise InvalidInput("Say `here`, `off`, or name a channel like `#ad-ops`.")
    if channel is not None and channel != await settings.alert_channel():
        await announce_alerts(call, channel)
    await settings.set_alert_channel(call.actor, channel)
    where = f"<#{channel}>" if channel else "nowhere (off)"
    await call.reply(notice(f":white_check_mark: Token alerts now go to {where}."))


# What chat.postMessage answers for a channel the bot cannot post in
# (https://docs.slack.dev/reference/methods/chat.postMessage, and the fake in fakes/).
_CANNOT_POST = {
    "channel_not_found": "I cannot see {where}. If it is a private channel, invite me first "
    "(`/invite @adops`), then try again.",
    "not_in_channel": "I am not in {where}. Invite me first (`/invite @adops`), then try again.",
    "is_archived": "{where} is archived, so alerts posted there would reach nobody.",
}


async def announce_alerts(call: Call, channel: str) -> None:
    """Check the channel by the one test that cannot be wrong, posting there: a channel the bot
    cannot post in would swallow every alert. The post also tells the channel what it is for."""
    text = f":bell: Token alerts from adops will be posted here (set by <@{call.actor.id}>)."
    try:
        await without_retries(call.client).chat_postMessage(
            channel=channel, text=text, blocks=[section(text)]
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        where = f"<#{channel}>"
        reason = _CANNOT_POST.get(error, "Slack would not let me post in {where} ({error}).")
        raise InvalidInput(reason.format(where=where, error=error)) from None


@registry.register(
    "audit",
    usage="audit [account|profile|bulk id]",
    summary="Who changed what, from what to what, newest first; a bulk id (as bulk results "
    "show it) lists that operation.",
    permission=Permission.VIEW,
)
async def audit_command(call: Call) -> None:
    core = call.deps.core
    cursor = AuditCursor()
    if call.args:
        ref = " ".join(call.args)
        try:
            row = await core.accounts.resolve(call.actor, ref)
            cursor = AuditCursor(f"Changes to {row.label}"[:150], targets=(f"account:{row.id}",))
        except NotFound:
            try:
                card = await core.profiles.resolve(call.actor, ref)
                cursor = AuditCursor(
                    f"Changes to profile {card.name}"[:150], targets=(f"profile:{card.id}",)
                )
            except NotFound:
                bulk_id = await core.audit.resolve_bulk(call.actor, ref)
                if bulk_id is None:
                    raise NotFound(
                        f"No ad account or profile called {ref[:80]!r}, "
                        "and no bulk operation has that id."
                    ) from None
                cursor = AuditCursor(f"Bulk operation {bulk_id[:8]}", bulk_id=bulk_id)
    await call.reply(await audit_payload(call.deps, call.actor, cursor))


@registry.register(
    "admins",
    usage="admins [add|remove @user]",
    summary="Who may change things.",
    permission=Permission.VIEW,
)
async def admins_command(call: Call) -> None:
    roles = call.deps.core.roles
    if call.args:
        verb = call.args[0].lower()
        if verb not in ("add", "remove") or len(call.args) != 2:
            raise InvalidInput(
                f"Use `{COMMAND} admins add @user` or `{COMMAND} admins remove @user`."
            )
        match = _MENTION.match(call.args[1])
        if not match:
            raise InvalidInput("Name a Slack user, e.g. `@jane`.")
        user_id = match[1]
        if verb == "add":
            await roles.grant_admin(call.actor, user_id)
        else:
            await roles.revoke_admin(call.actor, user_id)
        done = "is now an admin" if verb == "add" else "is no longer an admin"
        await call.reply(notice(f":white_check_mark: <@{user_id}> {done}."))
        return
    admins = await roles.admins(call.actor)
    await call.reply(help_views.admins_message(admins))
