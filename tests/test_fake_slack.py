"""The fake Slack refuses what Slack refuses: one bad surface per rule, sent the way the bot
sends it (Web API calls, response_url posts, acks), refused with Slack's own error."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from fakes.slack import FakeSlack
from tests.conftest import populate

Surface = dict[str, Any]


def text(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "text": value}


def button(action_id: str = "a1", label: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": text("plain_text", label), **extra}


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": text("plain_text", label), "value": value}


def good_message() -> Surface:
    return {
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": text("plain_text", "Title")},
            {"type": "section", "block_id": "s1", "text": text("mrkdwn", "*hello*")},
            {"type": "context", "elements": [text("mrkdwn", "small print")]},
            {"type": "actions", "block_id": "a", "elements": [button("a1"), button("a2")]},
            {
                "type": "section",
                "text": text("mrkdwn", "menu"),
                "accessory": {
                    "type": "overflow",
                    "action_id": "menu",
                    "options": [option("One", "1"), option("Two", "2")],
                },
            },
        ],
    }


def good_view() -> Surface:
    choices = [option("One", "1"), option("Two", "2")]
    return {
        "type": "modal",
        "callback_id": "cb",
        "title": text("plain_text", "Title"),
        "submit": text("plain_text", "Save"),
        "close": text("plain_text", "Close"),
        "private_metadata": "{}",
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "label": text("plain_text", "Name"),
                "hint": text("plain_text", "A hint"),
                "element": {"type": "plain_text_input", "action_id": "v", "max_length": 3000},
            },
            {
                "type": "input",
                "block_id": "pick",
                "label": text("plain_text", "Pick"),
                "element": {
                    "type": "static_select",
                    "action_id": "v",
                    "options": choices,
                    "initial_option": choices[0],
                },
            },
        ],
    }


def edit(surface: Surface, change: Callable[[Surface], None]) -> Surface:
    changed = copy.deepcopy(surface)
    change(changed)
    return changed


def blocks(n: int) -> list[dict[str, Any]]:
    return [{"type": "section", "text": text("mrkdwn", f"row {i}")} for i in range(n)]


def block(i: int) -> Callable[[Surface], dict[str, Any]]:
    return lambda s: s["blocks"][i]


def element(s: Surface, i: int) -> dict[str, Any]:
    found: dict[str, Any] = s["blocks"][i].get("element") or s["blocks"][i]["accessory"]
    return found


# (rule, how the good surface is broken)
MESSAGE_RULES: list[tuple[str, Callable[[Surface], None]]] = [
    ("block.action_id_unique", lambda s: s["blocks"][3]["elements"].append(button("a1"))),
    ("block.block_id_unique", lambda s: s["blocks"].append(dict(s["blocks"][1]))),
    ("text.plain_only", lambda s: s["blocks"][3]["elements"][0].update(text=text("mrkdwn", "x"))),
    ("text.plain_only", lambda s: s["blocks"][0].update(text=text("mrkdwn", "x"))),
    ("text.empty", lambda s: s["blocks"][1].update(text=text("mrkdwn", ""))),
    ("text.length", lambda s: s["blocks"][1].update(text=text("mrkdwn", "x" * 3001))),
    ("text.length", lambda s: s["blocks"][0].update(text=text("plain_text", "x" * 151))),
    (
        "text.length",
        lambda s: s["blocks"][3]["elements"][0].update(text=text("plain_text", "x" * 76)),
    ),
    ("button.value", lambda s: s["blocks"][3]["elements"][0].update(value="v" * 2001)),
    ("button.url", lambda s: s["blocks"][3]["elements"][0].update(url="https://x/" + "a" * 3000)),
    ("button.style", lambda s: s["blocks"][3]["elements"][0].update(style="blue")),
    ("context.elements", lambda s: s["blocks"][2].update(elements=[text("mrkdwn", "x")] * 11)),
    (
        "actions.elements",
        lambda s: s["blocks"][3].update(elements=[button(f"b{i}") for i in range(26)]),
    ),
    (
        "options.count",
        lambda s: element(s, 4).update(options=[option(f"{i}", f"{i}") for i in range(6)]),
    ),
    ("options.count", lambda s: element(s, 4).update(options=[])),
    ("options.count", lambda s: element(s, 4).update(options=[option("One", "1")])),
    (
        "text.length",
        lambda s: element(s, 4)["options"][0].update(text=text("plain_text", "x" * 76)),
    ),
    ("option.value_length", lambda s: element(s, 4)["options"][0].update(value="v" * 151)),
    ("options.duplicate", lambda s: element(s, 4)["options"][1].update(value="1")),
    ("blocks.count", lambda s: s.update(blocks=blocks(51))),
    ("section.fields", lambda s: s["blocks"][1].update(fields=[text("mrkdwn", "f")] * 11)),
    ("text.length", lambda s: s["blocks"][1].update(fields=[text("mrkdwn", "f" * 2001)])),
    (
        "element.placement",
        lambda s: s["blocks"][3]["elements"].append({"type": "plain_text_input", "action_id": "t"}),
    ),
    (
        "confirm.type",
        lambda s: s["blocks"][3]["elements"][0].update(confirm="sure?"),
    ),
    (
        "text.plain_only",
        lambda s: s["blocks"][3]["elements"][0].update(
            confirm={
                "title": text("mrkdwn", "Sure?"),
                "text": text("mrkdwn", "Really"),
                "confirm": text("plain_text", "Yes"),
                "deny": text("plain_text", "No"),
            }
        ),
    ),
    (
        "message.blocks_text",
        lambda s: s.update(
            blocks=[{"type": "section", "text": text("mrkdwn", "x" * 2900)} for _ in range(5)]
        ),
    ),
    ("block.field", lambda s: s["blocks"][1].update(submit_disabled=True)),
    (
        "text.plain_only",
        lambda s: s["blocks"][3]["elements"][0].update(
            confirm={
                "title": text("plain_text", "Sure?"),
                "text": text("mrkdwn", "*Really*"),
                "confirm": text("plain_text", "Yes"),
                "deny": text("plain_text", "No"),
            }
        ),
    ),
]


def grouped(s: Surface) -> None:
    select = element(s, 1)
    select.pop("options")
    select.pop("initial_option")
    many = [option(str(i), str(i)) for i in range(101)]
    select["option_groups"] = [{"label": text("plain_text", "All"), "options": many}]


def huge(s: Surface) -> None:
    wide = {"type": "section", "text": text("mrkdwn", "é" * 2900)}
    s["blocks"] = [dict(wide, block_id=f"b{i}") for i in range(45)]


def multi_with_foreign_initial(s: Surface) -> None:
    s["blocks"].append(
        {
            "type": "input",
            "block_id": "many",
            "label": text("plain_text", "Many"),
            "element": {
                "type": "multi_static_select",
                "action_id": "v",
                "options": [option("One", "1")],
                "initial_options": [option("Two", "2")],
            },
        }
    )


VIEW_RULES: list[tuple[str, Callable[[Surface], None]]] = [
    ("text_input.max_length", lambda s: element(s, 0).update(max_length=4096)),
    ("text_input.max_length", lambda s: element(s, 0).update(max_length=0)),
    ("text_input.min_length", lambda s: element(s, 0).update(min_length=3001)),
    ("text_input.initial", lambda s: element(s, 0).update(max_length=5, initial_value="toolong")),
    ("text.length", lambda s: s.update(title=text("plain_text", "x" * 25))),
    ("text.plain_only", lambda s: s.update(title=text("mrkdwn", "Title"))),
    ("text.length", lambda s: s.update(submit=text("plain_text", "x" * 25))),
    ("text.length", lambda s: s.update(close=text("plain_text", "x" * 25))),
    ("view.submit", lambda s: s.pop("submit")),
    ("view.private_metadata", lambda s: s.update(private_metadata="m" * 3001)),
    ("view.callback_id", lambda s: s.update(callback_id="c" * 256)),
    ("text.length", lambda s: s["blocks"][0].update(label=text("plain_text", "l" * 2001))),
    ("text.length", lambda s: s["blocks"][0].update(hint=text("plain_text", "h" * 2001))),
    ("text.plain_only", lambda s: s["blocks"][0].update(label=text("mrkdwn", "Name"))),
    ("options.initial", lambda s: element(s, 1).update(initial_option=option("Three", "3"))),
    (
        "options.count",
        lambda s: element(s, 1).update(options=[option(f"{i}", f"{i}") for i in range(101)]),
    ),
    ("blocks.count", lambda s: s.update(blocks=blocks(101))),
    ("block.block_id_unique", lambda s: s["blocks"][1].update(block_id="name")),
    ("input.element", lambda s: s["blocks"][0].pop("element")),
    ("text_input.min_length", lambda s: element(s, 0).update(min_length=-1)),
    ("view.field", lambda s: s.update(submit_disabled=True)),
    ("view.size", huge),
    ("option.url", lambda s: element(s, 1)["options"][1].update(url="https://x")),
    ("options.count", grouped),
    ("options.initial", multi_with_foreign_initial),
]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = populate(FakeSlack())
    await fake.start()
    yield fake
    await fake.close()


def web(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])


async def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        await call
    data: dict[str, Any] = raised.value.response.data
    return data


async def test_good_surfaces_pass_every_door(slack: FakeSlack):
    client = web(slack)
    await client.chat_postMessage(channel="C0GENERAL", **good_message())
    await client.views_open(trigger_id=slack.trigger(), view=good_view())
    async with (
        aiohttp.ClientSession() as http,
        http.post(slack.response_url(), json=good_message()) as reply,
    ):
        assert (reply.status, await reply.text()) == (200, "ok")
    assert slack.refusals == []


@pytest.mark.parametrize(("rule", "change"), MESSAGE_RULES)
async def test_messages_breaking_a_rule_are_refused(slack: FakeSlack, rule, change):
    bad = edit(good_message(), change)
    answer = await refused(web(slack).chat_postMessage(channel="C0GENERAL", **bad))
    assert answer["error"] in ("invalid_blocks", "msg_blocks_too_long")
    assert rule in {p.rule for r in slack.refusals for p in r.problems}
    if answer["error"] == "invalid_blocks":
        assert answer["errors"] and answer["response_metadata"]["messages"][0].startswith("[ERROR]")
    async with aiohttp.ClientSession() as http, http.post(slack.response_url(), json=bad) as reply:
        assert (reply.status, await reply.text()) == (400, "invalid_blocks")


@pytest.mark.parametrize(("rule", "change"), VIEW_RULES)
async def test_views_breaking_a_rule_are_refused(slack: FakeSlack, rule, change):
    bad = edit(good_view(), change)
    answer = await refused(web(slack).views_open(trigger_id=slack.trigger(), view=bad))
    if rule == "view.size":
        assert answer["error"] == "view_too_large"
    else:
        assert answer["error"] == "invalid_arguments"
        assert "errors" not in answer and answer["response_metadata"]["messages"]
    assert rule in {p.rule for r in slack.refusals for p in r.problems}


async def test_a_message_without_fallback_text_is_posted_and_reported(slack: FakeSlack):
    without = {"blocks": good_message()["blocks"]}
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # slack_sdk's own
        await web(slack).chat_postMessage(channel="C0GENERAL", **without)
    (warning,) = slack.refusals
    assert not warning.refused and warning.problems[0].rule == "message.fallback_text"


async def test_ephemerals_and_updates_are_held_to_the_same_rules(
    slack: FakeSlack,
):
    client = web(slack)
    bad = edit(good_message(), lambda s: s["blocks"][3]["elements"].append(button("a1")))
    answer = await refused(client.chat_postEphemeral(channel="C0GENERAL", user="UADMIN1", **bad))
    assert answer["error"] == "invalid_blocks"
    posted = await client.chat_postMessage(channel="C0GENERAL", **good_message())
    answer = await refused(client.chat_update(channel="C0GENERAL", ts=posted["ts"], **bad))
    assert answer["error"] == "invalid_blocks"
    answer = await refused(
        client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="x" * 4001)
    )
    assert answer["error"] == "msg_too_long"


async def test_acks_are_read_as_slack_reads_them(slack: FakeSlack):
    submitted = {**good_view(), "id": "V1"}
    request = {"type": "view_submission", "view": submitted}
    assert (
        slack.answered(request, 200, '{"response_action": "errors", "errors": {"name": "x"}}') == []
    )
    problems = slack.answered(
        request, 200, '{"response_action": "errors", "errors": {"profile": "Choose one."}}'
    )
    assert [p.rule for p in problems] == ["ack.errors_block"]
    options = [option(str(i), str(i)) for i in range(101)]
    problems = slack.answered(
        {"type": "block_suggestion"}, 200, f'{{"options": {options!r}}}'.replace("'", '"')
    )
    assert "options.count" in {p.rule for p in problems}
    command = {"command": "/adops", "text": ""}
    bad_blocks = (
        '{"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]}'
    )
    assert [p.rule for p in slack.answered(command, 200, bad_blocks)] == ["text.plain_only"]
    slack.refusals.clear()


async def test_triggers_work_once_within_three_seconds(slack: FakeSlack):
    client = web(slack)
    answer = await refused(client.views_open(trigger_id="1.2.made-up", view=good_view()))
    assert answer["error"] == "invalid_trigger_id"
    trigger = slack.trigger()
    await client.views_open(trigger_id=trigger, view=good_view())
    answer = await refused(client.views_open(trigger_id=trigger, view=good_view()))
    assert answer["error"] == "exchanged_trigger_id"
    late = slack.trigger()
    slack.advance(3.5)
    answer = await refused(client.views_open(trigger_id=late, view=good_view()))
    assert answer["error"] == "expired_trigger_id"


async def test_closed_views_cannot_be_updated(slack: FakeSlack):
    client = web(slack)
    opened = await client.views_open(trigger_id=slack.trigger(), view=good_view())
    view_id = opened["view"]["id"]
    await client.views_update(view_id=view_id, view=good_view())
    slack.answered({"type": "view_submission", "view": {"id": view_id}}, 200, "")
    answer = await refused(client.views_update(view_id=view_id, view=good_view()))
    assert answer["error"] == "not_found"


async def test_a_response_url_takes_five_posts_within_thirty_minutes(slack: FakeSlack):
    async with aiohttp.ClientSession() as http:
        url = slack.response_url()
        for _ in range(5):
            async with http.post(url, json={"text": "hi"}) as reply:
                assert reply.status == 200
        async with http.post(url, json={"text": "once more"}) as reply:
            assert reply.status == 404
        old = slack.response_url()
        slack.advance(30 * 60 + 1)
        async with http.post(old, json={"text": "late"}) as reply:
            assert (reply.status, await reply.text()) == (404, "Expired url")


async def test_channels_the_bot_cannot_post_to(slack: FakeSlack):
    slack.add_channel("G0SECRET", "secret", private=True)
    slack.add_channel("C0OLD", "old", archived=True)
    client = web(slack)
    for channel, error in (
        ("G0SECRET", "channel_not_found"),
        ("C0OLD", "is_archived"),
        ("C0NOWHERE", "channel_not_found"),
    ):
        answer = await refused(client.chat_postMessage(channel=channel, text="hi"))
        assert answer["error"] == error
    slack.add_user("UGONE", name="gone", deleted=True)
    answer = await refused(client.conversations_open(users="UGONE"))
    assert answer["error"] == "user_disabled"


async def test_views_push_and_update_are_held_to_the_same_rules(slack: FakeSlack):
    client = web(slack)
    opened = await client.views_open(trigger_id=slack.trigger(), view=good_view())
    bad = edit(good_view(), lambda s: s.update(title=text("mrkdwn", "x")))
    answer = await refused(client.views_update(view_id=opened["view"]["id"], view=bad))
    assert answer["error"] == "invalid_arguments"
    answer = await refused(client.views_push(trigger_id=slack.trigger(), view=bad))
    assert answer["error"] == "invalid_arguments"
    stale = await refused(
        client.views_update(view_id=opened["view"]["id"], view=good_view(), hash="not-its-hash")
    )
    assert stale["error"] == "hash_conflict"
    slack.refusals.clear()


async def test_an_error_ack_without_a_message_is_refused(slack: FakeSlack):
    request = {"type": "view_submission", "view": {**good_view(), "id": "V1"}}
    problems = slack.answered(request, 200, '{"response_action": "errors", "errors": {"name": ""}}')
    assert [p.rule for p in problems] == ["ack.errors_text"]
    slack.refusals.clear()
