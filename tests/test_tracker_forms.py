"""The tracker forms and list through Slack: more trackers than a select holds, a stored tracker
type the list no longer knows, deleting trackers, the template hint following the tracker chosen,
and a taken name shown in the form."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import insert, select

from bot.trackers import TrackerSettings
from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.metadata import ProfileRef, TrackerRef, row_op_value
from handlers.views.blocks import offered
from storage.models import AuditEvent, Tracker
from tests.factories import make_profile
from tests.harness import BotUnderTest
from tests.support import ADMIN, ManualClock
from tests.test_slack_features import find, list_message, opened_view, seed, text_of


async def make_trackers(bot: BotUnderTest, clock: ManualClock, count: int) -> list[int]:
    """Trackers "Tracker 001"…, straight into the database (as many as a busy team keeps)."""
    async with bot.services.db.transaction() as session:
        await session.execute(
            insert(Tracker),
            [
                {
                    "name": f"Tracker {n:03d}",
                    "name_key": f"tracker {n:03d}",
                    "kind": "voluum",
                    "tracking_template": f"?t={n}&cid=__CID__",
                    "created_at": clock(),
                    "updated_at": clock(),
                }
                for n in range(1, count + 1)
            ],
        )
        rows = await session.execute(select(Tracker.id, Tracker.name).order_by(Tracker.name_key))
        return [tracker_id for tracker_id, _ in rows]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def tracker_settings(bot: BotUnderTest, account_id: int, count: int = 1) -> dict[str, Any]:
    message, _ = await list_message(bot)
    await bot.press(message, Action.ACCOUNT_MENU, row_op_value("tracker", account_id))
    view = await opened_view(bot, count)
    assert view["callback_id"] == Modal.TRACKER_SETTINGS
    return view


async def wait_until(check: Any) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("it never happened")


async def test_an_override_past_the_first_99_trackers_survives_a_save(bot, clock):
    data = await seed(bot, clock)
    account = data["ids"][0]
    trackers = await make_trackers(bot, clock, 150)
    far = trackers[139]  # "Tracker 140": beyond what one list of options holds
    core = bot.services
    await core.trackers.set_integration_default(ADMIN, "tiktok", trackers[0])
    await core.bulk.set_tracker(ADMIN, [account], TrackerSettings(tracker_id=far))

    view = await tracker_settings(bot, account)
    select_ = block(view, Field.TRACKER)["element"]
    assert select_["initial_option"]["value"] == f"t{far}"
    values = [o["value"] for o in offered(select_)]
    assert len(values) == 151 and len(set(values)) == 151  # every tracker, each once
    # Slack submits the choice shown, untouched.
    await bot.submit(
        view, {Field.TRACKER: {INPUT_ACTION: p.selected(select_["initial_option"]["value"])}}
    )
    await bot.slack.wait_for("response_url", 2)
    row = await core.accounts.get(ADMIN, account)
    assert (row.tracker.tracker_name, row.tracker.tracker_source) == ("Tracker 140", "override")


async def test_the_default_picker_and_bulk_form_offer_every_tracker(bot, clock):
    await seed(bot, clock)
    trackers = await make_trackers(bot, clock, 150)
    await bot.services.trackers.set_integration_default(ADMIN, "tiktok", trackers[139])
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    picker = find(page, f"{Action.TRACKER_DEFAULT}.tiktok")
    assert picker["initial_option"]["value"] == f"tiktok:{trackers[139]}"
    loaded = await bot.suggest(picker["action_id"], "", block_id="defaults")
    assert len(loaded.json["options"]) == 100  # Slack takes at most 100 in one answer
    loaded = await bot.suggest(picker["action_id"], "tracker 15", block_id="defaults")
    assert [o["text"]["text"] for o in loaded.json["options"]] == ["No default tracker"] + [
        f"Tracker {n}" for n in range(150, 151)
    ]

    _, url = await bot.press(page, f"{Action.TRACKER_DEFAULT}.tiktok", f"tiktok:{trackers[149]}")
    (redrawn,) = await bot.responses_to(url)
    assert "*TikTok*: Tracker 150" in text_of(redrawn)

    message, _ = await list_message(bot)
    await bot.press(message, Action.BULK_OPEN)
    bulk = await opened_view(bot)
    assert len(offered(block(bulk, Field.TRACKER)["element"])) == 150


async def test_long_tracker_names_stay_distinguishable_in_a_menu(bot, clock):
    data = await seed(bot, clock)
    stem = "Voluum tracker for the EMEA performance team, campaign group of the north "
    core = bot.services
    a = await core.trackers.create(ADMIN, name=stem + "sweden", kind="voluum", template="?a=1")
    b = await core.trackers.create(ADMIN, name=stem + "norway", kind="voluum", template="?b=1")
    view = await tracker_settings(bot, data["ids"][0])
    labels = [o["text"]["text"] for o in offered(block(view, Field.TRACKER)["element"])]
    assert len(set(labels)) == 3 and all(len(label) <= 75 for label in labels)
    assert {labels[1][-len(f" #{a}") :], labels[2][-len(f" #{b}") :]} == {f" #{a}", f" #{b}"}


async def test_a_stored_tracker_type_the_form_does_not_offer_can_be_edited(bot, clock):
    async with bot.services.db.transaction() as session:
        session.add(
            Tracker(
                name="Old one",
                kind="thrivetracker",
                tracking_template="?x=1",
                created_at=clock(),
                updated_at=clock(),
            )
        )
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    await bot.press(page, Action.TRACKER_EDIT)
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.TRACKER_CONNECTION
    kind = block(view, Field.KIND)
    assert "initial_option" not in kind["element"]
    assert "thrivetracker" in kind["hint"]["text"]
    await bot.submit(
        view,
        {
            Field.NAME: {INPUT_ACTION: p.text_value("Old one")},
            Field.KIND: {INPUT_ACTION: p.selected("other")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?x=1")},
        },
    )

    async def saved() -> bool:
        (tracker,) = await bot.services.trackers.list_trackers(ADMIN)
        return tracker.kind == "other"

    await wait_until(saved)


async def test_trackers_can_be_deleted_unless_in_use(bot, clock):
    data = await seed(bot, clock)
    core = bot.services
    spare = await core.trackers.create(ADMIN, name="Spare", kind="binom", template="?s=1")
    default = await core.trackers.create(ADMIN, name="Main", kind="voluum", template="?m=1")
    linked = await core.trackers.create(ADMIN, name="Linked", kind="redtrack", template="?l=1")
    await core.trackers.set_integration_default(ADMIN, "tiktok", default)
    await core.bulk.set_tracker(ADMIN, data["ids"][:2], TrackerSettings(tracker_id=linked))
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)

    delete = find(page, Action.TRACKER_DELETE)
    assert delete["style"] == "danger" and delete["confirm"]["confirm"]["text"] == "Delete"

    for tracker_id, refusal in (
        (default, "Main is the default tracker for tiktok"),
        (linked, "2 account(s) link Linked directly"),
    ):
        _, url = await bot.click(
            p.button(Action.TRACKER_DELETE, value_of(page, tracker_id)), message=page
        )
        (reply,) = await bot.responses_to(url)
        assert reply["text"].startswith(":warning: " + refusal), reply["text"]

    _, url = await bot.click(p.button(Action.TRACKER_DELETE, value_of(page, spare)), message=page)
    (redrawn,) = await bot.responses_to(url)
    assert redrawn["replace_original"] is True
    assert ":wastebasket: Tracker *Spare* deleted." in text_of(redrawn)
    assert "*Spare*" not in text_of(redrawn["blocks"][1:])
    assert sorted(t.name for t in await core.trackers.list_trackers(ADMIN)) == ["Linked", "Main"]
    async with core.db.reader() as session:
        (audited,) = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "tracker.delete"))
        ).all()
    assert (audited.target_label, audited.actor_id) == ("Spare", "UADMIN1")


def value_of(page: dict[str, Any], tracker_id: int) -> str:
    value = TrackerRef(tracker_id).encode()
    assert value in text_of(page)  # a button the list really shows
    return value


async def test_the_template_hint_follows_the_tracker_chosen(bot, clock):
    data = await seed(bot, clock)
    core = bot.services
    main = await core.trackers.create(ADMIN, name="Main", kind="voluum", template="?main=__CID__")
    other = await core.trackers.create(ADMIN, name="Other", kind="binom", template="?other=__AID__")
    await core.trackers.set_integration_default(ADMIN, "tiktok", main)
    view = await tracker_settings(bot, data["ids"][0])
    assert block(view, Field.TRACKER)["dispatch_action"] is True
    assert "Main's own template: ?main=__CID__" in block(view, Field.TEMPLATE)["hint"]["text"]

    await bot.press(view, INPUT_ACTION, f"t{other}")
    updates = await bot.slack.wait_for("views.update", 2)
    update = updates[-1].args
    assert (update["view_id"], update["hash"]) == (view["id"], view["hash"])
    redrawn = update["view"]
    assert "Other's own template: ?other=__AID__" in block(redrawn, Field.TEMPLATE)["hint"]["text"]
    assert block(redrawn, Field.TRACKER)["element"]["initial_option"]["value"] == f"t{other}"
    # Same block and action ids as before, so Slack keeps what was typed in the form.
    ids = [(b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in view["blocks"]]
    assert ids == [
        (b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in redrawn["blocks"]
    ]


async def test_a_stale_tracker_choice_is_dropped_quietly(bot, clock):
    data = await seed(bot, clock)
    core = bot.services
    other = await core.trackers.create(ADMIN, name="Other", kind="binom", template="?o=1")
    view = await tracker_settings(bot, data["ids"][0])
    await bot.press(view, INPUT_ACTION, f"t{other}")  # a first choice redraws the form…
    await bot.slack.wait_for("views.update", 2)
    await bot.press(view, INPUT_ACTION, "default")  # …so a second one from before is stale
    updates = await bot.slack.wait_for("views.update", 3)
    assert updates[-1].result["error"] == "hash_conflict"
    await bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []  # no error DM for a harmless race


async def test_a_taken_tracker_name_is_shown_in_the_form(bot, clock):
    await bot.services.trackers.create(ADMIN, name="Voluum", kind="voluum", template="?v=1")
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    await bot.press(page, Action.TRACKER_ADD)
    view = await opened_view(bot)
    reply = await bot.submit(
        view,
        {
            Field.NAME: {INPUT_ACTION: p.text_value("VOLUUM")},
            Field.KIND: {INPUT_ACTION: p.selected("voluum")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?v=2")},
        },
    )
    assert reply.json == {
        "response_action": "errors",
        "errors": {Field.NAME: "A tracker named 'VOLUUM' already exists."},
    }
    assert len(await bot.services.trackers.list_trackers(ADMIN)) == 1
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_taken_profile_name_is_shown_in_the_rename_form(bot, clock):
    db = bot.services.db
    await make_profile(db, clock(), name="Main")
    spare = await make_profile(db, clock(), name="Spare")
    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    await bot.click(p.button(Action.PROFILE_RENAME, ProfileRef(spare).encode()), message=cards)
    view = await opened_view(bot)
    for typed, error in (
        ("main", "A TikTok profile named 'main' already exists."),
        ("Spare", "The profile is already called Spare."),
    ):
        reply = await bot.submit(view, {Field.NAME: {INPUT_ACTION: p.text_value(typed)}})
        assert reply.json == {"response_action": "errors", "errors": {Field.NAME: error}}
    assert (await bot.services.profiles.get(ADMIN, spare)).name == "Spare"
    assert bot.slack.calls_to("chat.postMessage") == []
