"""`/adops` and its subcommands. Each subcommand parses its words, calls the core, and renders;
the registry builds `help` from the `register` calls below."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput, NotFound
from bot.permissions import Actor, Permission, denial_text
from bot.services import Services
from handlers.audit import audit_payload
from handlers.clients import without_retries
from handlers.ids import Action
from handlers.list_filters import list_state, split_name_hint
from handlers.lists import render_accounts
from handlers.loading import open_modal
from handlers.metadata import AuditCursor, ModalContext
from handlers.registry import COMMAND, Registry
from handlers.replies import UNVERIFIED, tell
from handlers.signin import send_oauth_link
from handlers.transport.listener import listener
from handlers.views import help as help_views
from handlers.views.blocks import notice, section
from handlers.views.help import help_message
from handlers.views.modals import mediago_credentials_modal
from handlers.views.profiles import profiles_list
from handlers.views.trackers import trackers_message

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")

registry = Registry()


@dataclass
class Call:
    services: Services
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


@registry.register(
    "help", usage="help", summary="What I can do.", permission=Permission.HELP, aliases=("?",)
)
async def help_command(call: Call) -> None:
    await call.reply(help_views.help_message(registry, call.actor))


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
    state = list_state(call.args, tuple(call.services.catalog))
    try:
        payload = await render_accounts(call.services, call.actor, state)
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
    if provider is not None and provider not in call.services.catalog:
        raise InvalidInput(f"No provider named `{call.args[0][:40]}`.")
    cards = await call.services.profiles.list_profiles(call.actor, provider)
    await call.reply(
        profiles_list(
            cards,
            can_manage=call.actor.can(Permission.MANAGE),
            oauth_providers=call.services.oauth_providers,
            provider=provider,
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
        call.services,
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
    call.services.sync.provider("mediago")
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
    """The syncs run in the scheduler process, which replaces this reply with their outcome."""
    services = call.services
    if call.args:
        cards = [await services.profiles.resolve(call.actor, " ".join(call.args))]
    else:
        cards = [c for c in await services.profiles.list_profiles(call.actor) if c.active]
        if not cards:
            await call.reply(notice("No active profiles to sync."))
            return
    await services.sync_requests.request(
        call.actor, [c.id for c in cards], reply_url=call.body.get("response_url")
    )
    await call.reply(notice(f":hourglass_flowing_sand: Syncing {len(cards)} profile(s)…"))


@registry.register(
    "trackers",
    usage="trackers",
    summary="Tracker connections (add, edit, delete) and the default tracker of each integration.",
    permission=Permission.VIEW,
)
async def trackers_command(call: Call) -> None:
    trackers = await call.services.trackers.list_trackers(call.actor)
    defaults = await call.services.trackers.integration_defaults(call.actor)
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
    settings = call.services.settings
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
    core = call.services
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
    await call.reply(await audit_payload(call.services, call.actor, cursor))


@registry.register(
    "admins",
    usage="admins [add|remove @user]",
    summary="Who may change things.",
    permission=Permission.VIEW,
)
async def admins_command(call: Call) -> None:
    roles = call.services.roles
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


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    @listener
    async def adops(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        actor = context.get("actor")
        if actor is None:
            await ack(response_type="ephemeral", text=UNVERIFIED)
            return
        try:
            invocation = registry.parse(body.get("text") or "")
        except InvalidInput as exc:
            await ack(response_type="ephemeral", **help_message(registry, actor, error=exc.message))
            return
        if not actor.can(invocation.subcommand.permission):
            verified = context.get("actor_verified", True)
            await ack(
                response_type="ephemeral",
                text=denial_text(invocation.subcommand.permission) if verified else UNVERIFIED,
            )
            return
        await ack()
        await invocation.subcommand.handler(
            Call(services, actor, invocation.args, body, client, respond)
        )

    @app.action(Action.LINK)
    @listener
    async def link_clicked(ack: Any) -> None:
        """A link button still sends a click; there is nothing to do but ack it."""
        await ack()
