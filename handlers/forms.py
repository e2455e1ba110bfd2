"""Reading submitted modal values, and reporting back to whoever submitted the form."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import InvalidInput
from bot.text import row_id
from handlers.ids import INPUT_ACTION
from handlers.metadata import ModalContext
from handlers.replies import tell


def _element(view: dict[str, Any], block_id: str, action_id: str = INPUT_ACTION) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    element = (values.get(block_id) or {}).get(action_id)
    return element if isinstance(element, dict) else {}


def text_value(view: dict[str, Any], block_id: str) -> str:
    value = _element(view, block_id).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected(view: dict[str, Any], block_id: str, action_id: str = INPUT_ACTION) -> str | None:
    option = _element(view, block_id, action_id).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def selected_many(view: dict[str, Any], block_id: str, action_id: str = INPUT_ACTION) -> list[str]:
    options = _element(view, block_id, action_id).get("selected_options")
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]


def offered_values(view: dict[str, Any], block_id: str) -> list[str]:
    """The option values an input offered, read from the submitted view itself: Slack sends the
    view as it was shown, so this is what the person chose from, whatever changed since."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            element = block.get("element")
            if not isinstance(element, dict):
                return []
            groups = element.get("option_groups")
            options = [element.get("options")] + (
                [g.get("options") for g in groups if isinstance(g, dict)]
                if isinstance(groups, list)
                else []
            )
            return [
                o["value"]
                for listed in options
                if isinstance(listed, list)
                for o in listed
                if isinstance(o, dict) and isinstance(o.get("value"), str)
            ]
    return []


def inline_errors(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Errors a modal can show: Slack shows an error only under an input block of the view
    (`fakes/block_kit.py`, submission acks), so one about an input the view lacks (say, the
    profile picker of a form shown when no profile was active) goes under the first input."""
    present = [
        b["block_id"]
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input" and isinstance(b.get("block_id"), str)
    ]
    shown: dict[str, str] = {}
    for block_id, text in errors.items():
        target = block_id if block_id in present else (present[0] if present else block_id)
        shown[target] = f"{shown[target]} {text}" if target in shown else text
    return shown


def picked(body: dict[str, Any]) -> str:
    """The option chosen in the menu that was clicked. Bolt routes by action_id alone, so a click
    that is not a menu choice can reach a menu's listener; it gets an answer, not a crash."""
    action = (body.get("actions") or [{}])[0]
    option = action.get("selected_option") if isinstance(action, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    if not isinstance(value, str):
        raise InvalidInput("That choice did not come through. Please pick it again.")
    return value


def int_values(values: list[str]) -> list[int]:
    return [number for v in values if (number := row_id(v)) is not None]


async def tell_submitter(
    body: dict[str, Any],
    client: AsyncWebClient,
    meta: ModalContext,
    payload: dict[str, Any],
) -> None:
    """Modals have no response_url of their own; the list or command they came from lent us its
    one in the metadata. Without it, a DM."""
    respond = AsyncRespond(response_url=meta.response_url) if meta.response_url else None
    await tell(body, client, respond, payload["text"], payload.get("blocks"))
