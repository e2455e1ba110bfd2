"""Slack's request bodies, parsed: a form whose `payload` field is JSON, a plain form (slash
commands), or JSON (events). See `handlers.http_events` for why Bolt's own parser is not used.

The form decoder is the front process's largest cost per request: an interaction's payload is
the whole message or modal as percent-encoded JSON, and `urllib.parse.unquote` decodes it one
escape at a time in Python. `form_fields` gives the same result as
`urllib.parse.parse_qsl(raw, keep_blank_values=True)` (a property test holds it to that), with
the escapes decoded by the standard library's C codecs, and falls back to urllib for anything
unusual.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote


def unquote_plus(text: str) -> str:
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if "\\" in text or not text.isascii():
        return _slow_unquote(text)
    try:
        # Every %XX becomes \xXX, which the unicode_escape codec turns into the character of
        # that byte; no other backslash is there to be read as an escape.
        latin = text.replace("%", "\\x").encode("ascii").decode("unicode_escape")
    except UnicodeDecodeError:  # a % not followed by two hex digits
        return _slow_unquote(text)
    return latin.encode("latin-1").decode("utf-8", errors="replace")


def _slow_unquote(text: str) -> str:
    return unquote(text)  # what parse_qsl does with a field once "+" is a space


def form_fields(raw: str) -> list[tuple[str, str]]:
    fields = []
    for pair in raw.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields.append((unquote_plus(name), unquote_plus(value)))
    return fields


def parse(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt's listeners expect it; ValueError when it cannot be one."""
    if content_type == "application/json" or raw.startswith("{"):
        body = json.loads(raw)
    else:
        form = dict(form_fields(raw))
        body = json.loads(form["payload"]) if "payload" in form else form
    if not isinstance(body, dict):
        raise ValueError("the body is not an object")
    return body
