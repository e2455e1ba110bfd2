"""Every mutating subcommand, button and modal, sent by a member: refused with a clear message,
and not one row of the database changes. The same request from an admin does have an effect,
so each refusal is a permission check and not a request that would have done nothing anyway.

The lists are checked against the registry and `handlers.ids`, so a new button, modal or
mutating subcommand cannot be added without joining the matrix.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.permissions import Permission, system_actor
from fakes import slack_payloads as p
from fakes.mediago import FakeMediaGo, as_basic
from handlers.commands import registry
from handlers.ids import INPUT_ACTION, Action, Field, Modal, Options
from handlers.metadata import AlertMove, ListState, ProfileRef, TrackerRef, row_op_value
from storage.db import Database
from storage.models import Alert, Base
from tests.factories import make_accounts, make_profile
from tests.harness import MEMBER_ID, BotUnderTest
from tests.support import ADMIN, ManualClock

DENIAL = "needs the adops admin permission"
GRANTED_ADMIN = "UOTHERADM"


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path, sqlite_template) -> str:
    """Permissions do not depend on the backend; one is enough for this long matrix."""
    target = tmp_path / "adops.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@dataclass
class World:
    main: int
    backup: int
    spare: int
    mediago: int
    accounts: list[int]
    tracker: int
    alert: int
    listing: dict[str, Any]


async def build_world(bot: BotUnderTest, clock: ManualClock, fake_mediago: FakeMediaGo) -> World:
    core = bot.services
    db = core.db
    main = await make_profile(db, clock(), name="Main")
    backup = await make_profile(db, clock(), name="Backup")
    spare = await make_profile(db, clock(), name="Spare")
    mediago = await make_profile(db, clock(), provider="mediago", name="MG", secret="mg-old")
    accounts = await make_accounts(db, clock(), 4, profile_id=main, reachable_by=(backup,))
    await core.roles.grant_admin(ADMIN, GRANTED_ADMIN)
    tracker = await core.trackers.create(ADMIN, name="Voluum", kind="voluum", template="?a=1")
    await core.profiles.mark_invalid(system_actor(), main, "token revoked")
    await bot.services.alerts.reconcile()
    async with db.reader() as session:
        alert = await session.scalar(select(Alert.id).where(Alert.profile_id == main))
    fake_mediago.add_credentials(as_basic("mg-good-credentials"), accounts=1)
    _, url = await bot.command("accounts status:all")
    (listing,) = await bot.responses_to(url)
    return World(main, backup, spare, mediago, accounts, tracker, alert, listing)


async def digest(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    found = {}
    async with db.reader() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted((tuple(map(repr, r)) for r in rows), key=repr)
    return found


async def settle(bot: BotUnderTest) -> None:
    await bot.settle()
    await asyncio.sleep(0.15)  # listeners run on after their ack


def opened(bot: BotUnderTest) -> int:
    return len(bot.slack.calls_to("views.open"))


async def had_effect(bot: BotUnderTest, before: dict, views: int) -> bool:
    """Whether the admin's request changed a row or opened a modal (its work runs after the
    ack, so give it a moment)."""
    for _ in range(100):
        if opened(bot) > views or await digest(bot.services.db) != before:
            return True
        await asyncio.sleep(0.05)
    return False


# ------------------------------------------------------------------ commands

MUTATING_COMMANDS = {
    "connect tiktok": "connect tiktok",
    "connect mediago": "connect mediago",
    "sync": "sync",
    "sync one profile": "sync Backup",
    "alerts here": "alerts here",
    "alerts off": "alerts off",
    "alerts to a channel": "alerts <#C0OTHER|other>",
    "admins add": f"admins add <@{MEMBER_ID}>",
    "admins remove": f"admins remove <@{GRANTED_ADMIN}>",
}


def test_every_manage_subcommand_is_in_the_matrix():
    manage = {c.slug for c in registry.commands if c.permission == Permission.MANAGE}
    texts = MUTATING_COMMANDS.values()
    missing = {s for s in manage if not any(t == s or t.startswith(s + " ") for t in texts)}
    assert not missing


async def replies_to(bot: BotUnderTest, url: str) -> str:
    token = url.rsplit("/", 1)[-1]
    return " ".join(
        str(c.args) for c in bot.slack.calls_to("response_url") if token in c.args["url"]
    )


@pytest.mark.parametrize("case", sorted(MUTATING_COMMANDS))
async def test_members_cannot_run_mutating_commands(bot, clock, fake_mediago, case):
    await build_world(bot, clock, fake_mediago)
    text = MUTATING_COMMANDS[case]
    before, views = await digest(bot.services.db), opened(bot)
    posted = len(bot.slack.calls_to("chat.postMessage"))
    reply, url = await bot.command(text, user=MEMBER_ID)
    await settle(bot)
    assert reply.status == 200
    assert DENIAL in reply.text + await replies_to(bot, url)
    assert await digest(bot.services.db) == before and opened(bot) == views
    assert len(bot.slack.calls_to("chat.postMessage")) == posted  # nothing posted anywhere

    reply, url = await bot.command(text)
    await settle(bot)

    assert DENIAL not in reply.text + await replies_to(bot, url)
    assert await had_effect(bot, before, views)


# ------------------------------------------------------------------- buttons

Click = Callable[[World], dict[str, Any]]


def row_menu(op: str) -> Click:
    return lambda w: p.overflow(Action.ACCOUNT_MENU, row_op_value(op, w.accounts[0]))


BUTTONS: dict[str, Click] = {
    **{
        f"row menu {op}": row_menu(op)
        for op in ("disable", "archive", "tags", "profile", "tracker")
    },
    "bulk actions": lambda w: p.button(Action.BULK_OPEN, ListState().encode()),
    "manage ad accounts": lambda w: p.button(Action.PROFILE_MANAGE, ProfileRef(w.backup).encode()),
    "sync now": lambda w: p.button(Action.PROFILE_SYNC, ProfileRef(w.backup).encode()),
    "re-authenticate": lambda w: p.button(Action.PROFILE_REAUTH, ProfileRef(w.backup).encode()),
    "update credentials": lambda w: p.button(
        Action.PROFILE_CREDENTIALS, ProfileRef(w.mediago).encode()
    ),
    "rename": lambda w: p.button(Action.PROFILE_RENAME, ProfileRef(w.spare).encode()),
    "remove": lambda w: p.button(Action.PROFILE_REMOVE, ProfileRef(w.spare).encode()),
    "add tracker": lambda w: p.button(Action.TRACKER_ADD, TrackerRef().encode()),
    "edit tracker": lambda w: p.button(Action.TRACKER_EDIT, TrackerRef(w.tracker).encode()),
    "delete tracker": lambda w: p.button(Action.TRACKER_DELETE, TrackerRef(w.tracker).encode()),
    "default tracker": lambda w: p.static_select(
        f"{Action.TRACKER_DEFAULT}.tiktok", f"tiktok:{w.tracker}"
    ),
    "alert re-authenticate": lambda w: p.button(Action.ALERT_REAUTH, ProfileRef(w.main).encode()),
    "alert update credentials": lambda w: p.button(
        Action.ALERT_CREDENTIALS, ProfileRef(w.mediago).encode()
    ),
    "alert move to backup": lambda w: p.button(
        Action.ALERT_MOVE, AlertMove(w.alert, w.backup).encode()
    ),
}
VIEW_ONLY_ACTIONS = {Action.ACCOUNTS_PREV, Action.ACCOUNTS_NEXT, Action.AUDIT_NEXT, Action.LINK}


def test_every_button_is_in_the_matrix():
    world = World(1, 2, 3, 4, [5], 6, 7, {})
    covered = {BUTTONS[name](world)["action_id"].split(".tiktok")[0] for name in BUTTONS}
    assert set(Action) - VIEW_ONLY_ACTIONS <= covered, set(Action) - VIEW_ONLY_ACTIONS - covered


@pytest.mark.parametrize("case", sorted(BUTTONS))
async def test_members_cannot_press_mutating_buttons(bot, clock, fake_mediago, case):
    world = await build_world(bot, clock, fake_mediago)
    action = BUTTONS[case](world)
    before, views = await digest(bot.services.db), opened(bot)
    reply, url = await bot.click(action, user=MEMBER_ID, message=world.listing)
    await settle(bot)
    assert reply.status == 200
    assert DENIAL in await replies_to(bot, url)
    assert await digest(bot.services.db) == before and opened(bot) == views

    reply, url = await bot.click(action, message=world.listing)
    await settle(bot)
    assert DENIAL not in await replies_to(bot, url)
    assert await had_effect(bot, before, views)


# -------------------------------------------------------------------- modals


@dataclass
class ModalCase:
    open: Click
    values: Callable[[World], dict[str, dict[str, Any]]]


MODALS: dict[Modal, ModalCase] = {
    Modal.BULK: ModalCase(
        BUTTONS["bulk actions"],
        lambda w: {
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("chosen", "radio_buttons")},
            Field.ACCOUNTS: {
                Options.ACCOUNTS: p.selected_many([str(w.accounts[1])], "multi_external_select")
            },
            Field.ACTION: {INPUT_ACTION: p.selected("disable")},
        },
    ),
    Modal.TAGS: ModalCase(
        BUTTONS["row menu tags"],
        lambda w: {
            Field.KEEP_TAGS: {INPUT_ACTION: p.selected_many([])},
            Field.TAGS: {INPUT_ACTION: p.text_value("client-a")},
        },
    ),
    Modal.CHANGE_PROFILE: ModalCase(
        BUTTONS["row menu profile"],
        lambda w: {Field.PROFILE: {INPUT_ACTION: p.selected(str(w.backup))}},
    ),
    Modal.MANAGE_ACCOUNTS: ModalCase(
        BUTTONS["manage ad accounts"],
        lambda w: {Field.MOVE: {INPUT_ACTION: p.selected_many([str(w.accounts[2])])}},
    ),
    Modal.TRACKER_SETTINGS: ModalCase(
        BUTTONS["row menu tracker"],
        lambda w: {
            Field.TRACKER: {INPUT_ACTION: p.selected(str(w.tracker))},
            Field.PAUSED: {INPUT_ACTION: {"type": "checkboxes", "selected_options": []}},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?own=1")},
        },
    ),
    Modal.MEDIAGO_CREDENTIALS: ModalCase(
        BUTTONS["update credentials"],
        lambda w: {
            Field.NAME: {INPUT_ACTION: p.text_value("MG")},
            Field.KEY: {INPUT_ACTION: p.text_value("")},
            Field.SECRET: {INPUT_ACTION: p.text_value("mg-good-credentials")},
        },
    ),
    Modal.TRACKER_CONNECTION: ModalCase(
        BUTTONS["add tracker"],
        lambda w: {
            Field.NAME: {INPUT_ACTION: p.text_value("RedTrack")},
            Field.KIND: {INPUT_ACTION: p.selected("redtrack")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?rt=1")},
        },
    ),
    Modal.RENAME_PROFILE: ModalCase(
        BUTTONS["rename"], lambda w: {Field.NAME: {INPUT_ACTION: p.text_value("Spare EU")}}
    ),
}


def test_every_modal_is_in_the_matrix():
    assert set(Modal) - {Modal.RESULT} == set(MODALS)


async def view_for(bot: BotUnderTest, callback_id: str) -> dict[str, Any]:
    for _ in range(100):
        for call in reversed(bot.slack.calls):
            view = call.args.get("view") if call.method.startswith("views.") else None
            if isinstance(view, dict) and view.get("callback_id") == callback_id:
                return view
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {callback_id} view opened")


@pytest.mark.parametrize("modal", sorted(MODALS))
async def test_members_cannot_submit_modals(bot, clock, fake_mediago, modal):
    world = await build_world(bot, clock, fake_mediago)
    case = MODALS[modal]
    await bot.click(case.open(world), message=world.listing)
    view = await view_for(bot, modal)
    await settle(bot)
    values = case.values(world)
    before = await digest(bot.services.db)

    refused = await bot.submit(view, values, user=MEMBER_ID)
    await settle(bot)
    assert refused.json["response_action"] == "update"
    assert DENIAL in str(refused.json["view"])
    assert await digest(bot.services.db) == before

    accepted = await bot.submit(view, values)
    await settle(bot)

    assert accepted.status == 200 and (accepted.json or {}).get("response_action") != "errors"
    assert await had_effect(bot, before, opened(bot))


async def test_a_member_cannot_reach_state_through_option_loads(bot, clock, fake_mediago):
    """Typeahead is read-only, but a guest must not read account names through it either."""
    await build_world(bot, clock, fake_mediago)
    bot.slack.add_user("UGUEST2", name="gil", is_restricted=True)
    reply = await bot.suggest(Options.ACCOUNTS, "acme", user="UGUEST2")
    assert reply.json == {"options": []}
    assert (await bot.suggest(Options.ACCOUNTS, "acme", user=MEMBER_ID)).json["options"]
