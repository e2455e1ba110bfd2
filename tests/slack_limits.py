"""Checks a Block Kit payload against Slack's documented limits (research/slack.md §2–3), and
through slack_sdk's own model validators."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def _text_len(obj: Any) -> int:
    return len(obj["text"]) if isinstance(obj, dict) else 0


def check_element(element: dict[str, Any]) -> None:
    assert len(element.get("action_id", "")) <= 255
    kind = element["type"]
    if kind == "button":
        assert _text_len(element["text"]) <= 75
        assert len(element.get("value", "")) <= 2000
        assert len(element.get("url", "")) <= 3000
    if "options" in element:
        options = element["options"]
        assert len(options) <= 100
        if kind == "overflow":
            assert 2 <= len(options) <= 5
        for option in options + element.get("initial_options", []):
            assert _text_len(option["text"]) <= 75, option
            assert len(option["value"]) <= 150
            if "description" in option:
                assert _text_len(option["description"]) <= 75
        for initial in element.get("initial_options", []):
            assert initial in options
        if "initial_option" in element:
            assert element["initial_option"] in options
    if "placeholder" in element:
        assert _text_len(element["placeholder"]) <= 150
    if "confirm" in element:
        confirm = element["confirm"]
        assert _text_len(confirm["title"]) <= 100 and _text_len(confirm["text"]) <= 300


def check_blocks(blocks: list[dict[str, Any]], *, limit: int) -> None:
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks (limit {limit})"
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), "duplicate block_id"
    for block in blocks:
        assert len(block.get("block_id", "")) <= 255
        kind = block["type"]
        if kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 1 <= _text_len(block["text"]) <= 3000
            for field in block.get("fields", []):
                assert _text_len(field) <= 2000
            assert len(block.get("fields", [])) <= 10
            if "accessory" in block:
                check_element(block["accessory"])
        elif kind == "header":
            assert _text_len(block["text"]) <= 150
        elif kind == "context":
            assert len(block["elements"]) <= 10
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                check_element(element)
        elif kind == "input":
            assert _text_len(block["label"]) <= 2000
            check_element(block["element"])
    for parsed in Block.parse_all(blocks):
        parsed.to_dict()


def check_message(payload: dict[str, Any]) -> None:
    assert payload["text"] and len(payload["text"]) <= 4000
    check_blocks(payload["blocks"], limit=50)


def check_modal(view: dict[str, Any]) -> None:
    assert len(view["title"]["text"]) <= 24
    assert len(view.get("private_metadata", "")) <= 3000
    assert len(view["callback_id"]) <= 255
    if any(b["type"] == "input" for b in view["blocks"]):
        assert "submit" in view
    check_blocks(view["blocks"], limit=100)
    View(**view).to_dict()


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
