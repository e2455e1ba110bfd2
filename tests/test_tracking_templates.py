"""Tracking templates are links or query strings whose macros the ad network knows: any
network's for a tracker (it serves every integration), the account's own network's for an
account's template. Tracker placeholders in braces are left to the tracker."""

from __future__ import annotations

import re

import pytest

from bot.errors import InvalidInput
from bot.trackers import TrackerSettings
from bot.tracking_templates import PROVIDER_MACROS, check_template
from fakes import slack_payloads as p
from handlers.ids import INPUT_ACTION, Action, Field
from tests.factories import make_accounts
from tests.support import ADMIN
from tests.test_slack_features import opened_view, seed
from tests.test_tracker_forms import block, tracker_settings

BOTH = ("tiktok", "mediago")


@pytest.mark.parametrize(
    "template",
    [
        "?cid={{campaign.id}}&click_id=__CALLBACK_PARAM__",
        "cid=__CID__&adset=__AID__&campaign=__CAMPAIGN_ID__&placement=__PLACEMENT__",
        "&utm_source=mediago&utm_campaign=${CAMPAIGN_NAME}&tracking_id=${TRACKING_ID}",
        "https://trk.example.com/click/{campaign_id}?ad=__CID__&ad_id=${AD_ID}",
        "HTTP://trk.example.com",
        "?own=1",
    ],
)
def test_links_and_query_strings_with_known_macros_are_accepted(template: str):
    check_template(template, BOTH)


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("not a url", "cannot contain spaces or line breaks"),
        ("?a=1\n&b=2", "cannot contain spaces or line breaks"),
        ("notaurl", "'notaurl' is not name=value"),
        ("?=1", "'=1' is not name=value"),
        ("javascript:alert(1)", "only http:// and https:// links"),
        ("ftp://files.example.com/x", "only http:// and https:// links"),
        ("https://", "no host name"),
        ("?cid=__CAMPAIN_ID__", "__CAMPAIN_ID__ is not a macro TikTok or MediaGo knows"),
        ("?cid=${CAMPAIGN}", "${CAMPAIGN} is not a macro TikTok or MediaGo knows"),
        ("?cid=__cid__", "__cid__ is not a macro"),
        ("?cid=${AD_ID", "does not close a placeholder"),
        ("?cid={{campaign id}}", "cannot contain spaces"),
        ("?cid={{}}", "needs a name"),
        ("?cid={campaign}}", "does not close a placeholder"),
    ],
)
def test_other_templates_are_refused_with_the_reason(template: str, error: str):
    with pytest.raises(InvalidInput, match=re.escape(error)):
        check_template(template, BOTH)


def test_an_unknown_macro_is_answered_with_the_macros_there_are():
    with pytest.raises(InvalidInput) as refused:
        check_template("?cid=__CAMPAIN_ID__", BOTH)
    for macros in PROVIDER_MACROS.values():
        assert macros.listing() in refused.value.message
    assert "__CAMPAIGN_ID__" in refused.value.message and "${TRACKING_ID}" in refused.value.message


def test_one_networks_macro_is_refused_for_another():
    with pytest.raises(InvalidInput, match=re.escape("${AD_ID} is a MediaGo macro, which TikTok")):
        check_template("?ad=${AD_ID}", ("tiktok",))
    with pytest.raises(InvalidInput, match=re.escape("__CID__ is a TikTok macro, which MediaGo")):
        check_template("ad=__CID__", ("mediago",))


async def test_the_tracker_form_checks_templates_and_says_which_macros_exist(bot, clock):
    _, url = await bot.command("trackers")
    (page,) = await bot.responses_to(url)
    await bot.press(page, Action.TRACKER_ADD)
    view = await opened_view(bot)
    hint = block(view, Field.TEMPLATE)["hint"]["text"]
    assert "TikTok macros: __CAMPAIGN_ID__" in hint and "MediaGo macros: ${CAMPAIGN_NAME}" in hint

    def values(template: str) -> dict:
        return {
            Field.NAME: {INPUT_ACTION: p.text_value("Voluum")},
            Field.KIND: {INPUT_ACTION: p.selected("voluum")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value(template)},
        }

    for template, error in (
        ("not a url", "cannot contain spaces"),
        ("?cid=__CAMPAIN_ID__", "__CAMPAIN_ID__ is not a macro TikTok or MediaGo knows"),
    ):
        reply = await bot.submit(view, values(template))
        assert reply.json["response_action"] == "errors"
        assert error in reply.json["errors"][Field.TEMPLATE]
    assert await bot.services.trackers.list_trackers(ADMIN) == []

    good = "https://trk.example.com/c?ad=__CID__&mg=${TRACKING_ID}&c={{campaign.id}}"
    reply = await bot.submit(view, values(good))
    assert reply.text == ""
    await bot.slack.wait_for("response_url", 2)
    (tracker,) = await bot.services.trackers.list_trackers(ADMIN)
    assert tracker.tracking_template == good


async def test_an_accounts_template_may_only_use_its_networks_macros(bot, clock):
    data = await seed(bot, clock)
    account = data["ids"][0]
    view = await tracker_settings(bot, account)
    hint = block(view, Field.TEMPLATE)["hint"]["text"]
    assert "TikTok macros: __CAMPAIGN_ID__" in hint and "MediaGo" not in hint
    reply = await bot.submit(
        view,
        {
            Field.TRACKER: {INPUT_ACTION: p.selected("default")},
            Field.TEMPLATE: {INPUT_ACTION: p.text_value("?t=${TRACKING_ID}")},
        },
    )
    assert reply.json["response_action"] == "errors"
    error = reply.json["errors"][Field.TEMPLATE]
    assert error.startswith("${TRACKING_ID} is a MediaGo macro, which TikTok will not fill in.")
    assert PROVIDER_MACROS["tiktok"].listing() in error
    row = await bot.services.accounts.get(ADMIN, account)
    assert not row.tracker.template_overridden


async def test_a_bulk_template_skips_accounts_whose_network_does_not_know_its_macros(core, clock):
    (tiktok,) = await make_accounts(core.db, clock(), 1)
    (mediago,) = await make_accounts(core.db, clock(), 1, provider="mediago")
    result = await core.bulk.set_tracker(
        ADMIN, [tiktok, mediago], TrackerSettings(template="tid=${TRACKING_ID}")
    )
    (skipped,) = result.skipped
    assert skipped.account_id == tiktok
    assert (skipped.reason or "").startswith("${TRACKING_ID} is a MediaGo macro")
    assert [i.account_id for i in result.done] == [mediago]
    assert (await core.accounts.get(ADMIN, mediago)).tracker.template == "tid=${TRACKING_ID}"
