"""The few shapes of an interaction payload that Bolt cannot survive, refused before it reads one.

Slack only sends well-formed payloads, but Bolt (slack_bolt 1.30) raises, and the route answers
500, when one of these fields has another shape: found by damaging each field of recorded
payloads in turn (tests/test_fuzz.py keeps that search). Whatever else is odd reaches the
listeners, whose errors the one error handler answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NULLABLE = ("user", "team", "channel", "enterprise")
_OBJECTS = ("view", "event")  # Bolt's log of an unhandled request reads them, when present


def problem(payload: dict[str, Any]) -> str | None:
    """Why Bolt would fail on a parsed body, or None."""
    if "command" in payload:
        return None  # a slash command: flat form fields, all strings
    return _fields(payload) or _KINDS.get(str(payload.get("type")), _fine)(payload)


def _fields(payload: dict[str, Any]) -> str | None:
    for key in _NULLABLE:
        if not isinstance(payload.get(key), dict | None):
            return f"payload.{key} is not an object"
    for key in _OBJECTS:
        if not isinstance(payload.get(key, {}), dict):
            return f"payload.{key} is not an object"
    urls = payload.get("response_urls", [])
    if not isinstance(urls, list) or not all(isinstance(u, dict) for u in urls):
        return "payload.response_urls is not a list of objects"
    return None


def _actions(payload: dict[str, Any]) -> str | None:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        return "payload.actions is not a non-empty list"
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        return "payload.actions holds an action without an action_id"
    return None


def _suggestion(payload: dict[str, Any]) -> str | None:
    if not isinstance(payload.get("action_id"), str):
        return "payload.action_id is not a string"
    return None


def _submission(payload: dict[str, Any]) -> str | None:
    view = payload.get("view")
    if not (isinstance(view, dict) and isinstance(view.get("type"), str)):
        return "payload.view has no type"
    return None


def _fine(_payload: dict[str, Any]) -> str | None:
    return None


_KINDS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "block_actions": _actions,
    "block_suggestion": _suggestion,
    "view_submission": _submission,
}
