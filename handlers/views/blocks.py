"""Small Block Kit constructors that keep every string inside Slack's limits.

Names come from people and providers, so every piece of user text is escaped (no surprise
`<!channel>`) and truncated at the limit of the field it lands in.
"""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
HEADER_MAX = 150
MODAL_TITLE_MAX = 24
PLACEHOLDER_MAX = 150
CONTEXT_ELEMENT_MAX = 2000
MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100


def trunc(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: str) -> str:
    """Escape user text for mrkdwn: Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The mentions the bot's own messages hold: a user or a channel by bare id, never a label.
_OWN_MENTION = re.compile(r"(<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+>)")


def esc_quoting(text: str) -> str:
    """Escape a message that may quote what someone typed or a provider said (an error, a
    refusal), keeping the bare user and channel mentions the bot writes itself: a quoted
    `<!channel>` or `<https://…|link>` reads as text."""
    parts = _OWN_MENTION.split(text)
    return "".join(part if n % 2 else esc(part) for n, part in enumerate(parts))


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": trunc(text, limit) or " ", "emoji": True}


def md(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": trunc(text, limit) or " "}


def section(
    text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None
) -> Block:
    block: Block = {"type": "section", "text": md(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(items: list[str]) -> Block:
    return {"type": "section", "fields": [md(i, FIELD_MAX) for i in items[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [md(t, CONTEXT_ELEMENT_MAX) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(elements: list[dict[str, Any]], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    url: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str = "Cancel") -> dict[str, Any]:
    return {
        "title": plain(title, 100),
        "text": md(text, 300),
        "confirm": plain(confirm, 30),
        "deny": plain(deny, 30),
        "style": "danger",
    }


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    if len(value) > OPTION_VALUE_MAX:
        raise ValueError("option value over Slack's 150 characters")
    result: dict[str, Any] = {"text": plain(text, OPTION_TEXT_MAX), "value": value}
    if description:
        result["description"] = plain(description, OPTION_TEXT_MAX)
    return result


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload with a notification fallback text."""
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        raise ValueError(f"{len(blocks)} blocks in one message (Slack allows 50)")
    return {"text": trunc(text, 3000), "blocks": blocks}


def modal(
    callback_id: str,
    title: str,
    blocks: list[Block],
    *,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str = "",
    external_id: str | None = None,
) -> dict[str, Any]:
    if len(blocks) > MODAL_BLOCKS_MAX:
        raise ValueError(f"{len(blocks)} blocks in one modal (Slack allows 100)")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(close, 24),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, 24)
    if external_id:
        view["external_id"] = external_id
    return view


def text_input(
    block_id: str,
    label: str,
    action_id: str,
    *,
    initial: str | None = None,
    placeholder: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = trunc(initial, max_length or 3000)
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    if max_length:
        element["max_length"] = max_length
    return input_block(block_id, label, element, optional=optional, hint=hint)


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def notice(text: str) -> dict[str, Any]:
    """A one-section message, for short confirmations and refusals."""
    return message(text, [section(text)])
