"""Names that look like other names: invisible and direction-changing characters are refused in
tag, profile and tracker names (bot/text.py), with the character named, since nobody can see it;
the zero width joiner stays where emoji need it."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.tags import clean_tag
from bot.text import clean_block, clean_name
from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.metadata import ProfileRef, row_op_value
from tests.factories import make_profile
from tests.support import ADMIN
from tests.test_slack_features import list_message, opened_view, seed

INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u00ad": "SOFT HYPHEN",
    "\u3164": "HANGUL FILLER",
}
DIRECTIONAL = {
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u061c": "ARABIC LETTER MARK",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
}
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(("char", "name"), [*INVISIBLE.items(), *DIRECTIONAL.items()])
def test_invisible_and_directional_characters_are_refused_by_name(char: str, name: str):
    for clean in (clean_tag, lambda v: clean_name(v, what="tracker name", max_len=80)):
        with pytest.raises(InvalidInput, match=f"U\\+{ord(char):04X} \\({name}\\)"):
            clean(f"Main{char}Shop")
    with pytest.raises(InvalidInput, match=f"U\\+{ord(char):04X}"):
        clean_block(f"?cid=1{char}", what="tracking template", max_len=100)


@pytest.mark.parametrize(
    "name",
    [
        "👩\u200d💻 team",  # technologist: woman, ZWJ, laptop
        "🏳\ufe0f\u200d🌈 pride",  # rainbow flag: flag, VS16, ZWJ, rainbow
        "🏃🏽\u200d♀\ufe0f runners",  # skin tone before the joiner
        f"{SCOTLAND} Scotland",  # a subdivision flag's tag characters
        "Ünïcødé",
        "客户-北京",
        "مشتری",
    ],
)
def test_emoji_sequences_keep_their_joiner_and_tags(name: str):
    assert clean_tag(name) == name


@pytest.mark.parametrize("name", ["Ma\u200din", "\u200d🌈", "🌈\u200d", "a\U000e0067b"])
def test_a_joiner_or_tag_character_outside_an_emoji_is_refused(name: str):
    with pytest.raises(InvalidInput, match="cannot be shown"):
        clean_tag(name)


async def test_tags_form_refuses_a_zero_width_space_inline(bot, clock):
    data = await seed(bot, clock)
    message, _ = await list_message(bot)
    await bot.press(message, Action.ACCOUNT_MENU, row_op_value("tags", data["ids"][0]))
    view = await opened_view(bot)
    reply = await bot.submit(view, {Field.TAGS: {INPUT_ACTION: p.text_value("client\u200ba")}})
    assert reply.json["response_action"] == "errors"
    assert "U+200B (ZERO WIDTH SPACE)" in reply.json["errors"][Field.TAGS]
    assert (await bot.services.accounts.get(ADMIN, data["ids"][0])).tags == ()


async def test_rename_profile_refuses_a_direction_mark_inline(bot, clock):
    spare = await make_profile(bot.services.db, clock(), name="Spare")
    _, url = await bot.command("profiles")
    (cards,) = await bot.responses_to(url)
    await bot.click(p.button(Action.PROFILE_RENAME, ProfileRef(spare).encode()), message=cards)
    view = await opened_view(bot)
    reply = await bot.submit(view, {Field.NAME: {INPUT_ACTION: p.text_value("Spare\u200f")}})
    assert reply.json["response_action"] == "errors"
    assert "U+200F (RIGHT-TO-LEFT MARK)" in reply.json["errors"][Field.NAME]
    assert (await bot.services.profiles.get(ADMIN, spare)).name == "Spare"


async def test_tracker_form_refuses_a_word_joiner_inline(bot, clock):
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    await bot.press(page, Action.TRACKER_ADD)
    view = await opened_view(bot)
    assert view["callback_id"] == Modal.TRACKER_CONNECTION
    reply = await bot.submit(
        view,
        {
            Field.NAME: {INPUT_ACTION: p.text_value("Vo\u2060luum")},
            Field.KIND: {INPUT_ACTION: p.selected("voluum")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?cid=__CID__")},
        },
    )
    assert reply.json["response_action"] == "errors"
    assert "U+2060 (WORD JOINER)" in reply.json["errors"][Field.NAME]
    assert await bot.services.trackers.list_trackers(ADMIN) == []
