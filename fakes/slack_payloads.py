"""Slack requests in Slack's real shapes, correctly signed: slash commands (form bodies) and
interactions (`payload=` JSON).

The shapes follow the recorded payloads in tests/data/slack/ (see its README for the sources);
tests/test_slack_payloads.py holds the builders to them. Trigger ids and response_urls come from
the fake Slack (`FakeSlack.trigger`, `FakeSlack.response_url`), which honours only its own.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from fakes.slack import FakeSlack

# In typed text: a link, an `@name` or a `#name` (not in the middle of a word or a link).
_TYPED_TOKEN = re.compile(r"(https?://[^\s<>]+)|(?<![\w/])@([\w.-]+)|(?<![\w/&])#([\w-]+)")


def signed_headers(
    body: str, signing_secret: str, *, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def command_text(slack: FakeSlack, typed: str) -> str:
    """The `text` Slack sends for what someone typed after a command whose manifest entry has
    `should_escape: true`: `&`, `<` and `>` as entities (https://api.slack.com/reference/
    surfaces/formatting#escaping: "Sent to server: Hello &amp; &lt;world&gt;"), then the `@name`
    of a person in the workspace as `<@U…|name>`, a channel's `#name` as `<#C…|name>` and a link
    as `<https://…>` (https://docs.slack.dev/interactivity/implementing-slash-commands,
    "should_escape"; tests/data/slack/README.md). A name Slack does not know stays text."""
    people = {u.name: u.id for u in slack.users.values() if not u.deleted}
    rooms = {c.name: c.id for c in slack.channels.values() if not c.id.startswith("D")}

    def token(match: re.Match[str]) -> str:
        link, person, room = match.groups()
        if link:
            return f"<{link}>"
        if person in people:
            return f"<@{people[person]}|{person}>"
        if room in rooms:
            return f"<#{rooms[room]}|{room}>"
        return match[0]

    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _TYPED_TOKEN.sub(token, escaped)


def slash_command(
    text: str,
    *,
    user_id: str,
    team_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str,
    command: str = "/adops",
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
            "trigger_id": trigger_id,
        }
    )


def ssl_check() -> str:
    """Slack's probe of the Request URL's certificate: a form with `ssl_check=1` and a token,
    no command and no payload (https://docs.slack.dev/interactivity/implementing-slash-commands,
    "ssl_check"; bolt-python's ssl_check middleware answers it)."""
    return urlencode({"ssl_check": "1", "token": "verification-token"})


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def _team(team_id: str, *, org_install: bool) -> dict[str, Any] | None:
    """Org-wide (Enterprise Grid) installs send `"team": null` (tests/data/slack/README.md)."""
    return None if org_install else {"id": team_id, "domain": "fake"}


def _enterprise(org_install: bool) -> dict[str, Any] | None:
    return {"id": "E0ORG", "name": "Fake Org"} if org_install else None


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


def static_select(action_id: str, value: str | None, *, block_id: str = "b1") -> dict[str, Any]:
    """A static_select choice; `value=None` is a deselection, which Slack sends as
    `"selected_option": null` (docs.slack.dev block_actions payload reference)."""
    action = {**overflow(action_id, value or "x", block_id=block_id), "type": "static_select"}
    if value is None:
        action["selected_option"] = None
    return action


def block_actions(
    action: dict[str, Any],
    *,
    user_id: str,
    team_id: str,
    trigger_id: str,
    channel_id: str | None = None,
    message: dict[str, Any] | None = None,
    ephemeral: bool = True,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    org_install: bool = False,
    user_team_id: str | None = None,
) -> str:
    """A click, in the shape of tests/data/slack/: in a modal (`container.type: view`, the view,
    no response_url), on an ephemeral message (`container.is_ephemeral: true`, channel and
    response_url, and no `message`: Slack does not send an ephemeral's content back), or on a
    message in a channel (with the `message` as posted)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_team_id or team_id),
        "api_app_id": "A0APP",
        "token": "verification-token",
        "trigger_id": trigger_id,
        "team": _team(team_id, org_install=org_install),
        "enterprise": _enterprise(org_install),
        "is_enterprise_install": org_install,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        payload["view"] = view
    else:
        ts = (message or {}).get("ts", "1700000000.000001")
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": channel_id, "name": "general"}
        if not ephemeral:
            if message is None:
                raise ValueError("a click on a channel message carries that message")
            payload["message"] = message
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
    view_id: str,
    trigger_id: str,
    private_metadata: str | None = None,
    org_install: bool = False,
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
        # With `"team": null` (org-wide installs) the workspace is only here
        # (tests/data/slack/view_submission.org_wide_team_null.json).
        "app_installed_team_id": team_id,
    }
    payload = {
        "type": "view_submission",
        "team": _team(team_id, org_install=org_install),
        "user": _user(user_id, team_id),
        "api_app_id": "A0APP",
        "token": "verification-token",
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": org_install,
        "enterprise": _enterprise(org_install),
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
    }
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
    return urlencode({"payload": json.dumps(payload)})


def decode(body: str, content_type: str = "application/x-www-form-urlencoded") -> dict | None:
    """A request body as Slack meant it: a command's form fields, or an interaction's payload;
    None for a body that is neither (fuzzed or hostile ones)."""
    try:
        if "json" in content_type:
            parsed = json.loads(body)
        else:
            form = dict(parse_qsl(body, keep_blank_values=True))
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, KeyError):
        return None
    return parsed if isinstance(parsed, dict) else None
