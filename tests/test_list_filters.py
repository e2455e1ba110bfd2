"""`/adops accounts` filters as people mistype them: a name with a space that was not quoted,
and a misspelt filter key, are answered with how to say it, never quietly searched for."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from handlers.commands import list_state
from tests.factories import make_accounts, make_profile
from tests.support import ADMIN
from tests.test_slack_features import list_message, text_of

PROVIDERS = ("tiktok", "mediago")


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("stauts:archived", "status"),
        ("tga:vip", "tag"),
        ("tags:vip", "tag"),
        ("profle:x", "profile"),
    ],
)
def test_a_misspelt_filter_key_is_refused_with_the_keys(word: str, meant: str):
    with pytest.raises(InvalidInput) as refused:
        list_state([word], PROVIDERS)
    message = refused.value.message
    assert f"I don't know the filter `{word.split(':')[0]}:` (did you mean `{meant}:`?)" in message
    for key in ("`status:active|archived|all`", "`tag:X`", "`profile:Y`", "`tiktok`", "`on`"):
        assert key in message


@pytest.mark.parametrize("word", ["Shop:DE", "tz:Europe/Berlin", "10:30", "acme:"])
def test_other_words_with_a_colon_are_still_searched_for(word: str):
    assert list_state([word], PROVIDERS).text == word


async def test_a_profile_name_with_a_space_is_explained_how_to_quote(bot, clock):
    db = bot.services.db
    profile = await make_profile(db, clock(), name="TikTok 2")
    await make_accounts(db, clock(), 2, profile_id=profile, prefix="Shop")
    await make_accounts(db, clock(), 1, prefix="Other")

    message, _ = await list_message(bot, "accounts profile:TikTok 2")
    assert message["text"] == (
        ":warning: No profile named 'TikTok'. If the name has spaces, put it in quotes: "
        '`profile:"TikTok 2"`.'
    )
    message, _ = await list_message(bot, 'accounts profile:"TikTok 2"')
    assert "Showing 1–2 of 2." in text_of(message) and "Other" not in text_of(message)


async def test_a_tag_name_with_a_space_is_explained_how_to_quote(bot, clock):
    (account,) = await make_accounts(bot.services.db, clock(), 1)
    await bot.services.bulk.add_tags(ADMIN, [account], ["VIP client"])
    message, _ = await list_message(bot, "accounts tag:VIP client")
    assert message["text"] == (
        ":warning: No tag named 'VIP'. If the name has spaces, put it in quotes: "
        '`tag:"VIP client"`.'
    )
    message, _ = await list_message(bot, "accounts tag:“VIP client”")
    assert "Showing 1–1 of 1." in text_of(message)


async def test_a_misspelt_filter_is_answered_not_searched(bot, clock):
    await make_accounts(bot.services.db, clock(), 1)
    message, _ = await list_message(bot, "accounts stauts:archived")
    assert message["text"].startswith(
        ":warning: I don't know the filter `stauts:` (did you mean `status:`?). Filters:"
    )
