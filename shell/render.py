"""Block Kit as terminal text.

Everything a person could click in Slack gets a number here, so that typing the number does what
the click would: the renderer returns the text and the list of `Pressable`s it numbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EMOJI = {
    ":warning:": "⚠",
    ":white_check_mark:": "✔",
    ":x:": "✖",
    ":rotating_light:": "🚨",
    ":hourglass_flowing_sand:": "⏳",
    ":bell:": "🔔",
    ":no_entry:": "⛔",
    ":link:": "🔗",
    ":lock:": "🔒",
    ":information_source:": "ℹ",
    ":gear:": "⚙",
    ":label:": "🏷",
    ":wastebasket:": "🗑",
    ":truck:": "🚚",
    ":double_vertical_bar:": "⏸",
}
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<([^<>|]+)>")
_EMOJI = re.compile(r":[a-z0-9_+-]+:")
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])")


@dataclass
class Pressable:
    """One clickable thing: a button, an overflow/select option, or a link button."""

    number: int
    label: str
    action: dict[str, Any]
    surface: Any
    url: str | None = None
    confirm: dict[str, Any] | None = None


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    pressables: list[Pressable] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def mrkdwn(text: str) -> str:
    """Slack mrkdwn to plain text: links, dates, mentions and a few emoji made readable."""

    def bare(match: re.Match[str]) -> str:
        inner = match[1]
        if inner.startswith(("@", "#")):
            return inner
        if inner.startswith("!"):
            return "@" + inner[1:].split("^")[0]
        return inner

    def link(match: re.Match[str]) -> str:
        target, label = match[1], match[2]
        if target.startswith("!date^"):
            return label
        if target.startswith(("@", "#")):
            return label if label.startswith(("@", "#")) else "@" + label
        return f"{label} ({target})"

    text = _BARE.sub(bare, _LINK.sub(link, text))
    text = _EMOJI.sub(lambda m: EMOJI.get(m[0], m[0]), _BOLD.sub(r"\1", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn(raw) if obj.get("type") == "mrkdwn" else raw


class Numberer:
    """Hands out numbers that stay valid for the whole session, so an older button can still be
    pressed after newer output scrolled past it."""

    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        number, self.next = self.next, self.next + 1
        return number


def _option_label(option: dict[str, Any]) -> str:
    label = _text(option.get("text"))
    description = _text(option.get("description"))
    return f"{label} — {description}" if description else label


def _element(element: dict[str, Any], numbers: Numberer, surface: Any) -> Rendered:
    """The element's pressables and their labels, as `[n] label` pieces for one line."""
    out = Rendered()
    kind = element.get("type")
    if kind == "button":
        number = numbers.take()
        label = _text(element.get("text"))
        url = element.get("url")
        confirm = element.get("confirm")
        shown = label + (" ↗" if url else "") + (" (asks first)" if confirm else "")
        out.lines.append(f"[{number}] {shown}")
        out.pressables.append(Pressable(number, label, element, surface, url, confirm))
    elif kind in ("overflow", "static_select", "radio_buttons"):
        for option in element.get("options", []):
            number = numbers.take()
            label = _option_label(option)
            out.lines.append(f"[{number}] {label}")
            chosen = {**element, "selected_option": option}
            out.pressables.append(Pressable(number, label, chosen, surface))
    return out


def _controls(
    elements: list[dict[str, Any]], out: Rendered, numbers: Numberer, surface: Any, lead: str
) -> None:
    """Controls on as few lines as fit, the way Slack lays out a row of buttons."""
    line = lead
    for element in elements:
        piece = _element(element, numbers, surface)
        out.pressables += piece.pressables
        for item in piece.lines:
            if len(line) + len(item) > 100 and line.strip(" ⋯"):
                out.lines.append(line.rstrip())
                line = " " * len(lead)
            line += item + "  "
    if line.strip(" ⋯"):
        out.lines.append(line.rstrip())


def blocks(blocks_: list[dict[str, Any]], numbers: Numberer, surface: Any) -> Rendered:
    """Message and modal blocks, except input blocks (the modal filler asks for those)."""
    out = Rendered()
    for block in blocks_:
        kind = block.get("type")
        if kind == "header":
            title = _text(block.get("text"))
            out.lines += [title.upper(), "=" * min(len(title), 60)]
        elif kind == "section":
            if block.get("text"):
                out.lines += _text(block["text"]).splitlines() or [""]
            for item in block.get("fields", []):
                out.lines.append("  " + _text(item).replace("\n", " "))
            if block.get("accessory"):
                _controls([block["accessory"]], out, numbers, surface, "    ⋯ ")
        elif kind == "context":
            parts = [_text(e) for e in block.get("elements", []) if e.get("type") != "image"]
            out.lines.append("  · " + " ".join(parts))
        elif kind == "divider":
            out.lines.append("  " + "─" * 40)
        elif kind == "actions":
            _controls(block.get("elements", []), out, numbers, surface, "  ")
    return out


def option_values(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    return options


def option_text(option: dict[str, Any]) -> str:
    return _option_label(option)
