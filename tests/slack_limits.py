"""Views held to the fake Slack's own checker (`fakes.block_kit`): what a builder makes must be
what Slack would take, by the very rules the fake refuses surfaces with."""

from __future__ import annotations

from typing import Any

from fakes import block_kit


def check_message(payload: dict[str, Any]) -> None:
    refused, warnings = block_kit.message_problems(payload)
    problems = refused + warnings
    assert not problems, "\n".join(str(p) for p in problems)


def check_modal(view: dict[str, Any]) -> None:
    problems = block_kit.view_problems(view)
    assert not problems, "\n".join(str(p) for p in problems)


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn string Slack would render, wherever it sits in a payload."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found
