"""Property-based fuzzing of what Slack can send: `/adops` text, and interaction payloads with
fields missing, of the wrong type, huge, or in odd Unicode. Whatever arrives: no unhandled
exception, not one row changed, and the person gets a reply (or Slack gets a clean refusal)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fakes import slack_payloads as p
from handlers.ids import Action, Modal, Options
from handlers.metadata import (
    ROW_OPS,
    VERSION,
    AccountRef,
    AlertMove,
    ListState,
    ModalContext,
    ProfileRef,
    TrackerRef,
)
from storage.db import Database
from storage.models import Base, Profile
from tests.factories import make_accounts, make_profile
from tests.harness import ADMIN_ID, MEMBER_ID, SIGNING_SECRET, TEAM, BotUnderTest

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
READ_ONLY = ("help", "accounts", "list", "profiles", "trackers", "audit", "admins", "alerts", "?")
MUTATING = ("connect tiktok", "connect mediago", "sync", "alerts here", "alerts off", "admins add")

odd_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300
) | st.sampled_from(
    [
        "",
        " ",
        "\u202e\u200b\ufeff",
        "<!channel> <@U123> <#C123|x>",
        "“unclosed",
        "'",
        "tag:",
        "status:nope",
        "🚀" * 500,
        "x" * 5000,
        "\x00\x01\x02",
        "profile:" + "é" * 300,
    ]
)


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path, sqlite_template) -> str:
    """Fuzzing exercises parsing and permissions, not the backend: SQLite only."""
    target = tmp_path / "adops.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def digest(db: Database) -> list[Any]:
    """Every table but `list_views`, which remembers the lists people were shown (a list
    shown is not a change)."""
    async with db.reader() as session:
        return [
            sorted(map(repr, (await session.execute(select(table))).all()))
            for table in Base.metadata.sorted_tables
            if table.name != "list_views"
        ]


async def seeded(bot: BotUnderTest, clock) -> None:
    """Once per test: hypothesis runs every example against the same bot and database."""
    db = bot.services.db
    async with db.reader() as session:
        if await session.scalar(select(Profile.id).limit(1)) is not None:
            return
    main = await make_profile(db, clock(), name="Main")
    await make_accounts(db, clock(), 3, profile_id=main)


def unexpected(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR or "unexpected error" in r.getMessage()
    ]


async def answered(bot: BotUnderTest, ack_text: str, response_url: str) -> bool:
    if ack_text.strip():
        return True
    token = response_url.rsplit("/", 1)[-1]
    for _ in range(60):
        if any(token in c.args.get("url", "") for c in bot.slack.calls_to("response_url")):
            return True
        await asyncio.sleep(0.05)
    return False


@FUZZ
@given(
    prefix=st.sampled_from(("", *READ_ONLY, *MUTATING)),
    tail=odd_text,
    as_member=st.booleans(),
)
async def test_command_text(bot, clock, caplog, prefix: str, tail: str, as_member: bool):
    if prefix in MUTATING:
        as_member = True  # an admin's `alerts here …` may rightly change things
    await seeded(bot, clock)
    before = await digest(bot.services.db)
    caplog.clear()
    reply, url = await bot.command(f"{prefix} {tail}", user=MEMBER_ID if as_member else ADMIN_ID)
    assert reply.status == 200
    assert await answered(bot, reply.text, url)
    await bot.settle()
    assert await digest(bot.services.db) == before
    assert unexpected(caplog) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=8,
)
action_ids = st.sampled_from([*Action, *Modal, *Options, "", "nope"])
# Button values and private_metadata that look like ours (right version and kind) but carry
# fields of any type: ids as strings, floats, huge numbers, lists where one id belongs.
META_KINDS = [AccountRef, ProfileRef, TrackerRef, ListState, ModalContext, AlertMove]
look_alike_meta = st.sampled_from(META_KINDS).flatmap(
    lambda record: st.dictionaries(
        st.sampled_from([f.name for f in fields(record)]),
        json_values | st.integers(min_value=-(2**70), max_value=2**70),
        max_size=4,
    ).map(lambda given: json.dumps({"v": VERSION, "k": record.kind, **given}))
)
row_ops = st.builds(
    "{}:{}".format, st.sampled_from(ROW_OPS), st.integers(-(2**70), 2**70) | odd_text
)


@st.composite
def interaction(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A block_actions, view_submission or block_suggestion payload, perhaps then damaged (a
    field Slack always sends dropped, or given another shape); and whether it was."""
    user = draw(st.sampled_from((MEMBER_ID, ADMIN_ID)))
    kind = draw(st.sampled_from(("block_actions", "view_submission", "block_suggestion")))
    value = draw(odd_text | look_alike_meta | row_ops)
    if kind == "block_actions":
        action = p.button(draw(action_ids), value)
        if draw(st.booleans()):
            action = {**action, "type": "overflow", "selected_option": {"value": value}}
        payload = _decode(
            p.block_actions(
                action, user_id=user, team_id=TEAM, channel_id="C0GENERAL", trigger_id="1.2.x"
            )
        )
    elif kind == "view_submission":
        view = {"callback_id": draw(action_ids), "private_metadata": value, "blocks": []}
        values = draw(
            st.dictionaries(
                st.sampled_from(("accounts", "action", "tags", "name", "secret", "move", "x")),
                st.dictionaries(st.sampled_from(("value", Options.ACCOUNTS)), json_values),
                max_size=4,
            )
        )
        payload = _decode(
            p.view_submission(
                view, values, user_id=user, team_id=TEAM, view_id="V0FUZZ", trigger_id="1.2.x"
            )
        )
    else:
        payload = _decode(
            p.block_suggestion(
                draw(action_ids), value, block_id="accounts", user_id=user, team_id=TEAM
            )
        )
    damages = draw(st.integers(0, 3))
    for _ in range(damages):
        key = draw(st.sampled_from(sorted(payload)))
        if draw(st.booleans()):
            payload.pop(key)
        else:
            payload[key] = draw(json_values)
    return payload, damages > 0


def _decode(body: str) -> dict[str, Any]:
    return json.loads(parse_qs(body)["payload"][0])


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors nothing of ours caught: aiohttp's "Error handling request", Bolt's own."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and not r.name.startswith("handlers.")
    ]


@FUZZ
@given(drawn=interaction())
async def test_interaction_payloads(bot, clock, caplog, drawn: tuple[dict[str, Any], bool]):
    """Odd values where Slack puts free text are answered like any other; a payload of a shape
    Slack never sends may end in the one error handler's reply, but never in a 500."""
    payload, damaged = drawn
    await seeded(bot, clock)
    before = await digest(bot.services.db)
    caplog.clear()
    body = urlencode({"payload": json.dumps(payload)})
    reply = await bot.send(body)
    assert reply.status in (200, 400, 404), reply
    await bot.settle()
    await asyncio.sleep(0.02)
    assert await digest(bot.services.db) == before
    assert (unhandled if damaged else unexpected)(caplog) == []


RECORDED = sorted(
    path
    for path in (Path(__file__).parent / "data" / "slack").glob("*.json")
    if path.name.split(".")[0] in ("block_actions", "block_suggestion", "view_submission")
)
OURS = {"block_actions": Action.BULK_OPEN, "block_suggestion": Options.ACCOUNTS}
DAMAGES = ("drop", None, [], 1, "x", {})


def as_ours(value: Any, response_url: str) -> Any:
    """A recorded payload as our workspace would send it: our admin and team, our listeners'
    ids, and Slack's reply URLs pointed at the fake Slack."""
    if isinstance(value, dict):
        out = {k: as_ours(v, response_url) for k, v in value.items()}
        if out.get("type") in OURS and "actions" not in out:
            out["action_id"] = OURS[out["type"]]
        for key, ours in (("user_id", ADMIN_ID), ("team_id", TEAM), ("callback_id", Modal.BULK)):
            if key in out:
                out[key] = ours
        if isinstance(out.get("action_id"), str) and out.get("type") == "button":
            out["action_id"] = Action.BULK_OPEN
        for key, ours in (("user", ADMIN_ID), ("team", TEAM)):
            if isinstance(out.get(key), dict):
                out[key] = {**out[key], "id": ours}
        return out
    if isinstance(value, list):
        return [as_ours(v, response_url) for v in value]
    if isinstance(value, str) and value.startswith("https://hooks.slack.com"):
        return response_url
    return value


def field_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field, nested ones too (a list's first item stands for the rest), four deep."""
    items = (
        value.items()
        if isinstance(value, dict)
        else list(enumerate(value[:1]))
        if isinstance(value, list)
        else []
    )
    found = []
    for key, inner in items:
        found.append((*path, key))
        if len(path) < 4:
            found += field_paths(inner, (*path, key))
    return found


def with_damage(payload: dict[str, Any], path: tuple[Any, ...], damage: Any) -> dict | None:
    copy = json.loads(json.dumps(payload))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if damage != "drop":
        parent[path[-1]] = damage
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        return None
    return copy


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda path: path.stem)
async def test_no_damaged_field_of_a_recorded_payload_makes_bolt_fail(bot, caplog, recorded):
    """The search that decides what `handlers.transport.payload_shape` refuses: each field of a
    payload Slack sent, dropped or given each other shape, gets an answer, never a 500."""
    payload = as_ours(json.loads(recorded.read_text()), bot.slack.response_url())
    failed = []
    for path in field_paths(payload):
        for damage in DAMAGES:
            damaged = with_damage(payload, path, damage)
            if damaged is None:
                continue
            body = urlencode({"payload": json.dumps(damaged)})
            headers = {
                **p.signed_headers(body, SIGNING_SECRET),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with bot.http.post(f"{bot.url}/slack/events", data=body, headers=headers) as r:
                if r.status >= 500:
                    failed.append(f"{'.'.join(map(str, path))} = {damage!r}")
    await bot.settle()
    assert failed == []
    assert unhandled(caplog) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "view_submission", "view": None},
        {"type": "block_actions", "actions": "click"},
        {"type": "block_actions", "message": {"user": ["U1"]}, "actions": []},
        {"type": "view_submission", "view": {"state": {"values": {"b": "x"}}}},
    ],
)
async def test_impossible_shapes_get_400_when_signed_and_401_when_not(bot, caplog, payload):
    body = urlencode({"payload": json.dumps(payload)})
    assert (await bot.send(body)).status == 400
    assert (await bot.send(body, headers={})).status == 401
    assert unexpected(caplog) == []
    assert [c.method for c in bot.slack.calls] == []


@pytest.mark.parametrize(
    "body",
    ["payload=%7Bnot+json", "payload=%5B%5D", "payload=null", "{", "[1, 2]", "payload=%22x%22"],
)
async def test_bodies_that_are_not_json_objects_get_400_when_signed_and_401_when_not(
    bot, caplog, body
):
    assert (await bot.send(body)).status == 400
    assert (await bot.send(body, headers={})).status == 401
    assert unexpected(caplog) == []
    assert [c.method for c in bot.slack.calls] == []
