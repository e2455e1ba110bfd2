"""Small Block Kit constructors that keep every string inside Slack's limits.

Names come from people and providers, so every piece of user text is escaped (no surprise
`<!channel>`) and truncated at the limit of the field it lands in.
"""

from __future__ import annotations

import copy
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
# Slack refused messages with about 13 200 characters of text across their blocks (bolt-js#2509);
# the fake Slack refuses from 12 000 on, and messages are kept below both.
MESSAGE_TEXT_BUDGET = 11_000
MIN_CUT = 200
MODAL_BLOCKS_MAX = 100
SELECT_OPTIONS_MAX = 100
SELECT_GROUPS_MAX = 10


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
    """A confirmation dialog; all its texts are plain (the reference page now says plain_text
    for `text` too), so names in it need no escaping."""
    return {
        "title": plain(title, 100),
        "text": plain(text, 300),
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


def select_choices(
    first: list[dict[str, Any]], rest: list[dict[str, Any]], *, what: str, first_label: str
) -> dict[str, Any]:
    """The `options` of a static select, or, past the 100 a list holds, its `option_groups`:
    `first` in a group of its own, then `rest` a hundred to a group (each group holds 100 too,
    BK/block-elements/select-menu-element). Ten groups keep a view well under Slack's 250 kB;
    what is beyond them is left out, so a caller puts whatever must stay offered (the current
    choice) into `first`."""
    if len(first) + len(rest) <= SELECT_OPTIONS_MAX:
        return {"options": first + rest}
    groups = [{"label": plain(first_label, OPTION_TEXT_MAX), "options": first}] if first else []
    for start in range(0, len(rest), SELECT_OPTIONS_MAX)[: SELECT_GROUPS_MAX - len(groups)]:
        chunk = rest[start : start + SELECT_OPTIONS_MAX]
        label = f"{what} {start + 1}–{start + len(chunk)}"
        groups.append({"label": plain(label, OPTION_TEXT_MAX), "options": chunk})
    return {"option_groups": groups}


def offered(choices: dict[str, Any]) -> list[dict[str, Any]]:
    """Every option of a select's `options` or `option_groups`."""
    if "options" in choices:
        return list(choices["options"])
    return [o for group in choices["option_groups"] for o in group["options"]]


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload with a notification fallback text, its blocks within the text budget."""
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        raise ValueError(f"{len(blocks)} blocks in one message (Slack allows 50)")
    return {"text": trunc(text, 3000), "blocks": within_budget(copy.deepcopy(blocks))}


def within_budget(blocks: list[Block], budget: int = MESSAGE_TEXT_BUDGET) -> list[Block]:
    """Slack refuses a message whose blocks hold too much text in all, however each block keeps
    to its own limit (`msg_blocks_too_long`, fakes/block_kit.py). Section and context texts, the
    ones that carry names and reasons, are cut, longest first, so ten rows of long names still
    show every row; buttons and menus are left whole."""
    cuttable = [
        obj
        for block in blocks
        if block["type"] in ("section", "context")
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        if isinstance(obj, dict) and isinstance(obj.get("text"), str)
    ]
    over = _text_size(blocks) - budget
    while over > 0 and cuttable:
        longest = max(cuttable, key=lambda t: len(t["text"]))
        size = len(longest["text"])
        if size <= MIN_CUT:
            break
        longest["text"] = trunc(longest["text"], max(MIN_CUT, size - over))
        over -= size - len(longest["text"])
    return blocks


def _text_size(node: Any) -> int:
    if isinstance(node, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else _text_size(v) for k, v in node.items()
        )
    if isinstance(node, list):
        return sum(_text_size(v) for v in node)
    return 0


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
