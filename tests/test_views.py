"""Every view builder, rendered with no rows, many rows and hostile strings, stays within
Slack's limits and escapes user text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.accounts import AccountPage, AccountRow, TagLabel
from bot.alerts import AlertKind, AlertView, Backup
from bot.audit import AuditEntry, AuditPage
from bot.bulk import BulkAction, BulkResult, ItemResult
from bot.profiles import ManagedAccount, ManageView, ProfileCard
from bot.roles import AdminList
from bot.trackers import EffectiveTracker, TrackerInfo
from fakes import block_kit
from handlers.commands import registry
from handlers.metadata import AuditCursor, ListState, ModalContext
from handlers.views.accounts import accounts_list
from handlers.views.alerts import alert_message, reminder_message
from handlers.views.audit import audit_message
from handlers.views.help import admins_message, help_message
from handlers.views.modals import (
    bulk_modal,
    bulk_result_view,
    change_profile_modal,
    manage_accounts_modal,
    mediago_credentials_modal,
    notice_view,
    progress_view,
    rename_modal,
    tags_modal,
)
from handlers.views.profiles import profiles_list
from handlers.views.trackers import (
    default_options,
    tracker_connection_modal,
    tracker_settings_modal,
    trackers_message,
)
from tests.slack_limits import check_message, check_modal, mrkdwn_texts
from tests.support import ADMIN, GUEST, MEMBER

NOW = datetime(2026, 11, 1, tzinfo=UTC)
HOSTILE = [
    "Acme",
    "<!channel> & <@U123> *bold*",
    "🚀" * 1500,
    "Ünïcødé 客户 " * 300,
    "x" * 3000,
]


def tracker(name: str = "Voluum", state: str = "active") -> EffectiveTracker:
    return EffectiveTracker(
        tracker_id=None if state == "none" else 1,
        tracker_name=None if state == "none" else name,
        template=None if state == "none" else "?cid={{campaign.id}}",
        paused=state == "paused",
        tracker_source="default" if state != "none" else "none",
        template_overridden=state == "paused",
    )


def row(n: int, name: str = "Acme", *, tags: int = 3, archived: bool = False) -> AccountRow:
    return AccountRow(
        id=n,
        provider="tiktok" if n % 2 else "mediago",
        external_id=f"7{n:018d}",
        name=f"{name} {n}",
        enabled=bool(n % 3),
        archived=archived,
        currency="EUR",
        timezone="Europe/Berlin",
        provider_status="STATUS_ENABLE",
        profile_id=1 if n % 4 else None,
        profile_name=name[:80] if n % 4 else None,
        profile_status="invalid" if n % 5 == 0 else "active",
        access_lost=n % 7 == 0,
        tags=tuple(TagLabel(f"{name[:60]}-{i}", auto=i == 0, id=i + 1) for i in range(tags)),
        tracker=tracker(name[:80], ("none", "active", "paused")[n % 3]),
    )


def card(n: int, name: str = "Main", *, active: bool = True, using: int = 3) -> ProfileCard:
    return ProfileCard(
        id=n,
        provider="tiktok" if n % 2 else "mediago",
        name=name[:80],
        status="active" if active else "invalid",
        status_reason=None if active else name[:500],
        invalid_since=None if active else NOW,
        key_hint=None if n % 2 else "••••9012",
        connected_by="UADMIN1",
        last_synced_at=NOW,
        last_sync_error=name[:500] if n % 3 == 0 else None,
        credentials_expire_at=None,
        accounts_using=using,
        accounts_reachable=using + 2,
    )


def tracker_info(n: int, name: str = "Voluum") -> TrackerInfo:
    return TrackerInfo(
        id=n,
        name=f"{name[:70]} {n}",
        kind="voluum",
        tracking_template="?" + name,
        default_for=("tiktok",) if n == 1 else (),
        overriding_accounts=n,
    )


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("count", [0, 1, 10])
def test_accounts_list(name: str, count: int):
    rows = [row(n, name, tags=30) for n in range(1, count + 1)]
    state = ListState(provider="tiktok", tags=(name[:64],), text=name[:100], page=2)
    for can_manage in (True, False):
        payload = accounts_list(
            AccountPage(rows, total=10_000 if count else 0, page=2, page_size=10),
            state,
            can_manage=can_manage,
        )
        check_message(payload)
        assert not any("<!channel>" in t for t in mrkdwn_texts(payload))


def test_archived_rows_offer_unarchive():
    payload = accounts_list(
        AccountPage([row(1, archived=True)], 1, 1, 10), ListState(status="all"), can_manage=True
    )
    menu = payload["blocks"][1]["accessory"]
    assert [o["text"]["text"] for o in menu["options"]] == ["Unarchive", "History"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("count", [0, 1, 40])
def test_profiles_list(name: str, count: int):
    cards = [card(n, name, active=n % 2 == 0, using=n % 3) for n in range(count)]
    payload = profiles_list(cards, can_manage=True, oauth_providers={"tiktok"}, provider=None)
    check_message(payload)
    assert not any("<!channel>" in t for t in mrkdwn_texts(payload))


@pytest.mark.parametrize("name", HOSTILE)
def test_audit_and_help_and_admins(name: str):
    entries = [
        AuditEntry(
            NOW,
            "U1",
            name[:200],
            "account.archive",
            "account",
            "1",
            name[:300],
            {"archived": False, "x": name},
            {"archived": True},
            "button",
            "b" * 36,
        )
        for _ in range(40)
    ]
    page = AuditPage(entries, more=True, profiles={1: name[:80]}, trackers={2: name[:80]})
    check_message(audit_message(name, page, next_page=AuditCursor(name[:150]).encode()))
    check_message(audit_message(name, AuditPage([], more=False), next_page=None))
    tagged = AuditEntry(
        NOW,
        "U1",
        "x",
        "account.tags.add",
        "account",
        "1",
        name[:300],
        {"tags": [name[:64]] * 50, "profile_id": 1, "tracker_id": 2},
        {"tags": [f"{name[:60]}{n}" for n in range(50)], "profile_id": 3, "tracker_id": None},
        "button",
        None,
    )
    check_message(audit_message(name, AuditPage([tagged] * 20, more=False), next_page=None))
    for actor in (ADMIN, MEMBER, GUEST):
        check_message(help_message(registry, actor, error=name[:200]))
    check_message(admins_message(AdminList(("U1",) * 50, ("U2",) * 200)))


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("count", [0, 3, 150])
def test_trackers(name: str, count: int):
    trackers = [tracker_info(n, name) for n in range(1, count + 1)]
    defaults = {"tiktok": trackers[0] if trackers else None, "mediago": None}
    for can_manage in (True, False):
        check_message(trackers_message(trackers, defaults, can_manage=can_manage))


def meta(**kwargs) -> ModalContext:
    return ModalContext(response_url="https://hooks.slack.com/commands/T0/1/" + "a" * 60, **kwargs)


@pytest.mark.parametrize("name", HOSTILE)
def test_modals(name: str):
    many_rows = row(2, name, tags=150)
    check_modal(mediago_credentials_modal(meta(), profile=None))
    check_modal(mediago_credentials_modal(meta(profile_id=1), profile=card(2, name), error=name))
    check_modal(tags_modal(meta(account_ids=(1,)), many_rows))
    check_modal(tags_modal(meta(account_ids=(1,)), row(3, name, tags=0)))
    check_modal(change_profile_modal(meta(), many_rows, [(n, name[:80]) for n in range(300)]))
    check_modal(change_profile_modal(meta(), many_rows, []))
    trackers = [tracker_info(n, name) for n in range(1, 150)]
    check_modal(
        tracker_settings_modal(
            meta(),
            many_rows,
            trackers,
            trackers[0],
            override_tracker_id=5,
            override_template=name[:2000],
        )
    )
    check_modal(
        tracker_settings_modal(
            meta(), many_rows, [], None, override_tracker_id=None, override_template=None
        )
    )
    cards = [card(n, name) for n in range(200)]
    check_modal(
        bulk_modal(
            meta(list_key="0123456789abcdef"),
            matching=5000,
            scope=name,
            profiles=cards,
            trackers=trackers,
        )
    )
    check_modal(
        bulk_modal(
            meta(list_key="0123456789abcdef"), matching=0, scope="", profiles=[], trackers=[]
        )
    )
    items = tuple(
        ItemResult(n, name[:300], n % 2 == 0, None if n % 2 == 0 else name[:300])
        for n in range(5000)
    )
    check_modal(bulk_result_view("Bulk actions", BulkResult(BulkAction.ARCHIVE, "b" * 36, items)))
    check_modal(bulk_result_view("Bulk actions", BulkResult(BulkAction.ARCHIVE, None, ())))
    available = [ManagedAccount(n, name[:300], name[:80]) for n in range(150)]
    check_modal(
        manage_accounts_modal(
            meta(profile_id=1), ManageView(card(1, name), available, 150, available, 150)
        )
    )
    check_modal(manage_accounts_modal(meta(profile_id=1), ManageView(card(1, name), [], 0, [], 0)))
    check_modal(rename_modal(meta(profile_id=1), card(1, name)))
    providers = ("tiktok", "mediago")
    check_modal(tracker_connection_modal(meta(), None, providers=providers))
    check_modal(
        tracker_connection_modal(meta(tracker_id=1), tracker_info(1, name), providers=providers)
    )


def test_credentials_modal_never_carries_a_secret():
    view = mediago_credentials_modal(meta(profile_id=1), profile=card(2), error="rejected")
    text = str(view)
    assert "initial_value" not in str([b for b in view["blocks"] if b.get("block_id") == "secret"])
    assert "••••9012" in text


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("kind", list(AlertKind))
@pytest.mark.parametrize("status", ["open", "resolved"])
def test_alert_messages(name: str, kind: AlertKind, status: str):
    for backup in (None, Backup(2, name[:80], 10_000)):
        alert = AlertView(
            id=1,
            kind=kind,
            status=status,
            profile_id=None if kind in (AlertKind.APP, AlertKind.QUOTA) else 1,
            profile_name=name[:80],
            provider="tiktok",
            provider_display="TikTok",
            uses_oauth=True,
            reason=name[:500],
            accounts_affected=10_000,
            created_at=NOW,
            resolved_at=NOW if status == "resolved" else None,
            resolved_by="UADMIN1" if status == "resolved" else None,
            resolved_note=name[:300] if status == "resolved" else None,
            reminders_sent=3,
            expires_at=None,
            backup=backup,
        )
        for payload in (alert_message(alert), reminder_message(alert)):
            check_message(payload)
            assert not any("<!channel>" in t for t in mrkdwn_texts(payload))


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("count", [0, 1, 150])
def test_small_views_and_option_loads(name: str, count: int):
    check_modal(notice_view(name[:24], name))
    check_modal(progress_view(name[:24], name))
    trackers = [tracker_info(n, name) for n in range(1, count + 1)]
    assert block_kit.options_ack_problems({"options": default_options("tiktok", trackers)}) == []
