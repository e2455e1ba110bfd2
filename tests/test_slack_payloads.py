"""The fake's payload builders send what Slack sends: each is held to a recorded Slack payload
(tests/data/slack/, sources in its README), key for key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakes import slack_payloads as p

DATA = Path(__file__).parent / "data" / "slack"
# Keys real payloads carry that only some of the recorded fixtures (trimmed by their authors)
# show, or that only Enterprise Grid installs send.
SOMETIMES = {"token", "enterprise", "is_enterprise_install", "state", "api_app_id"}


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def built(body: str) -> dict[str, Any]:
    decoded = p.decode(body)
    assert decoded is not None
    return decoded


def same_keys(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert set(ours) - SOMETIMES == set(theirs) - SOMETIMES
    assert set(ours.get("container") or {}) == set(theirs.get("container") or {})


def click(**kwargs: Any) -> dict[str, Any]:
    return built(
        p.block_actions(
            p.button("go", "1"), user_id="U1", team_id="T1", trigger_id="1.2.x", **kwargs
        )
    )


def test_a_click_on_an_ephemeral_message_brings_no_message():
    ours = click(channel_id="C1", response_url="https://hooks.slack.com/actions/T1/1/x")
    theirs = sample("block_actions.ephemeral_button.json")
    same_keys(ours, theirs)
    assert "message" not in ours and ours["container"]["is_ephemeral"] is True


def test_a_click_on_a_channel_message_brings_it_back():
    posted = {"type": "message", "ts": "1700000000.000001", "text": "t", "blocks": []}
    ours = click(
        channel_id="C1",
        message=posted,
        ephemeral=False,
        response_url="https://hooks.slack.com/actions/T1/1/x",
    )
    theirs = sample("block_actions.in_channel_message_button.json")
    same_keys(ours, theirs)
    assert ours["message"] == posted and ours["container"]["is_ephemeral"] is False


def test_a_click_in_a_modal_brings_the_view_and_no_response_url():
    ours = click(view={"id": "V1", "type": "modal", "blocks": []})
    theirs = sample("block_actions.modal_static_select.json")
    same_keys(ours, theirs)
    assert "response_url" not in ours and "channel" not in ours


def test_org_wide_installs_send_no_team():
    ours = click(channel_id="C1", response_url="https://x/y", org_install=True)
    theirs = sample("block_actions.ephemeral_button.org_wide_team_null.json")
    same_keys(ours, theirs)
    assert ours["team"] is None is theirs["team"]
    assert ours["is_enterprise_install"] is True is theirs["is_enterprise_install"]
    assert ours["user"]["team_id"] == "T1" and theirs["user"]["team_id"]

    submitted = built(
        p.view_submission(
            {"callback_id": "cb"},
            {},
            user_id="U1",
            team_id="T1",
            view_id="V1",
            trigger_id="1.2.x",
            org_install=True,
        )
    )
    recorded = sample("view_submission.org_wide_team_null.json")
    same_keys(submitted, recorded)
    assert submitted["team"] is None is recorded["team"]
    assert submitted["view"]["app_installed_team_id"] and recorded["view"]["app_installed_team_id"]


def test_a_view_submission_and_an_options_load():
    submitted = built(
        p.view_submission(
            {"callback_id": "cb"}, {}, user_id="U1", team_id="T1", view_id="V1", trigger_id="1"
        )
    )
    same_keys(submitted, sample("view_submission.basic.json"))
    assert submitted["response_urls"] == []
    suggestion = built(
        p.block_suggestion(
            "opts", "acme", block_id="b", user_id="U1", team_id="T1", view={"id": "V1"}
        )
    )
    same_keys(suggestion, sample("block_suggestion.external_select_in_modal.json"))


def test_a_cleared_select_sends_a_null_option():
    assert p.static_select("pick", None)["selected_option"] is None


@pytest.mark.parametrize(
    ("ours", "name"),
    [
        (
            p.slash_command(
                "hi",
                user_id="U1",
                team_id="T1",
                channel_id="C1",
                response_url="https://x/y",
                trigger_id="1.2.x",
            ),
            "slash_command.form_fields.json",
        ),
        (p.ssl_check(), "ssl_check.form_fields.json"),
    ],
)
def test_form_bodies(ours: str, name: str):
    fields = built(ours)
    assert set(sample(name)) - {"enterprise_id", "enterprise_name"} <= set(fields)
    assert all(isinstance(v, str) for v in fields.values())
