"""Every action_id, callback_id and input block_id the app uses, named in one place.

The manifest test and the listeners both read these, so a renamed id cannot leave a dangling
button behind.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # Two ids, one listener: action_ids must differ within a block (fakes/block_kit.py).
    ACCOUNTS_PREV = "accounts.page_prev"
    ACCOUNTS_NEXT = "accounts.page_next"
    ACCOUNT_MENU = "accounts.row_menu"
    BULK_OPEN = "accounts.bulk_open"
    PROFILE_MANAGE = "profiles.manage"
    PROFILE_SYNC = "profiles.sync"
    PROFILE_REAUTH = "profiles.reauth"
    PROFILE_CREDENTIALS = "profiles.credentials"
    PROFILE_RENAME = "profiles.rename"
    PROFILE_REMOVE = "profiles.remove"
    TRACKER_ADD = "trackers.add"
    TRACKER_EDIT = "trackers.edit"
    TRACKER_DELETE = "trackers.delete"
    TRACKER_DEFAULT = "trackers.default"
    AUDIT_NEXT = "audit.next"
    ALERT_REAUTH = "alerts.reauth"
    ALERT_CREDENTIALS = "alerts.credentials"
    ALERT_MOVE = "alerts.move"
    LINK = "links.open"


class Options(StrEnum):
    """external_select action ids whose options the app loads."""

    ACCOUNTS = "options.accounts"


class Modal(StrEnum):
    BULK = "modal.bulk"
    TAGS = "modal.tags"
    CHANGE_PROFILE = "modal.change_profile"
    MANAGE_ACCOUNTS = "modal.manage_accounts"
    TRACKER_SETTINGS = "modal.tracker_settings"
    MEDIAGO_CREDENTIALS = "modal.mediago_credentials"
    TRACKER_CONNECTION = "modal.tracker_connection"
    RENAME_PROFILE = "modal.rename_profile"
    RESULT = "modal.result"


class Field(StrEnum):
    """Input block ids; they double as the `field` of domain errors, for inline modal errors."""

    ACCOUNTS = "accounts"
    INCLUDE_ARCHIVED = "include_archived"
    ACTION = "action"
    TAGS = "tags"
    KEEP_TAGS = "keep_tags"
    PROFILE = "profile"
    TRACKER = "tracker"
    TRACKER_MODE = "tracker_mode"
    PAUSED = "paused"
    TEMPLATE = "template"
    NAME = "name"
    KEY = "key"
    SECRET = "secret"  # noqa: S105 - a block id, not a credential
    KIND = "kind"
    MOVE = "move"


INPUT_ACTION = "value"
"""The action_id of the single element inside every input block."""
