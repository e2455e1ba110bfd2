"""Slack requests in Slack's real shapes, correctly signed: slash commands (form bodies) and
interactions (`payload=` JSON)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def signed_headers(
    body: str, signing_secret: str, *, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def trigger() -> str:
    return f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def slash_command(
    text: str,
    *,
    user_id: str,
    team_id: str,
    channel_id: str,
    response_url: str,
    command: str = "/adops",
    trigger_id: str | None = None,
) -> str:
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or trigger(),
        }
    )


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def button(action_id: str, value: str | None = None, *, block_id: str = "b1") -> dict[str, Any]:
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "type": "button",
        "text": {"type": "plain_text", "text": "x"},
        "action_ts": f"{time.time():.6f}",
    }
    if value is not None:
        action["value"] = value
    return action


def overflow(action_id: str, value: str, *, block_id: str = "b1") -> dict[str, Any]:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "type": "overflow",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        "action_ts": f"{time.time():.6f}",
    }


def static_select(action_id: str, value: str, *, block_id: str = "b1") -> dict[str, Any]:
    return {**overflow(action_id, value, block_id=block_id), "type": "static_select"}


def block_actions(
    action: dict[str, Any],
    *,
    user_id: str,
    team_id: str,
    channel_id: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": "A0APP",
        "token": "verification-token",
        "trigger_id": trigger_id or trigger(),
        "team": {"id": team_id, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        payload["view"] = view
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": (message or {}).get("ts", "1700000000.000001"),
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["message"] = message or {"type": "message", "ts": "1700000000.000001", "blocks": []}
        payload["state"] = {"values": {}}
    if response_url:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def selected(value: str | None, kind: str = "static_select") -> dict[str, Any]:
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": value}, "value": value}
    )
    return {"type": kind, "selected_option": option}


def selected_many(values: list[str], kind: str = "multi_static_select") -> dict[str, Any]:
    return {
        "type": kind,
        "selected_options": [
            {"text": {"type": "plain_text", "text": v}, "value": v} for v in values
        ],
    }


def view_submission(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str,
    team_id: str,
    view_id: str = "VSUBMIT1",
    private_metadata: str | None = None,
) -> str:
    submitted = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "callback_id": view["callback_id"],
        "private_metadata": view.get("private_metadata", "")
        if private_metadata is None
        else private_metadata,
        "hash": secrets.token_hex(6),
        "title": view.get("title"),
        "blocks": view.get("blocks", []),
        "state": {"values": values},
        "root_view_id": view_id,
        "app_id": "A0APP",
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake"},
        "user": _user(user_id, team_id),
        "api_app_id": "A0APP",
        "token": "verification-token",
        "trigger_id": trigger(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def block_suggestion(
    action_id: str,
    value: str,
    *,
    block_id: str,
    user_id: str,
    team_id: str,
    view: dict[str, Any] | None = None,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "team": {"id": team_id, "domain": "fake"},
        "api_app_id": "A0APP",
        "token": "verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "action_ts": f"{time.time():.6f}",
    }
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
    return urlencode({"payload": json.dumps(payload)})
