"""Bulk "Remove tags" with a name no tag has: that name is skipped and said so, the others still
come off, and a result with nothing done never shows a tick."""

from __future__ import annotations

import asyncio
from typing import Any

from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field, Options
from tests.harness import BotUnderTest
from tests.support import ADMIN
from tests.test_slack_features import find, list_message, opened_view, seed, text_of


async def bulk_result(bot: BotUnderTest, view_id: str) -> dict[str, Any]:
    """The view the bulk modal ends on (after its "Working…" view)."""
    for _ in range(200):
        updates = [
            c.args["view"]
            for c in bot.slack.calls_to("views.update")
            if c.args.get("view_id") == view_id and "done*" in text_of(c.args["view"])
        ]
        if updates:
            return updates[-1]
        await asyncio.sleep(0.02)
    raise AssertionError("the bulk modal never showed its result")


async def remove_in_bulk(bot: BotUnderTest, ids: list[int], tags: str) -> dict[str, Any]:
    message, _ = await list_message(bot)
    await bot.click(
        p.button(Action.BULK_OPEN, find(message, Action.BULK_OPEN)["value"]), message=message
    )
    view = await opened_view(bot)
    reply = await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("remove_tags")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("chosen", "radio_buttons")},
            Field.ACCOUNTS: {
                Options.ACCOUNTS: p.selected_many([str(i) for i in ids], "multi_external_select")
            },
            Field.TAGS: {INPUT_ACTION: p.text_value(tags)},
        },
    )
    assert reply.json["response_action"] == "update"
    return await bulk_result(bot, view["id"])


async def test_an_unknown_tag_is_skipped_and_the_known_ones_still_come_off(bot, clock):
    data = await seed(bot, clock)
    first, second = data["ids"][:2]
    await bot.services.bulk.add_tags(ADMIN, [first, second], ["client-a", "keep"])

    result = await remove_in_bulk(bot, [first, second], "client-a, no-such-tag")

    shown = text_of(result)
    assert ":white_check_mark: *2 done* · *0 skipped*" in shown
    assert "No tag named 'no-such-tag'; it was skipped." in shown
    for account_id in (first, second):
        row = await bot.services.accounts.get(ADMIN, account_id)
        assert [t.name for t in row.tags] == ["keep"]


async def test_a_result_with_nothing_done_shows_a_warning_not_a_tick(bot, clock):
    data = await seed(bot, clock)
    first = data["ids"][0]
    await bot.services.bulk.add_tags(ADMIN, [first], ["keep"])

    result = await remove_in_bulk(bot, [first], "typo-tag")

    header = result["blocks"][0]["text"]["text"]
    assert header == ":warning: *0 done* · *1 skipped*"
    assert ":white_check_mark:" not in text_of(result)
    assert "no such tag" in text_of(result)
    row = await bot.services.accounts.get(ADMIN, first)
    assert [t.name for t in row.tags] == ["keep"]
