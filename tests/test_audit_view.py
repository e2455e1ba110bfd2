"""`/adops audit` as people read it: names instead of ids, each field as `before → after`,
credentials only as "updated", pages past twenty entries, and one bulk operation by its id."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.trackers import TrackerSettings
from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field, Options
from storage.models import AuditEvent
from tests.harness import MEMBER_ID, BotUnderTest
from tests.support import ADMIN
from tests.test_bulk_tag_removal import bulk_result
from tests.test_slack_features import find, list_message, opened_view, seed, text_of


async def audit(bot: BotUnderTest, ref: str = "", *, user: str = "UADMIN1") -> dict[str, Any]:
    _, url = await bot.command(f"audit {ref}".strip(), user=user)
    (reply,) = await bot.responses_to(url)
    return reply


def entries(message: dict[str, Any]) -> list[str]:
    """The entry sections of an audit page, newest first."""
    return [
        b["text"]["text"]
        for b in message["blocks"][1:]
        if b["type"] == "section" and "\n" in b["text"]["text"]
    ]


async def test_entries_show_names_and_each_field_before_and_after(bot, clock):
    data = await seed(bot, clock)
    core = bot.services
    first = data["ids"][0]
    tracker = await core.trackers.create(ADMIN, name="Voluum EU", kind="voluum", template="?v=1")
    await core.bulk.set_enabled(ADMIN, [first], False)
    await core.bulk.change_profile(ADMIN, [first], data["backup"])
    await core.bulk.set_tracker(ADMIN, [first], TrackerSettings(tracker_id=tracker))
    await core.bulk.add_tags(ADMIN, [first], ["client-a"])
    await core.profiles.rename(ADMIN, data["backup"], "Backup EU")  # ids show current names

    shown = await audit(bot, "tiktok-acme-1")
    newest_first = entries(shown)
    assert newest_first == [
        "*account.tags.add* · Acme 001 (tiktok-acme-1)\ntags: +client-a",
        "*account.tracker* · Acme 001 (tiktok-acme-1)\n"
        "tracker: the integration default → Voluum EU",
        "*account.profile* · Acme 001 (tiktok-acme-1)\nprofile: Main → Backup EU",
        "*account.disable* · Acme 001 (tiktok-acme-1)\nenabled: ON → OFF",
    ]
    assert "<@UADMIN1>" in text_of(shown)
    assert not re.search(r"[{}]|profile_id|tracker_id", "".join(newest_first))


async def test_profile_entries_show_credentials_only_as_updated(bot, clock, fake_tiktok):
    core = bot.services
    card = await core.profiles.create(
        ADMIN, "tiktok", name="Alice", secret=fake_tiktok.issue_token("alice")
    )
    await core.profiles.mark_invalid(ADMIN, card.id, "token revoked")
    await core.profiles.update_credentials(
        ADMIN, card.id, provider="tiktok", secret=fake_tiktok.issue_token("alice")
    )
    shown = entries(await audit(bot, "Alice"))
    assert shown[0].endswith("status: invalid → active\ncredentials: updated")
    assert shown[1].endswith("status: active → invalid\nreason: none → token revoked")
    assert shown[2].endswith("provider: tiktok\nname: Alice\ncredentials: updated")


async def test_people_and_channels_show_as_mentions(bot, clock):
    _, url = await bot.command("admins add <@UMEMBER1|mo>")
    await bot.responses_to(url)  # granted
    await bot.services.settings.set_alert_channel(ADMIN, "C0ADOPS")
    shown = entries(await audit(bot))
    assert shown[0] == "*setting.alert_channel* · alert channel\nchannel: off → <#C0ADOPS>"
    assert shown[1] == "*role.grant* · <@UMEMBER1>\nrole: admin"


async def test_a_long_history_pages_with_next(bot, clock):
    data = await seed(bot, clock)
    first = data["ids"][0]
    for n in range(25):
        await bot.services.bulk.set_enabled(ADMIN, [first], n % 2 == 1)
    page_one = await audit(bot, "tiktok-acme-1", user=MEMBER_ID)
    assert len(entries(page_one)) == 20
    _, url = await bot.press(page_one, Action.AUDIT_NEXT, user=MEMBER_ID)
    (page_two,) = await bot.responses_to(url)
    assert page_two["replace_original"] is True
    assert len(entries(page_two)) == 5
    assert "audit.next" not in text_of(page_two)  # nothing older: no Next
    assert entries(page_two)[-1].endswith("enabled: ON → OFF")  # the very first change


async def test_a_bulk_operation_is_listed_by_the_id_its_result_shows(bot, clock):
    data = await seed(bot, clock)
    message, _ = await list_message(bot)
    await bot.click(
        p.button(Action.BULK_OPEN, find(message, Action.BULK_OPEN)["value"]), message=message
    )
    view = await opened_view(bot)
    chosen = [str(i) for i in data["ids"][:3]]
    await bot.submit(
        view,
        {
            Field.ACTION: {INPUT_ACTION: p.selected("archive")},
            Field.ACCOUNTS + "_scope": {INPUT_ACTION: p.selected("chosen", "radio_buttons")},
            Field.ACCOUNTS: {Options.ACCOUNTS: p.selected_many(chosen, "multi_external_select")},
        },
    )
    result = await bulk_result(bot, view["id"])
    short = re.search(r"/adops audit ([0-9a-f]{8})", text_of(result))
    assert short is not None
    await bot.services.bulk.set_enabled(ADMIN, [data["ids"][5]], False)  # not in the bulk

    for ref in (short[1], short[1].upper()):
        shown = await audit(bot, ref)
        assert shown["blocks"][0]["text"]["text"] == f"*Bulk operation {short[1]}*"
        assert [e.split("\n")[0] for e in entries(shown)] == [
            f"*account.archive* · Acme {n:03d} (tiktok-acme-{n})" for n in (3, 2, 1)
        ]
    async with bot.services.db.reader() as session:
        full = await session.scalar(
            select(AuditEvent.bulk_id).where(AuditEvent.bulk_id.is_not(None)).limit(1)
        )
    assert len(entries(await audit(bot, str(full)))) == 3
