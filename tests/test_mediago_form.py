"""The MediaGo credentials form, submitted through Slack to the real bot against the fake
MediaGo: a single API token or a key and secret pair, what a blank field means, and a name that
is saved together with the credentials or not at all."""

from __future__ import annotations

import base64

from sqlalchemy import select

from fakes import slack_payloads as p
from fakes.mediago import FakeMediaGo, as_basic
from handlers.ids import INPUT_ACTION, Field
from handlers.metadata import ModalContext
from handlers.views.modals import mediago_credentials_modal
from storage.models import AuditEvent, Profile
from tests.harness import BotUnderTest
from tests.support import ADMIN


def values(name: str = "", key: str = "", secret: str = "") -> dict[str, dict[str, dict]]:
    return {
        Field.NAME: {INPUT_ACTION: p.text_value(name)},
        Field.KEY: {INPUT_ACTION: p.text_value(key)},
        Field.SECRET: {INPUT_ACTION: p.text_value(secret)},
    }


async def submit(bot: BotUnderTest, profile_id: int | None, form: dict) -> str:
    """Submit the form (for a new profile, or to update `profile_id`); the text of the view it
    ends on (the result, or the form again with the refusal)."""
    card = await bot.services.profiles.get(ADMIN, profile_id) if profile_id else None
    view = mediago_credentials_modal(
        ModalContext(profile_id=profile_id, provider="mediago"), profile=card
    )
    before = len(bot.slack.calls_to("views.update"))
    reply = await bot.submit(view, form)
    assert reply.status == 200 and reply.json["response_action"] == "update"
    updates = await bot.slack.wait_for("views.update", before + 1)
    await bot.settle()  # and the first sync the scheduler does for saved credentials
    return str(updates[-1].args["view"])


def basics_sent(fake: FakeMediaGo) -> list[str]:
    return [
        r.headers.get("Authorization", "").removeprefix("Basic ")
        for r in fake.requests
        if r.path.endswith("authentication")
    ]


async def stored(bot: BotUnderTest, profile_id: int) -> Profile:
    async with bot.services.db.reader() as session:
        return await session.get(Profile, profile_id)


async def test_a_single_token_is_accepted_in_either_field_and_never_paired(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    token = as_basic("mg-single-token-1")
    fake_mediago.add_credentials(token, accounts=2)
    text = await submit(bot, None, values(name="Single", secret=token))
    assert "2 ad account(s) reachable" in text
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    other = as_basic("mg-single-token-2")
    fake_mediago.add_credentials(other, accounts=1)
    text = await submit(bot, card.id, values(name="Single", key=other))  # the token in "Key"
    assert "1 ad account(s) reachable" in text
    row = await stored(bot, card.id)
    assert row.secret.reveal() == other and row.api_key is None
    for sent in basics_sent(fake_mediago):
        assert ":" not in base64.b64decode(sent + "==").decode(errors="replace"), sent


async def test_a_key_and_secret_pair_is_tried_as_a_pair_first(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    fake_mediago.add_credentials(as_basic("ak-0000000123:sk-456"), accounts=3)
    text = await submit(bot, None, values(name="Pair", key="ak-0000000123", secret="sk-456"))
    assert "3 ad account(s) reachable" in text
    assert basics_sent(fake_mediago)[0] == as_basic("ak-0000000123:sk-456")
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    assert card.key_hint == "••••0123"


async def test_a_refused_form_saves_neither_the_new_name_nor_anything_else(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    good = as_basic("mg-good-token")
    fake_mediago.add_credentials(good, accounts=1)
    await submit(bot, None, values(name="Before", secret=good))
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    async with bot.services.db.reader() as session:
        audits = len((await session.scalars(select(AuditEvent))).all())

    text = await submit(bot, card.id, values(name="After", secret="wrong-token"))

    assert "rejected these credentials" in text and "wrong-token" not in text
    row = await stored(bot, card.id)
    assert (row.name, row.secret.reveal()) == ("Before", good)
    async with bot.services.db.reader() as session:
        assert len((await session.scalars(select(AuditEvent))).all()) == audits


async def test_accepted_name_and_credentials_land_in_one_change(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    first, second = as_basic("mg-tok-a"), as_basic("mg-tok-b")
    fake_mediago.add_credentials(first, accounts=1)
    fake_mediago.add_credentials(second, accounts=1)
    await submit(bot, None, values(name="Old name", secret=first))
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    await submit(bot, card.id, values(name="New name", secret=second))
    row = await stored(bot, card.id)
    assert (row.name, row.secret.reveal()) == ("New name", second)
    async with bot.services.db.reader() as session:
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(card.id)))
        ).all()
    assert [e.action for e in events][-2:] == ["profile.rename", "profile.credentials"]
    assert "mg-tok" not in repr([(e.before, e.after) for e in events])


async def test_blank_fields_keep_what_the_profile_holds(
    bot: BotUnderTest, fake_mediago: FakeMediaGo
):
    fake_mediago.add_credentials(as_basic("ak-00000-keep:sk-old"), accounts=1)
    await submit(bot, None, values(name="Kept", key="ak-00000-keep", secret="sk-old"))
    (card,) = await bot.services.profiles.list_profiles(ADMIN)
    view = mediago_credentials_modal(ModalContext(profile_id=card.id), profile=card)
    assert "Leave empty to keep it" in str(view) and "••••keep" in str(view)

    fake_mediago.add_credentials(as_basic("ak-00000-keep:sk-new"), accounts=2)
    text = await submit(bot, card.id, values(name="Kept", secret="sk-new"))  # key left blank

    assert "2 ad account(s) reachable" in text
    row = await stored(bot, card.id)
    assert (row.api_key.reveal(), row.secret.reveal()) == ("ak-00000-keep", "sk-new")
    assert basics_sent(fake_mediago)[-1] == as_basic("ak-00000-keep:sk-new")
