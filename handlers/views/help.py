"""Help (generated from the subcommand registry) and the admins list."""

from __future__ import annotations

from typing import Any

from bot.permissions import Actor, Permission
from bot.roles import AdminList
from handlers.registry import COMMAND, Registry
from handlers.views.blocks import context, esc_quoting, message, section


def help_message(registry: Registry, actor: Actor, *, error: str | None = None) -> dict[str, Any]:
    lines = registry.help_lines(actor.can)
    blocks = []
    if error:
        error = esc_quoting(error)  # it may quote the command as typed
        blocks.append(section(f":warning: {error}"))
    blocks.append(section(f"*{COMMAND}* — ad-network integrations from Slack\n" + "\n".join(lines)))
    if not actor.can(Permission.MANAGE):
        blocks.append(context("Some commands are only shown to adops admins."))
    return message(error or f"{COMMAND} help", blocks)


def admins_message(admins: AdminList) -> dict[str, Any]:
    configured = ", ".join(f"<@{u}>" for u in admins.configured) or "none"
    granted = ", ".join(f"<@{u}>" for u in admins.granted) or "none"
    text = f"*Admins*\nConfigured (ADOPS_ADMINS): {configured}\nAdded in Slack: {granted}" + (
        "\nWith none configured, this workspace's owners and admins are adops admins too "
        "(not those of a workspace connected through Slack Connect)."
        if not admins.configured
        else ""
    )
    return message("Admins", [section(text), context(f"`{COMMAND} admins add|remove @user`")])
