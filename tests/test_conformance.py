"""Flows the strict fake Slack caught breaking: each driven through signed requests into the real
app, asserting what the person finally sees. Every one of these failed before its fix."""

from __future__ import annotations

from typing import Any

from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.metadata import ListState, ProfileRef
from tests.factories import make_accounts, make_profile
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock


def flat(payload: Any) -> str:
    return str(payload)


async def listed(bot: BotUnderTest, text: str = "accounts") -> dict[str, Any]:
    _, url = await bot.command(text)
    (shown,) = await bot.responses_to(url)
    return shown


async def last_view(bot: BotUnderTest, method: str, count: int = 1) -> dict[str, Any]:
    calls = await bot.slack.wait_for(method, count)
    assert calls[-1].result["ok"], calls[-1].result
    view: dict[str, Any] = calls[-1].result["view"]
    return view


async def seed(bot: BotUnderTest, clock: ManualClock, count: int = 25) -> list[int]:
    db = bot.services.db
    main = await make_profile(db, clock(), name="Main")
    return await make_accounts(db, clock(), count, profile_id=main)


async def test_paging_through_the_middle_of_a_list(bot, clock):
    """Page 2 of 3 has both Previous and Next: one action_id for both made Slack refuse it."""
    await seed(bot, clock)
    first = await listed(bot)
    _, url = await bot.press(first, Action.ACCOUNTS_NEXT)
    (middle,) = await bot.responses_to(url)
    assert "Showing 11–20 of 25" in flat(middle) and middle["replace_original"] is True
    assert Action.ACCOUNTS_PREV in flat(middle) and Action.ACCOUNTS_NEXT in flat(middle)
    _, url = await bot.press(middle, Action.ACCOUNTS_NEXT)
    (last,) = await bot.responses_to(url)
    assert "Showing 21–25 of 25" in flat(last)


async def test_a_row_menu_on_page_three_redraws_page_three_in_place(bot, clock):
    ids = await seed(bot, clock)
    shown = await listed(bot)
    for _ in range(2):
        _, url = await bot.press(shown, Action.ACCOUNTS_NEXT)
        (shown,) = await bot.responses_to(url)
    target = ids[21]
    _, url = await bot.press(shown, Action.ACCOUNT_MENU, f"disable:{target}:")
    (updated,) = await bot.responses_to(url)
    assert updated["replace_original"] is True
    assert "Acme 022 (tiktok-acme-22) turned OFF" in flat(updated)
    assert "Showing 21–25 of 25" in flat(updated) and "Page 3 of 3" in flat(updated)
    assert not (await bot.services.accounts.get(ADMIN, target)).enabled


async def test_a_reply_the_response_url_refuses_comes_by_dm(bot, clock):
    """A response_url takes 5 posts within 30 minutes; after that the reply must not vanish."""
    ids = await seed(bot, clock, 3)
    shown = await listed(bot)
    action = p.overflow(Action.ACCOUNT_MENU, _option(shown, f"archive:{ids[0]}:"))
    url = bot.slack.response_url()
    bot.slack.expire_response_url(url)
    body = p.block_actions(
        action,
        user_id="UADMIN1",
        team_id="T0TEAM",
        trigger_id=bot.slack.trigger(),
        channel_id="C0GENERAL",
        response_url=url,
    )
    assert (await bot.send(body)).status == 200
    (posted,) = await bot.slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == "DADMIN1"  # the clicker's DM, opened for it
    assert "archived" in flat(posted.args["blocks"])
    assert (await bot.services.accounts.get(ADMIN, ids[0])).archived


def _option(surface: dict[str, Any], prefix: str) -> str:
    for block in surface["blocks"]:
        for opt in (block.get("accessory") or {}).get("options", []):
            if opt["value"].startswith(prefix):
                value: str = opt["value"]
                return value
    raise AssertionError(prefix)


async def test_modals_that_cannot_be_filled_say_why_instead_of_loading_for_ever(bot, clock):
    ids = await seed(bot, clock, 3)
    shown = await listed(bot)
    await bot.services.bulk.set_archived(ADMIN, [ids[0]], True)
    await bot.press(shown, Action.ACCOUNT_MENU, f"tags:{ids[0]}:")
    filled = await last_view(bot, "views.update")
    assert "archived; unarchive it first" in flat(filled)

    await bot.click(p.button(Action.BULK_OPEN, "an old button's value"))
    filled = await last_view(bot, "views.update", 2)
    assert "older version of the bot" in flat(filled)

    await bot.click(p.button(Action.PROFILE_MANAGE, ProfileRef(999).encode()))
    filled = await last_view(bot, "views.update", 3)
    assert "That profile no longer exists." in flat(filled)


async def test_a_long_filter_still_opens_bulk_actions(bot, clock):
    """The filter travelled in the modal's private_metadata, whose 3 000 characters a search
    full of quotes (each escaped twice) overran; now a key names it."""
    ids = await seed(bot, clock, 3)
    tags = tuple('"' * 60 + str(i) for i in range(5))
    await bot.services.bulk.add_tags(ADMIN, [ids[0]], list(tags))
    state = ListState(text='"' * 100, tags=tags)
    await bot.click(p.button(Action.BULK_OPEN, state.encode()))
    filled = await last_view(bot, "views.update")
    assert filled["callback_id"] == Modal.BULK
    assert len(filled["private_metadata"]) < 500


async def test_bulk_errors_land_under_inputs_the_form_has(bot, clock):
    """Without active profiles the form has no profile picker; Slack refuses errors for it."""
    db = bot.services.db
    broken = await make_profile(db, clock(), name="Broken", status="invalid")
    ids = await make_accounts(db, clock(), 2, profile_id=broken)
    shown = await listed(bot)
    await bot.press(shown, Action.BULK_OPEN)
    view = await last_view(bot, "views.update")
    assert Field.PROFILE not in {b.get("block_id") for b in view["blocks"]}
    reply = await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("change_profile")},
            Field.ACCOUNTS: {"options.accounts": p.selected_many([str(ids[0])])},
        },
    )
    assert reply.json["response_action"] == "errors"
    assert Field.PROFILE not in reply.json["errors"]
    assert "Choose the profile" in flat(reply.json["errors"])


async def test_a_bulk_change_redraws_the_list_it_came_from(bot, clock):
    ids = await seed(bot, clock, 3)
    shown = await listed(bot)
    _, url = await bot.press(shown, Action.BULK_OPEN)
    view = await last_view(bot, "views.update")
    await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("disable")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("all", "radio_buttons")},
        },
    )
    (redrawn,) = await bot.responses_to(url)
    assert redrawn["replace_original"] is True
    assert "Bulk disable: 3 done, 0 skipped" in flat(redrawn)
    assert flat(redrawn).count("*OFF*") == 3
    assert not any([(await bot.services.accounts.get(ADMIN, i)).enabled for i in ids])


async def test_nothing_done_is_not_shown_as_done(bot, clock):
    ids = await seed(bot, clock, 2)
    await bot.services.bulk.set_enabled(ADMIN, ids, False)
    shown = await listed(bot)
    _, url = await bot.press(shown, Action.BULK_OPEN)
    view = await last_view(bot, "views.update")
    await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("disable")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("all", "radio_buttons")},
        },
    )
    (redrawn,) = await bot.responses_to(url)
    assert ":warning: Bulk disable: 0 done, 2 skipped" in flat(redrawn)
    assert ":white_check_mark: Bulk" not in flat(redrawn)


async def test_slacks_ssl_check_is_answered(bot):
    reply = await bot.send(p.ssl_check())
    assert reply.status == 200 and reply.text == ""
    assert bot.slack.calls == []


async def test_a_cleared_select_changes_nothing(bot, clock):
    tracker = await bot.services.trackers.create(
        ADMIN, name="Voluum", kind="voluum", template="?cid=__CAMPAIGN_ID__"
    )
    await bot.services.trackers.set_integration_default(ADMIN, "tiktok", tracker)
    reply, _ = await bot.click(p.static_select(f"{Action.TRACKER_DEFAULT}.tiktok", None))
    assert reply.status == 200
    await bot.settle()
    defaults = await bot.services.trackers.integration_defaults(ADMIN)
    assert defaults["tiktok"] is not None and defaults["tiktok"].id == tracker
    assert bot.slack.calls_to("response_url") == []


async def test_an_org_wide_install_without_a_team_still_gets_a_sign_in_link(bot, clock):
    broken = await make_profile(bot.services.db, clock(), name="Main", status="invalid")
    _, url = await bot.click(
        p.button(Action.PROFILE_REAUTH, ProfileRef(broken).encode()), org_install=True
    )
    (told,) = await bot.responses_to(url)
    assert "/oauth/start?ticket=" in flat(told)


async def test_a_rate_limited_views_open_is_not_retried_past_its_trigger(bot):
    """slack_sdk would sleep out Retry-After, by which time the trigger is dead; the person is
    told to try again instead."""
    bot.slack.fail_next("views.open", status=429, retry_after=5)
    _, url = await bot.command("connect mediago")
    (told,) = await bot.responses_to(url)
    assert "did not let me open that form" in told["text"]
    assert len(bot.slack.calls_to("views.open")) == 1


async def test_a_tag_added_while_the_tags_form_is_open_is_not_taken_off(bot, clock):
    """Options were keyed by position: a tag that a sync added meanwhile shifted them, and the
    form took off the wrong one."""
    (first,) = await seed(bot, clock, 1)
    await bot.services.bulk.add_tags(ADMIN, [first], ["beta", "delta"])
    shown = await listed(bot)
    await bot.press(shown, Action.ACCOUNT_MENU, f"tags:{first}:")
    view = await last_view(bot, "views.update")
    offered = next(b for b in view["blocks"] if b.get("block_id") == Field.KEEP_TAGS)
    keep = [o["value"] for o in offered["element"]["options"] if "delta" in o["text"]["text"]]
    await bot.services.bulk.add_tags(ADMIN, [first], ["alpha"])  # sorts before the others
    reply = await bot.submit(view, {Field.KEEP_TAGS: {INPUT_ACTION: p.selected_many(keep)}})
    assert reply.status == 200
    await bot.settle()
    row = await bot.services.accounts.get(ADMIN, first)
    assert sorted(t.name for t in row.tags) == ["alpha", "delta"]


async def test_a_form_whose_work_fails_ends_in_an_error_view_not_in_progress(bot, clock):
    """Manage ad accounts turns into "Moving…" on submit; a profile removed meanwhile used to
    leave it there for good, the error arriving by DM."""
    db = bot.services.db
    main = await make_profile(db, clock(), name="Main")
    spare = await make_profile(db, clock(), name="Spare")
    ids = await make_accounts(db, clock(), 2, profile_id=main, reachable_by=(spare,))
    await bot.click(p.button(Action.PROFILE_MANAGE, ProfileRef(spare).encode()))
    view = await last_view(bot, "views.update")
    await bot.services.profiles.remove(ADMIN, spare)
    reply = await bot.submit(view, {Field.MOVE: {INPUT_ACTION: p.selected_many([str(ids[0])])}})
    assert "Moving" in flat(reply.json["view"])
    ended = await last_view(bot, "views.update", 2)
    assert "That profile no longer exists." in flat(ended)
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_an_archived_rows_menu_offers_unarchive_and_its_history(bot, clock):
    """An overflow menu of one option may be refused (slack-blockkit-rules.md §8.4)."""
    (first,) = await seed(bot, clock, 1)
    await bot.services.bulk.set_archived(ADMIN, [first], True)
    shown = await listed(bot, "accounts status:archived")
    _, url = await bot.press(shown, Action.ACCOUNT_MENU, f"history:{first}:")
    (history,) = await bot.responses_to(url)
    assert "Changes to Acme 001" in flat(history) and "archived" in flat(history)
    assert history["replace_original"] is False  # the list stays
