"""The /adops subcommand registry: matching, aliases, quoting, and generated help."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.permissions import Permission
from handlers.commands import list_state, registry
from handlers.registry import UnknownSubcommand
from tests.support import ADMIN, GUEST, MEMBER


def test_longest_match_wins_and_aliases_work():
    assert registry.parse("connect tiktok").subcommand.slug == "connect tiktok"
    assert registry.parse("CONNECT MediaGo extra").args == ["extra"]
    assert registry.parse("list tiktok").subcommand.slug == "accounts"
    assert registry.parse("").subcommand.slug == "help"
    assert registry.parse("?").subcommand.slug == "help"


def test_unknown_and_malformed_input():
    with pytest.raises(UnknownSubcommand, match="launch"):
        registry.parse("launch rockets")
    with pytest.raises(UnknownSubcommand):
        registry.parse("connect")
    with pytest.raises(InvalidInput, match="quote"):
        registry.parse('accounts tag:"unclosed')
    with pytest.raises(InvalidInput, match="too long"):
        registry.parse("accounts " + "x" * 1000)


def test_smart_quotes_group_words():
    invocation = registry.parse("accounts tag:“VIP client” shop")
    state = list_state(invocation.args, ("tiktok", "mediago"))
    assert (state.tags, state.text) == (("VIP client",), "shop")


def test_list_filters_parse():
    state = list_state(
        ["mediago", "status:ALL", "tag:a", "tag:b", "profile:Main", "off", "news", "eu"],
        ("tiktok", "mediago"),
    )
    assert (state.provider, state.status, state.tags, state.profile, state.enabled, state.text) == (
        "mediago",
        "all",
        ("a", "b"),
        "Main",
        False,
        "news eu",
    )
    with pytest.raises(InvalidInput, match="status"):
        list_state(["status:deleted"], ("tiktok",))
    with pytest.raises(InvalidInput, match="needs a value"):
        list_state(["tag:"], ("tiktok",))


def test_help_is_generated_from_the_registry_and_filtered_by_permission():
    admin_help = "\n".join(registry.help_lines(ADMIN.can))
    for command in registry.commands:
        assert f"/adops {command.usage}" in admin_help
    member_help = "\n".join(registry.help_lines(MEMBER.can))
    assert "connect tiktok" not in member_help and "accounts" in member_help
    assert registry.help_lines(GUEST.can) == [
        line for line in registry.help_lines() if line.startswith("`/adops help")
    ]
    assert all(c.permission in Permission for c in registry.commands)
