"""What a bulk operation reports: per account, done or skipped and why, and notes about the
operation as a whole. Kept apart from the operations (`bot.bulk`) so that the views can import
the results without the service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import account_label
from bot.audit import Change, Target
from bot.errors import Conflict
from storage.models import AdAccount

_CHUNK = 500


class BulkAction(StrEnum):
    ENABLE = "enable"
    DISABLE = "disable"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    CHANGE_PROFILE = "change_profile"
    SET_TRACKER = "set_tracker"


@dataclass(frozen=True)
class ItemResult:
    account_id: int
    label: str
    done: bool
    reason: str | None = None


@dataclass(frozen=True)
class BulkResult:
    action: BulkAction
    bulk_id: str | None
    items: tuple[ItemResult, ...]
    notes: tuple[str, ...] = ()
    """What was left out of the operation as a whole (say, a tag that does not exist)."""

    @property
    def done(self) -> list[ItemResult]:
        return [item for item in self.items if item.done]

    @property
    def skipped(self) -> list[ItemResult]:
        return [item for item in self.items if not item.done]

    def single(self) -> ItemResult:
        """For one-account calls: a skipped item is the caller's error."""
        (item,) = self.items
        if not item.done:
            raise Conflict(f"{item.label}: {item.reason}")
        return item


@dataclass
class Outcome:
    results: dict[int, ItemResult] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, account: AdAccount, reason: str) -> None:
        self.results[account.id] = ItemResult(account.id, account_label(account), False, reason)

    def done(self, account: AdAccount, action: str, before: dict, after: dict) -> None:
        self.results[account.id] = ItemResult(account.id, account_label(account), True)
        self.changes.append(Change(action, account_target(account), before, after))


def account_target(account: AdAccount) -> Target:
    return Target("account", str(account.id), account_label(account))


def chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


Mutation = Callable[[AsyncSession, list[AdAccount], Outcome, datetime], Awaitable[None]]
