"""The hand-off from the front to the worker (`handlers.handoff`), through the real app."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fakes import slack_payloads as payloads
from handlers.handoff import Job, round_trip
from handlers.replies import CHANGED
from tests.harness import ADMIN_ID, TEAM, BotUnderTest
from tests.support import ADMIN


def command_body(bot: BotUnderTest, text: str) -> tuple[dict, str]:
    url = bot.slack.response_url()
    raw = payloads.slash_command(
        text,
        user_id=ADMIN_ID,
        team_id=TEAM,
        channel_id="C0GENERAL",
        response_url=url,
        trigger_id=bot.slack.trigger(),
    )
    return dict(parse_qsl(raw)), url


async def test_a_request_acked_by_the_front_is_done_by_the_worker(bot: BotUnderTest):
    reply, url = await bot.command("help")
    assert reply.status == 200 and reply.text == ""
    await bot.runtime.background.drain()
    (helped,) = await bot.responses_to(url)
    assert "/adops connect tiktok" in str(helped)


async def test_the_worker_does_nothing_when_it_would_answer_other_than_the_front(
    bot: BotUnderTest,
):
    """The front acked `/adops accounts` with something else than the worker now would (the
    database changed in between, say): carrying on would do what the user was not shown."""
    body, url = command_body(bot, "accounts")
    job = Job(body=body, ack=[200, '{"text": "another answer"}'], actor=ADMIN, verified=True)
    await bot.runtime.worker.handle(round_trip(job))
    (told,) = await bot.responses_to(url)
    assert told["text"] == CHANGED and told["response_type"] == "ephemeral"


def test_a_job_carries_the_raw_body_and_the_actor_across():
    raw = payloads.slash_command(
        "x «y»",
        user_id="U1",
        team_id=TEAM,
        channel_id="C1",
        response_url="http://127.0.0.1:9/r",
        trigger_id="1.2.x",
    )
    job = Job(body={}, ack=[200, ""], actor=ADMIN, verified=False, raw=raw)
    crossed = round_trip(job)
    assert crossed.actor == ADMIN and crossed.verified is False
    assert crossed.body["text"] == "x «y»" and crossed.body["user_id"] == "U1"
