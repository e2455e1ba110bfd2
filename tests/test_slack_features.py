"""Every domain feature of DESIGN.md §1, reached from Slack through the real app."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.accounts import AccountFilter
from fakes import slack_payloads as p
from fakes.mediago import FakeMediaGo, as_basic
from handlers.ids import INPUT_ACTION, Action, Field, Modal, Options
from handlers.metadata import ProfileRef, row_op_value
from storage.models import AuditEvent, Profile
from tests.factories import make_accounts, make_profile
from tests.harness import MEMBER_ID, BotUnderTest
from tests.support import ADMIN, ManualClock


def find(payload: Any, action_id: str) -> dict[str, Any]:
    if isinstance(payload, dict):
        if payload.get("action_id") == action_id:
            return payload
        for value in payload.values():
            try:
                return find(value, action_id)
            except LookupError:
                pass
    if isinstance(payload, list):
        for value in payload:
            try:
                return find(value, action_id)
            except LookupError:
                pass
    raise LookupError(action_id)


def text_of(payload: Any) -> str:
    return str(payload)


async def seed(bot: BotUnderTest, clock: ManualClock) -> dict[str, Any]:
    db = bot.services.db
    main = await make_profile(db, clock(), name="Main")
    backup = await make_profile(db, clock(), name="Backup")
    ids = await make_accounts(db, clock(), 12, profile_id=main, reachable_by=(backup,))
    return {"main": main, "backup": backup, "ids": ids}


async def list_message(bot: BotUnderTest, text: str = "accounts") -> tuple[dict[str, Any], str]:
    reply, url = await bot.command(text)
    assert reply.status == 200
    (response,) = await bot.responses_to(url)
    return response, url


async def opened_view(bot: BotUnderTest, count: int = 1) -> dict[str, Any]:
    """The latest view the bot opened or filled in (views.update after a loading view)."""
    await bot.slack.wait_for("views.open", count)
    calls = [c for c in bot.slack.calls if c.method in ("views.open", "views.update")]
    for _ in range(100):
        calls = [c for c in bot.slack.calls if c.method in ("views.open", "views.update")]
        if calls and calls[-1].args["view"].get("callback_id") != Modal.RESULT:
            break
        await __import__("asyncio").sleep(0.02)
    assert calls[-1].result.get("ok"), calls[-1].result
    return calls[-1].result["view"]  # as Slack holds it: with its id


async def test_list_pages_and_filters(bot, clock):
    await seed(bot, clock)
    message, _ = await list_message(bot, "accounts tiktok")
    assert "Showing 1–10 of 12" in text_of(message)
    next_button = find(message, Action.ACCOUNTS_NEXT)
    reply, url = await bot.click(
        p.button(Action.ACCOUNTS_NEXT, next_button["value"]), message=message
    )
    assert reply.status == 200
    (page2,) = await bot.responses_to(url)
    assert "Showing 11–12 of 12" in text_of(page2) and page2["replace_original"] is True


async def test_row_menu_toggles_and_archives_and_the_list_follows(bot, clock):
    data = await seed(bot, clock)
    message, _ = await list_message(bot)
    first = data["ids"][0]
    reply, url = await bot.press(message, Action.ACCOUNT_MENU, f"disable:{first}:")
    assert reply.status == 200
    (updated,) = await bot.responses_to(url)
    assert "turned OFF" in text_of(updated) and updated["replace_original"] is True
    assert not (await bot.services.accounts.get(ADMIN, first)).enabled

    _, url = await bot.press(updated, Action.ACCOUNT_MENU, f"archive:{first}:")
    (archived,) = await bot.responses_to(url)
    assert "Acme 001" not in text_of(archived["blocks"][1:])
    page = await bot.services.accounts.list_accounts(ADMIN, AccountFilter(status="archived"))
    assert [r.id for r in page.rows] == [first]

    _, url = await bot.press(updated, Action.ACCOUNT_MENU, f"archive:{first}:")  # a stale list
    (stale,) = await bot.responses_to(url)
    assert "already archived" in stale["text"]
    listed, _ = await list_message(bot, "accounts status:archived")
    _, url = await bot.press(listed, Action.ACCOUNT_MENU, f"unarchive:{first}:")
    await bot.responses_to(url)
    assert not (await bot.services.accounts.get(ADMIN, first)).archived


async def test_members_cannot_use_row_menus(bot, clock):
    data = await seed(bot, clock)
    await list_message(bot)
    _, url = await bot.click(
        p.overflow(Action.ACCOUNT_MENU, row_op_value("archive", data["ids"][0])), user=MEMBER_ID
    )
    (refusal,) = await bot.responses_to(url)
    assert "adops admin permission" in refusal["text"]
    assert not (await bot.services.accounts.get(ADMIN, data["ids"][0])).archived


async def test_tags_editor(bot, clock):
    data = await seed(bot, clock)
    first = data["ids"][0]
    await bot.services.bulk.add_tags(ADMIN, [first], ["old", "keep"])
    message, _ = await list_message(bot)
    await bot.click(p.overflow(Action.ACCOUNT_MENU, row_op_value("tags", first)), message=message)
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.TAGS
    keep = find(view, INPUT_ACTION)  # the keep-tags select
    kept = [o["value"] for o in keep["options"] if o["text"]["text"].startswith("keep")]
    bad = await bot.submit(
        view,
        {
            Field.KEEP_TAGS: {INPUT_ACTION: p.selected_many(kept)},
            Field.TAGS: {INPUT_ACTION: p.text_value("x" * 70)},
        },
    )
    assert (
        bad.json["response_action"] == "errors" and "limit is 64" in bad.json["errors"][Field.TAGS]
    )
    ok = await bot.submit(
        view,
        {
            Field.KEEP_TAGS: {INPUT_ACTION: p.selected_many(kept)},
            Field.TAGS: {INPUT_ACTION: p.text_value("new one, Ünïcode 🚀")},
        },
    )
    assert ok.status == 200 and ok.text == ""
    await bot.slack.wait_for("response_url", 2)
    row = await bot.services.accounts.get(ADMIN, first)
    assert sorted(t.name for t in row.tags) == ["keep", "new one", "Ünïcode 🚀"]


async def test_change_profile_offers_only_profiles_with_access(bot, clock):
    data = await seed(bot, clock)
    await make_profile(bot.services.db, clock(), name="Stranger")
    message, _ = await list_message(bot)
    first = data["ids"][0]
    await bot.click(
        p.overflow(Action.ACCOUNT_MENU, row_op_value("profile", first)), message=message
    )
    view = await opened_view(bot)
    offered = [o["text"]["text"] for o in find(view, INPUT_ACTION)["options"]]
    assert offered == ["Backup"]
    await bot.submit(view, {Field.PROFILE: {INPUT_ACTION: p.selected(str(data["backup"]))}})
    await bot.slack.wait_for("response_url", 2)
    assert (await bot.services.accounts.get(ADMIN, first)).profile_name == "Backup"


async def test_tracker_settings_and_trackers_page(bot, clock):
    data = await seed(bot, clock)
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    await bot.click(
        p.button(Action.TRACKER_ADD, find(page, Action.TRACKER_ADD)["value"]), message=page
    )
    view = await opened_view(bot)
    await bot.submit(
        view,
        {
            Field.NAME: {INPUT_ACTION: p.text_value("Voluum EU")},
            Field.KIND: {INPUT_ACTION: p.selected("voluum")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?cid={{campaign.id}}")},
        },
    )
    await bot.slack.wait_for("response_url", 2)
    (tracker,) = await bot.services.trackers.list_trackers(ADMIN)

    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    picker = find(page, f"{Action.TRACKER_DEFAULT}.tiktok")
    loaded = await bot.suggest(picker["action_id"], "voluum", block_id="defaults")
    choice = next(o for o in loaded.json["options"] if o["value"] == f"tiktok:{tracker.id}")
    await bot.press(page, picker["action_id"], choice["value"])
    await bot.responses_to(url, 1)
    await bot.slack.wait_for("response_url", 4)
    row = await bot.services.accounts.get(ADMIN, data["ids"][0])
    assert (row.tracker.tracker_name, row.tracker.tracker_source) == ("Voluum EU", "default")

    message, _ = await list_message(bot)
    await bot.click(
        p.overflow(Action.ACCOUNT_MENU, row_op_value("tracker", data["ids"][0])), message=message
    )
    view = await opened_view(bot, 2)
    assert view["callback_id"] == Modal.TRACKER_SETTINGS
    await bot.submit(
        view,
        {
            Field.TRACKER: {INPUT_ACTION: p.selected("default")},
            Field.PAUSED: {
                INPUT_ACTION: {"type": "checkboxes", "selected_options": [{"value": "paused"}]}
            },
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?own=1")},
        },
    )
    for _ in range(100):
        row = await bot.services.accounts.get(ADMIN, data["ids"][0])
        if row.tracker.paused:
            break
        await __import__("asyncio").sleep(0.02)
    assert (row.tracker.state, row.tracker.template) == ("paused", "?own=1")


async def test_bulk_actions_with_typeahead_and_per_account_results(bot, clock):
    data = await seed(bot, clock)
    await bot.services.bulk.set_enabled(ADMIN, [data["ids"][1]], False)
    message, _ = await list_message(bot)
    await bot.click(
        p.button(Action.BULK_OPEN, find(message, Action.BULK_OPEN)["value"]), message=message
    )
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.BULK
    options = await bot.suggest(Options.ACCOUNTS, "acme 00", view=view)
    labels = [o["text"]["text"] for o in options.json["options"]]
    assert labels[0].startswith("Acme 001") and len(labels) == 9

    missing = await bot.submit(view, {Field.ACTION: {INPUT_ACTION: p.selected("disable")}})
    assert missing.json["response_action"] == "errors" and Field.ACCOUNTS in missing.json["errors"]
    chosen = [str(i) for i in data["ids"][:3]]
    reply = await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("disable")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("chosen", "radio_buttons")},
            Field.ACCOUNTS: {Options.ACCOUNTS: p.selected_many(chosen, "multi_external_select")},
        },
    )
    assert reply.json["response_action"] == "update"
    result = None
    for _ in range(100):
        updates = [
            c
            for c in bot.slack.calls_to("views.update")
            if c.args.get("view_id") == view["id"] and "2 done" in text_of(c.args["view"])
        ]
        if updates:
            result = updates[-1].args["view"]
            break
        await __import__("asyncio").sleep(0.02)
    assert result is not None and "2 done" in text_of(result) and "1 skipped" in text_of(result)
    assert "already OFF" in text_of(result)
    async with bot.services.db.reader() as session:
        bulk_ids = {
            r.bulk_id
            for r in (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "account.disable")
                )
            ).all()
        }
    assert len(bulk_ids - {None}) == 1


async def test_bulk_apply_to_the_whole_filtered_list(bot, clock):
    await seed(bot, clock)
    message, _ = await list_message(bot, "accounts acme 01")
    await bot.click(
        p.button(Action.BULK_OPEN, find(message, Action.BULK_OPEN)["value"]), message=message
    )
    view = await opened_view(bot)
    await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("archive")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("all", "radio_buttons")},
        },
    )
    for _ in range(100):
        page = await bot.services.accounts.list_accounts(ADMIN, AccountFilter(status="archived"))
        if page.total:
            break
        await __import__("asyncio").sleep(0.02)
    assert sorted(r.name for r in page.rows) == ["Acme 010", "Acme 011", "Acme 012"]


async def test_profiles_cards_manage_rename_remove(bot, clock):
    data = await seed(bot, clock)
    spare = await make_profile(bot.services.db, clock(), name="Spare")
    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    assert "Accounts using it" in text_of(cards)
    removes = [
        e
        for b in cards["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.PROFILE_REMOVE
    ]
    assert len(removes) == 2  # Backup and Spare: no account uses them

    await bot.click(
        p.button(Action.PROFILE_MANAGE, ProfileRef(data["backup"]).encode()), message=cards
    )
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.MANAGE_ACCOUNTS
    await bot.submit(
        view, {Field.MOVE: {INPUT_ACTION: p.selected_many([str(i) for i in data["ids"][:2]])}}
    )
    for _ in range(100):
        if (await bot.services.profiles.get(ADMIN, data["backup"])).accounts_using == 2:
            break
        await __import__("asyncio").sleep(0.02)
    assert (await bot.services.profiles.get(ADMIN, data["backup"])).accounts_using == 2

    await bot.click(p.button(Action.PROFILE_RENAME, ProfileRef(spare).encode()), message=cards)
    view = await opened_view(bot, 2)
    await bot.submit(view, {Field.NAME: {INPUT_ACTION: p.text_value("Spare EU")}})
    _, url = await bot.click(
        p.button(Action.PROFILE_REMOVE, ProfileRef(data["main"]).encode()), message=cards
    )
    (refusal,) = await bot.responses_to(url)
    assert "move them to another profile first" in refusal["text"]
    for _ in range(100):
        if (await bot.services.profiles.get(ADMIN, spare)).name == "Spare EU":
            break
        await __import__("asyncio").sleep(0.02)
    _, url = await bot.click(
        p.button(Action.PROFILE_REMOVE, ProfileRef(spare).encode()), message=cards
    )
    (removed,) = await bot.responses_to(url)
    assert "Spare EU" in removed["text"] and "removed" in removed["text"]


async def test_connect_mediago_checks_with_the_provider_first(
    bot, clock, fake_mediago: FakeMediaGo
):
    good = as_basic("mg-token-1")
    fake_mediago.add_credentials(good, accounts=2)
    reply, _ = await bot.command("connect mediago")
    assert reply.status == 200
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.MEDIAGO_CREDENTIALS
    values = {
        Field.NAME: {INPUT_ACTION: p.text_value("MG Client")},
        Field.KEY: {INPUT_ACTION: p.text_value("")},
        Field.SECRET: {INPUT_ACTION: p.text_value("wrong-secret")},
    }
    checking = await bot.submit(view, values)
    assert checking.json["response_action"] == "update" and "Checking" in text_of(
        checking.json["view"]
    )
    (update,) = await bot.slack.wait_for("views.update")
    assert "rejected these credentials" in text_of(update.args["view"])
    assert "wrong-secret" not in text_of(update.args["view"])
    name_block = next(b for b in update.args["view"]["blocks"] if b.get("block_id") == Field.NAME)
    assert name_block["element"]["initial_value"] == "MG Client"  # typed again for nothing else
    async with bot.services.db.reader() as session:
        assert (await session.scalars(select(Profile))).all() == []

    values[Field.SECRET] = {INPUT_ACTION: p.text_value(good)}
    await bot.submit(view, values)
    updates = await bot.slack.wait_for("views.update", 2)
    assert "2 ad account(s) reachable. Syncing them now" in text_of(updates[-1].args["view"])
    await bot.settle()  # the first sync, in the scheduler, answers by DM
    (answer,) = [
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == "DADMIN1"
    ]
    assert (
        "Connected *MG Client* (MediaGo): 2 ad account(s) reachable, 2 new" in answer.args["text"]
    )
    assert all(good not in text_of(c.args) for c in bot.slack.calls)
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    assert (card.name, card.accounts_using) == ("MG Client", 2)


async def test_sync_command_pulls_new_accounts(bot, clock, fake_tiktok):
    token = fake_tiktok.issue_token("alice")
    card = await bot.services.profiles.create(ADMIN, "tiktok", name="Alice", secret=token)
    _, url = await bot.command("sync alice")
    responses = await bot.responses_to(url, 2)
    assert "3 account(s) reachable, 3 new" in responses[-1]["blocks"][0]["text"]["text"]
    fake_tiktok.grant("alice")
    _, url = await bot.command("sync")
    responses = await bot.responses_to(url, 2)
    assert "4 account(s) reachable, 1 new" in text_of(responses[-1])
    assert (await bot.services.profiles.get(ADMIN, card.id)).accounts_using == 4


async def test_alerts_audit_and_admins_commands(bot, clock):
    data = await seed(bot, clock)
    _, url = await bot.command("alerts here", channel="C0ADOPS")
    await bot.responses_to(url)
    assert await bot.services.settings.alert_channel() == "C0ADOPS"
    _, url = await bot.command("alerts here", channel="D0DM")
    assert "need a channel" in (await bot.responses_to(url))[0]["text"]
    _, url = await bot.command("alerts <#C0OTHER|ad-ops>")
    await bot.responses_to(url)
    assert await bot.services.settings.alert_channel() == "C0OTHER"

    await bot.services.bulk.set_archived(ADMIN, [data["ids"][0]], True)
    _, url = await bot.command("audit tiktok-acme-1")
    (audit,) = await bot.responses_to(url)
    assert "account.archive" in text_of(audit) and "<@UADMIN1>" in text_of(audit)
    _, url = await bot.command("audit nothing-like-this")
    assert "No ad account or profile" in (await bot.responses_to(url))[0]["text"]

    _, url = await bot.command("admins add <@UMEMBER1|mo>")
    await bot.responses_to(url)
    reply, _ = await bot.command("connect mediago", user=MEMBER_ID)
    assert reply.status == 200 and reply.text == ""  # acked, no refusal: now an admin
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.MEDIAGO_CREDENTIALS


async def test_stale_row_menu_on_a_since_archived_account_explains_itself(bot, clock):
    data = await seed(bot, clock)
    message, _ = await list_message(bot)
    await bot.services.bulk.set_archived(ADMIN, [data["ids"][0]], True)
    await bot.click(
        p.overflow(Action.ACCOUNT_MENU, row_op_value("tags", data["ids"][0])), message=message
    )
    (update,) = await bot.slack.wait_for("views.update")
    assert "is archived; unarchive it first" in text_of(update.args["view"])
    assert (await bot.services.accounts.get(ADMIN, data["ids"][0])).tags == ()


async def test_buttons_of_a_since_removed_profile_say_so_and_change_nothing(bot, clock):
    data = await seed(bot, clock)
    spare = await make_profile(bot.services.db, clock(), name="Spare")
    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    await bot.services.profiles.remove(ADMIN, spare)
    async with bot.services.db.reader() as session:
        audited = len((await session.scalars(select(AuditEvent))).all())

    # Sync shows its progress line first; every button ends with the same plain answer.
    for action, count in (
        (Action.PROFILE_SYNC, 1),
        (Action.PROFILE_REMOVE, 1),
        (Action.PROFILE_REAUTH, 1),
    ):
        _, url = await bot.click(p.button(action, ProfileRef(spare).encode()), message=cards)
        replies = await bot.responses_to(url, count)
        assert replies[-1]["text"] == ":warning: That profile no longer exists.", action
    # Rename opens its modal at once (the trigger lasts 3 s) and says so there.
    await bot.click(p.button(Action.PROFILE_RENAME, ProfileRef(spare).encode()), message=cards)
    (updated,) = await bot.slack.wait_for("views.update")
    assert "That profile no longer exists." in str(updated.args["view"]["blocks"])
    async with bot.services.db.reader() as session:
        assert len((await session.scalars(select(AuditEvent))).all()) == audited
        assert {p.id for p in (await session.scalars(select(Profile))).all()} == {
            data["main"],
            data["backup"],
        }


async def test_filters_naming_unknown_tags_or_profiles_are_answered_plainly(bot, clock):
    await seed(bot, clock)
    message, _ = await list_message(bot, "accounts tag:no-such-tag")
    assert message["text"] == ":warning: No tag named 'no-such-tag'."
    message, _ = await list_message(bot, "accounts zzzz-nothing")
    assert "No ad accounts match." in text_of(message)
