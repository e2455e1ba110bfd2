"""The `/adops` subcommand registry: slugs with aliases, longest match first, help generated from
the table so it cannot drift from the code."""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from difflib import get_close_matches

from bot.errors import InvalidInput
from bot.permissions import Permission

COMMAND = "/adops"
MAX_COMMAND_TEXT = 1000
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
# Slack sends a command's text with the `&`, `<` and `>` people typed as entities, so every `<…>`
# left in it is one of Slack's own tokens: `<@U…|name>`, `<#C…|name>`, `<https://…>`
# (research/slack.md, "Checked again on 2026-12-04"; tests/data/slack/README.md).
_SLACK_TOKEN = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# While the words are split, each token stands in as a private-use placeholder, so that a
# quote or a space inside one (`<https://shop.example/it's>`) cannot split the words.
_HELD = re.compile("\ue000(\\d+)\ue001")

Handler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    slug: str
    usage: str
    summary: str
    permission: Permission
    handler: Handler
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.slug, *self.aliases)


@dataclass(frozen=True)
class Invocation:
    subcommand: Subcommand
    args: list[str]


@dataclass
class Registry:
    commands: list[Subcommand] = field(default_factory=list)

    def register(
        self,
        slug: str,
        *,
        usage: str,
        summary: str,
        permission: Permission,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            taken = {name for command in self.commands for name in command.names}
            clash = taken & {slug, *aliases}
            if clash:
                raise ValueError(f"subcommand name(s) registered twice: {sorted(clash)}")
            self.commands.append(Subcommand(slug, usage, summary, permission, handler, aliases))
            return handler

        return decorate

    def parse(self, text: str) -> Invocation:
        """Split the command text as Slack sends it (quotes allowed, smart quotes too) into the
        words the person typed, and find the longest registered name they start with. Empty text
        means `help`. Slack's tokens come through whole, as Slack wrote them."""
        words = split_words(text)
        if not words:
            words = ["help"]
        lowered = [w.lower() for w in words]
        candidates = sorted(
            ((name, command) for command in self.commands for name in command.names),
            key=lambda item: -len(item[0].split()),
        )
        for name, command in candidates:
            parts = name.split()
            if lowered[: len(parts)] == parts:
                return Invocation(command, words[len(parts) :])
        raise UnknownSubcommand(words[0])

    def help_lines(self, can: Callable[[Permission], bool] = lambda _p: True) -> list[str]:
        lines = []
        for command in self.commands:
            if not can(command.permission):
                continue
            alias = f" (also: {', '.join(command.aliases)})" if command.aliases else ""
            lines.append(f"`{COMMAND} {command.usage}`  {command.summary}{alias}")
        return lines


def split_words(text: str) -> list[str]:
    """The typed words of a command's text: entities decoded outside Slack's own tokens."""
    tokens: list[str] = []

    def hold(match: re.Match[str]) -> str:
        tokens.append(match[0])
        return f"\ue000{len(tokens) - 1}\ue001"

    held = _SLACK_TOKEN.sub(hold, text.replace("\ue000", "").replace("\ue001", ""))
    typed = _ENTITY.sub(lambda m: _ENTITIES[m[1]], held)

    def restore(words: str) -> str:
        return _HELD.sub(lambda m: tokens[int(m[1])], words)

    if len(restore(typed)) > MAX_COMMAND_TEXT:
        raise InvalidInput(f"That command is too long (limit {MAX_COMMAND_TEXT} characters).")
    try:
        words = shlex.split(typed.translate(_SMART_QUOTES))
    except ValueError:
        raise InvalidInput("A quote is not closed in that command.") from None
    return [restore(word) for word in words]


class UnknownSubcommand(InvalidInput):
    def __init__(self, word: str) -> None:
        super().__init__(f"I don't know `{word[:40]}`.")
        self.word = word


def parse_options(
    args: list[str], keys: tuple[str, ...], *, usage: str = ""
) -> tuple[dict[str, list[str]], list[str]]:
    """`key:value` words for the given keys, and the other words in order.

    A word whose key is not one of them but close to one (`stauts:archived`) is refused as a
    misspelt filter, naming the filters (`usage`, or just the keys), rather than quietly
    searched for; other words with a colon (an account named "Shop:DE") stay text."""
    options: dict[str, list[str]] = {}
    rest = []
    for word in args:
        key, sep, value = word.partition(":")
        lowered = key.lower()
        if sep and lowered in keys:
            if not value.strip():
                raise InvalidInput(f"`{key}:` needs a value, e.g. `{key}:something`.")
            options.setdefault(lowered, []).append(value.strip())
            continue
        near = get_close_matches(lowered, keys, n=1, cutoff=0.6) if sep and key.isalpha() else []
        if near and value.strip():
            known = usage or ", ".join(f"`{k}:`" for k in keys)
            raise InvalidInput(
                f"I don't know the filter `{key[:40]}:` (did you mean `{near[0]}:`?). {known}"
            )
        rest.append(word)
    return options, rest
