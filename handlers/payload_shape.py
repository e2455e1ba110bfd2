"""The shape of an interaction payload, checked before Bolt reads it.

Slack only ever sends well-formed payloads; but Bolt itself raises (and answers 500) on some
impossible shapes, such as a view_submission whose `view` is not an object, and listeners read
the fields Slack always sends without asking whether they are there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

_OBJECTS = ("user", "team", "view", "container", "channel", "message", "state", "enterprise")
# Slack sends `"enterprise": null` outside Enterprise Grid, and `"team": null` for org-wide
# installs (tests/data/slack/*org_wide_team_null.json).
_NULLABLE = {"enterprise": True, "team": True}
_STRINGS = ("type", "trigger_id", "response_url", "action_id", "block_id", "value", "api_app_id")
# What Slack sends in every payload of the type (`team` is absent for org-wide Enterprise Grid apps,
# and a button without a value has none, so neither is required).
_REQUIRED = {
    "block_actions": ("user", "trigger_id", "actions"),
    "view_submission": ("user", "view"),
    "block_suggestion": ("user", "action_id", "value"),
}
# Menus report what was picked in `selected_option`; Slack never sends one of them without it.
# A select can also be cleared: that sends `"selected_option": null` (the block_actions payload
# reference: "Deselecting ... will return a null value"), which only an overflow cannot.
_PICKED = ("overflow",)
_CLEARABLE = ("static_select", "external_select", "radio_buttons")


def problem(payload: dict[str, Any]) -> str | None:
    """Why a parsed body is not one Slack could have sent, or None."""
    if "command" in payload:
        return None  # a slash command: flat form fields, all strings
    kind = payload.get("type")
    if not isinstance(kind, str):
        return "payload.type is not a string"
    missing = [key for key in _REQUIRED.get(kind, ()) if payload.get(key) is None]
    if missing:
        return f"payload.{missing[0]} is missing"
    url = payload.get("response_url")
    if isinstance(url, str) and not _web_url(url):
        return "payload.response_url is not a URL"
    if kind == "block_actions" and (found := _actions(payload["actions"])):
        return found
    return _object(payload, "payload")


def _web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _actions(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "payload.actions is not a non-empty list"
    for n, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return f"payload.actions[{n}].action_id is missing"
        picked = action.get("selected_option")
        if action.get("type") in _PICKED and not isinstance(picked, dict):
            return f"payload.actions[{n}].selected_option is missing"
        if action.get("type") in _CLEARABLE and "selected_option" not in action:
            return f"payload.actions[{n}].selected_option is missing"
    return None


def _object(obj: dict[str, Any], where: str) -> str | None:
    for key in _STRINGS:
        if key in obj and obj[key] is not None and not isinstance(obj[key], str):
            return f"{where}.{key} is not a string"
    for key in _OBJECTS:
        if (
            key in obj
            and not isinstance(obj[key], dict)
            and not (obj[key] is None and _NULLABLE.get(key, False))
        ):
            return f"{where}.{key} is not an object"
    # A message's own fields are whatever was posted (its `team` and `user` are plain ids),
    # so only the one Bolt reads is checked there.
    message = obj.get("message")
    if isinstance(message, dict) and not isinstance(message.get("user", ""), str):
        return f"{where}.message.user is not a string"
    for key in ("user", "team", "view", "container", "channel"):
        if isinstance(obj.get(key), dict) and (found := _object(obj[key], f"{where}.{key}")):
            return found
    if "id" in obj and obj["id"] is not None and not isinstance(obj["id"], str):
        return f"{where}.id is not a string"
    for key in ("callback_id", "private_metadata", "hash"):
        if key in obj and not isinstance(obj[key], str):
            return f"{where}.{key} is not a string"
    if isinstance(obj.get("state"), dict) and (found := _state(obj["state"], f"{where}.state")):
        return found
    for key in ("response_urls", "selected_options"):
        if key in obj and not _list_of_objects(obj[key]):
            return f"{where}.{key} is not a list of objects"
    if "actions" in obj:
        actions = obj["actions"]
        if not _list_of_objects(actions):
            return f"{where}.actions is not a list of objects"
        for n, action in enumerate(actions):
            if found := _object(action, f"{where}.actions[{n}]"):
                return found
    if "selected_option" in obj and not isinstance(obj["selected_option"], dict | None):
        return f"{where}.selected_option is not an object"
    return None


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _state(state: dict[str, Any], where: str) -> str | None:
    values = state.get("values", {})
    if not isinstance(values, dict):
        return f"{where}.values is not an object"
    for block_id, elements in values.items():
        if not isinstance(elements, dict) or not all(
            isinstance(e, dict) for e in elements.values()
        ):
            return f"{where}.values.{block_id[:40]} is not an object of objects"
        for element in elements.values():
            if found := _object(element, f"{where}.values"):
                return found
    return None
