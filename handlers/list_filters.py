"""The accounts list's filters as people type them: `/adops accounts` words to the list state
a page is drawn from, and that state to the core's account filter."""

from __future__ import annotations

from bot.accounts import AccountFilter
from bot.errors import InvalidInput
from handlers.metadata import ListState
from handlers.registry import parse_options

MAX_FILTER_TEXT = 100
MAX_FILTER_TAGS = 5
FILTER_KEYS = ("status", "tag", "profile")


def filters_usage(providers: tuple[str, ...]) -> str:
    words = ", ".join(f"`{p}`" for p in providers)
    return (
        "Filters: `status:active|archived|all`, `tag:X`, `profile:Y` (a name with spaces in "
        f'quotes: `profile:"TikTok 2"`); and as plain words {words}, `on`, `off`, and any text '
        "to search for."
    )


def list_state(args: list[str], providers: tuple[str, ...]) -> ListState:
    options, rest = parse_options(args, FILTER_KEYS, usage=filters_usage(providers))
    provider = None
    enabled = None
    words = []
    for word in rest:
        lowered = word.lower()
        if lowered in providers and provider is None:
            provider = lowered
        elif lowered in ("on", "off") and enabled is None:
            enabled = lowered == "on"
        else:
            words.append(word)
    status = (options.get("status") or ["active"])[-1].lower()
    if status not in ("active", "archived", "all"):
        raise InvalidInput("`status:` must be `active`, `archived` or `all`.")
    tags = tuple(options.get("tag", ()))
    if len(tags) > MAX_FILTER_TAGS:
        raise InvalidInput(f"At most {MAX_FILTER_TAGS} `tag:` filters at once.")
    text = " ".join(words) or None
    if text and len(text) > MAX_FILTER_TEXT:
        raise InvalidInput(f"Search text is limited to {MAX_FILTER_TEXT} characters.")
    profile = (options.get("profile") or [None])[-1]
    if profile and len(profile) > 80:
        raise InvalidInput("That profile name is too long.")
    return ListState(
        provider=provider, status=status, tags=tags, profile=profile, enabled=enabled, text=text
    )


def account_filter(state: ListState) -> AccountFilter:
    return AccountFilter(
        provider=state.provider,
        status=state.status,  # type: ignore[arg-type]
        tags=state.tags,
        profile=state.profile,
        enabled=state.enabled,
        text=state.text,
    )


def split_name_hint(args: list[str], key: str | None) -> str:
    """When a `tag:`/`profile:` filter found nothing and a plain word follows it, the name most
    likely had a space in it (`profile:TikTok 2`): say how to quote it."""
    for at, word in enumerate(args[:-1]):
        name, sep, value = word.partition(":")
        following = args[at + 1]
        if key and sep and name.lower() == key and ":" not in following:
            return f' If the name has spaces, put it in quotes: `{key}:"{value} {following}"`.'
    return ""
