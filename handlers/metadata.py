"""What travels in a button `value` or a modal's `private_metadata`: small typed records,
serialised and checked in one place.

A version field lets an old button (a message posted before an upgrade) be recognised and
refused politely instead of misread. Secrets never go in here: Slack echoes these values back
and stores the messages they sit in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from bot.errors import InvalidInput

VERSION = 1
MAX_PRIVATE_METADATA = 3000
MAX_BUTTON_VALUE = 2000

T = TypeVar("T", bound="Meta")


class StaleMetadata(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "That button or form is from an older version of the bot or was changed. "
            "Run the command again."
        )


@dataclass(frozen=True)
class Meta:
    kind: ClassVar[str] = ""

    def encode(self, *, limit: int = MAX_BUTTON_VALUE) -> str:
        payload = {"v": VERSION, "k": self.kind, **asdict(self)}
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        if len(text) > limit:
            raise ValueError(f"{type(self).__name__} metadata is {len(text)} chars (> {limit})")
        return text

    @classmethod
    def decode(cls: type[T], text: str | None) -> T:
        try:
            data = json.loads(text or "")
        except (TypeError, ValueError):
            raise StaleMetadata() from None
        if not isinstance(data, dict) or data.get("v") != VERSION or data.get("k") != cls.kind:
            raise StaleMetadata()
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: _coerce(v) for k, v in data.items() if k in names})
        except TypeError:
            raise StaleMetadata() from None


def _coerce(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class AccountRef(Meta):
    kind: ClassVar[str] = "account"
    account_id: int
    response_url: str | None = None


@dataclass(frozen=True)
class ProfileRef(Meta):
    kind: ClassVar[str] = "profile"
    profile_id: int
    response_url: str | None = None


@dataclass(frozen=True)
class TrackerRef(Meta):
    kind: ClassVar[str] = "tracker"
    tracker_id: int | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class ListState(Meta):
    """An accounts list: its filter and page, so paging buttons re-run the same query."""

    kind: ClassVar[str] = "list"
    provider: str | None = None
    status: str = "active"
    tags: tuple[str, ...] = ()
    profile: str | None = None
    enabled: bool | None = None
    text: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ModalContext(Meta):
    """Where a modal's outcome should be reported back (the list it was opened from)."""

    kind: ClassVar[str] = "modal"
    response_url: str | None = None
    channel_id: str | None = None
    account_ids: tuple[int, ...] = field(default_factory=tuple)
    profile_id: int | None = None
    tracker_id: int | None = None
    provider: str | None = None
    list_state: str | None = None


ROW_OPS = ("enable", "disable", "archive", "unarchive", "tags", "profile", "tracker")


def row_op_value(op: str, account_id: int) -> str:
    """Overflow option values are capped at 150 characters, so row menus use `op:id`."""
    return f"{op}:{account_id}"


def parse_row_op(value: str) -> tuple[str, int]:
    op, _, ident = value.partition(":")
    if op not in ROW_OPS or not ident.isdigit():
        raise StaleMetadata()
    return op, int(ident)


@dataclass(frozen=True)
class AlertMove(Meta):
    kind: ClassVar[str] = "alert_move"
    alert_id: int
    backup_id: int
