"""manifest.yml is valid for Slack's official v1 schema and matches what the app registers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from handlers.registry import COMMAND
from handlers.transport.events import EVENTS_PATH

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "data" / "slack-manifest.schema.1.0.0.json"
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SOURCES = "\n".join(p.read_text() for p in [*(ROOT / "handlers").rglob("*.py"), ROOT / "app.py"])

# What each scope is for, proven by the code calling it.
SCOPE_USES = {
    "commands": "@app.command(COMMAND)",
    "chat:write": "chat_postMessage",
    "chat:write.public": "chat_postMessage",
    "im:write": "conversations_open",
    "users:read": "users_info",
}


def test_manifest_validates_against_the_vendored_schema():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(MANIFEST)


def test_command_and_urls_match_the_app():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # mentions arrive as <@U…>, channels as <#C…>
    interactivity = MANIFEST["settings"]["interactivity"]
    for url in (
        command["url"],
        interactivity["request_url"],
        interactivity["message_menu_options_url"],
    ):
        assert url.endswith(EVENTS_PATH)


def test_scopes_are_the_ones_the_code_needs_and_no_more():
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == sorted(SCOPE_USES)
    for scope in scopes:
        assert SCOPE_USES[scope] in SOURCES, scope
    assert not re.search(r"\.(channels_|conversations_history|files_)", SOURCES)
