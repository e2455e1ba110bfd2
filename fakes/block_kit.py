"""Slack's Block Kit rules, as the fake Slack enforces them: what real Slack refuses, and why.

Each rule cites where it comes from. Pages under https://docs.slack.dev/reference/block-kit/ are
abbreviated `BK/` (e.g. `BK/blocks/section-block`); `MODALS` is
https://docs.slack.dev/surfaces/modals; `SDK` is slack_sdk 3.48's models
(`slack_sdk/models/blocks/*.py`, `slack_sdk/models/views/__init__.py`), whose validators mirror
the reference pages; `RESEARCH` is shared/research/slack.md and slack-blockkit-rules.md. Where
no source says what Slack does, the rule says so and stays strict: a fake that accepts more than
Slack hides the bug until a real workspace finds it.

The checker returns every problem it finds instead of stopping at the first, so a refused
surface in a test names all that is wrong with it. On top of these rules, every surface also goes
through slack_sdk's own parser and validators (`_sdk_problems`), as one more input.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from fakes.block_checks import Check, Problem
from fakes.block_limits import (
    CALLBACK_ID,
    MESSAGE_BLOCK_TYPES,
    MESSAGE_BLOCKS,
    MESSAGE_BLOCKS_TEXT,
    MESSAGE_TEXT,
    PRIVATE_METADATA,
    SELECT_OPTIONS,
    UPDATE_TEXT,
    VIEW_BLOCK_TYPES,
    VIEW_BLOCKS,
    VIEW_BUTTON,
    VIEW_BYTES,
    VIEW_FIELDS,
    VIEW_TITLE,
)

__all__ = ["Problem", "message_problems", "options_ack_problems", "view_problems"]


def _all_text(node: Any) -> int:
    if isinstance(node, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else _all_text(v) for k, v in node.items()
        )
    if isinstance(node, list):
        return sum(_all_text(v) for v in node)
    return 0


def _sdk_problems(check: Check, blocks: Any, where: str, view: dict[str, Any] | None) -> None:
    """slack_sdk's own validators, as one more input (research/slack.md §3.1)."""
    try:
        if view is not None:
            View(**view).to_dict()
        elif isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks):
            for parsed in Block.parse_all(blocks):
                if parsed is not None:
                    parsed.to_dict()
    except (SlackObjectFormationError, TypeError, KeyError, AttributeError) as exc:
        check.fail("sdk", where, str(exc)[:300])


def message_problems(
    payload: dict[str, Any], *, method: str = "chat.postMessage"
) -> tuple[list[Problem], list[Problem]]:
    """What Slack refuses in a message (chat.postMessage, chat.postEphemeral, chat.update, a
    response_url post, a command's ack), and what it accepts but should not be sent.

    The second list holds the fallback-text rule: https://docs.slack.dev/reference/methods/
    chat.postMessage says `text` "is used as a fallback string for notifications" and is
    "highly recommended" with blocks; Slack posts without it, and slack_sdk warns
    (`_warn_if_message_text_content_is_missing`). A message that notifies nobody readably is a
    bug here, so the fake reports it, without refusing the post.
    """
    check = Check()
    blocks = payload.get("blocks")
    text = payload.get("text")
    if blocks is not None:
        check.blocks(blocks, "blocks", limit=MESSAGE_BLOCKS, allowed=MESSAGE_BLOCK_TYPES)
        _sdk_problems(check, blocks, "blocks", None)
    if isinstance(blocks, list) and _all_text(blocks) > MESSAGE_BLOCKS_TEXT:
        check.fail(
            "message.blocks_text", "blocks", f"{_all_text(blocks)} characters of text in all"
        )
    if isinstance(text, str):
        limit = UPDATE_TEXT if method == "chat.update" else MESSAGE_TEXT
        if len(text) > limit:
            check.fail("message.text_length", "text", f"{len(text)} characters (limit {limit})")
    warnings = Check()
    if blocks and not (isinstance(text, str) and text.strip()):
        warnings.fail("message.fallback_text", "text", "blocks without a fallback `text`")
    return check.problems, warnings.problems


def view_problems(view: Any) -> list[Problem]:
    """What views.open / views.push / views.update (and an ack's `view`) refuse, with
    `invalid_arguments`."""
    check = Check()
    if not isinstance(view, dict):
        check.fail("view.type", "view", "not a view object")
        return check.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.fail("view.type", "view.type", f"{kind!r} (modal or home)")
    if extra := sorted(set(view) - VIEW_FIELDS):
        check.fail("view.field", "view", f"invalid additional property {extra[0]}")
    if len(json.dumps(view, ensure_ascii=False).encode()) > VIEW_BYTES:
        check.fail("view.size", "view", "larger than 250 kB")
    if kind == "modal":
        check.text(view.get("title"), "view.title", limit=VIEW_TITLE, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            check.text(view[key], f"view.{key}", limit=VIEW_BUTTON, plain_only=True)
    blocks = view.get("blocks")
    check.blocks(blocks, "view.blocks", limit=VIEW_BLOCKS, allowed=VIEW_BLOCK_TYPES)
    if (
        kind == "modal"
        and isinstance(blocks, list)
        and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        and "submit" not in view
    ):
        # MODALS: submit is "required when an input block is within the blocks array".
        check.fail("view.submit", "view.submit", "a modal with inputs needs a submit button")
    metadata = view.get("private_metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) > PRIVATE_METADATA):
        check.fail("view.private_metadata", "view.private_metadata", "a string of ≤3000")
    for key in ("callback_id", "external_id"):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > CALLBACK_ID):
            check.fail(f"view.{key}", f"view.{key}", "a string of ≤255")
    _sdk_problems(check, blocks, "view", view)
    return check.problems


def input_block_ids(view: dict[str, Any]) -> set[str]:
    return {
        b["block_id"]
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input" and isinstance(b.get("block_id"), str)
    }


def submission_ack_problems(ack: Any, submitted: dict[str, Any]) -> list[Problem]:
    """The body a view_submission is acked with. MODALS, "Responding to view submissions":
    empty, or a `response_action` of update/push (with a view), clear, or errors, whose keys are
    "the block_id of an input block" in the submitted view; Slack shows nothing for any other key
    and answers the app with an error (research/slack.md §7, "Custom errors not shown")."""
    check = Check()
    if ack in (None, "", {}):
        return []
    if not isinstance(ack, dict):
        check.fail("ack.type", "ack", "not a JSON object")
        return check.problems
    action = ack.get("response_action")
    if action in ("update", "push"):
        return view_problems(ack.get("view"))
    if action == "errors":
        errors = ack.get("errors")
        if not isinstance(errors, dict) or not errors:
            check.fail("ack.errors", "ack.errors", "errors must be a non-empty object")
            return check.problems
        present = input_block_ids(submitted)
        for block_id, text in errors.items():
            if block_id not in present:
                check.fail("ack.errors_block", f"ack.errors.{block_id}", "no such input block")
            if not isinstance(text, str) or not text:
                check.fail("ack.errors_text", f"ack.errors.{block_id}", "empty error message")
        return check.problems
    if action != "clear":
        check.fail("ack.response_action", "ack", f"response_action {action!r}")
    return check.problems


def options_ack_problems(ack: Any) -> list[Problem]:
    """An options load is answered with `options` (≤100) or `option_groups`
    (BK/block-elements/select-menu-element, "external data source")."""
    check = Check()
    if not isinstance(ack, dict):
        check.fail("ack.type", "ack", "not a JSON object")
        return check.problems
    if not ack.get("options") and not ack.get("option_groups"):
        return []  # "no options": Slack shows an empty menu
    check.options(ack, "ack", bounds=(0, SELECT_OPTIONS), plain_only=True, groups_allowed=True)
    return check.problems
