"""What travels in a button `value` or a modal's `private_metadata`: small typed records,
serialised and checked in one place.

A version field lets an old button (a message posted before an upgrade) be recognised and
refused politely instead of misread. Secrets never go in here: Slack echoes these values back
and stores the messages they sit in.
"""

from __future__ import annotations

import functools
import json
import types
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar, get_args, get_origin, get_type_hints

from bot.errors import InvalidInput
from bot.text import row_id

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
        hints = _hints(cls)
        given = {f.name: _coerce(data[f.name]) for f in fields(cls) if f.name in data}
        if not all(_fits(value, hints[name]) for name, value in given.items()):
            raise StaleMetadata()
        try:
            return cls(**given)
        except TypeError:
            raise StaleMetadata() from None


@functools.cache
def _hints(record: type[Meta]) -> dict[str, Any]:
    return get_type_hints(record)


def _coerce(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _fits(value: Any, hint: Any) -> bool:
    """Whether a decoded JSON value is of the field's declared type: values come back from Slack,
    so an id that is a string or beyond 64 bits must not reach the database."""
    if isinstance(hint, types.UnionType):
        return any(_fits(value, option) for option in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
    if hint is str:
        return isinstance(value, str)
    if get_origin(hint) is tuple:
        (item, _) = get_args(hint)
        return isinstance(value, tuple) and all(_fits(v, item) for v in value)
    raise TypeError(f"metadata field of unsupported type {hint!r}")


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

    def as_state(self) -> dict[str, Any]:
        """What `bot.list_views` stores for this list: its encoded form, as JSON."""
        state: dict[str, Any] = json.loads(self.encode())
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> ListState:
        return cls.decode(json.dumps(state)) if state is not None else cls.decode(None)


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
    list_key: str | None = None
    """The list the modal was opened from (`bot.list_views`), to redraw it afterwards."""
    include_archived: bool = False


@dataclass(frozen=True)
class AuditCursor(Meta):
    """Which audit entries a page shows, so its Next button shows the following (older) ones:
    the filter (`type:id` targets, or one bulk operation) and the id the next page starts
    below."""

    kind: ClassVar[str] = "audit"
    title: str = "Recent changes"
    targets: tuple[str, ...] = ()
    bulk_id: str | None = None
    before_id: int | None = None

    def target_pairs(self) -> list[tuple[str, str]]:
        return [
            (kind, ident) for kind, sep, ident in (t.partition(":") for t in self.targets) if sep
        ]


ROW_OPS = ("enable", "disable", "archive", "unarchive", "tags", "profile", "tracker", "history")


@dataclass(frozen=True)
class RowOp:
    op: str
    account_id: int
    list_key: str | None


def row_op_value(op: str, account_id: int, list_key: str | None = None) -> str:
    """Overflow option values are capped at 150 characters, so a row's menu carries
    `op:id:list key`, the key naming the list it sits in (`bot.list_views`)."""
    return f"{op}:{account_id}" + (f":{list_key}" if list_key else "")


def parse_row_op(value: str) -> RowOp:
    op, _, rest = value.partition(":")
    ident, _, key = rest.partition(":")
    account_id = row_id(ident)
    if op not in ROW_OPS or account_id is None or not (key.isalnum() or not key):
        raise StaleMetadata()
    return RowOp(op, account_id, key or None)


@dataclass(frozen=True)
class AlertMove(Meta):
    kind: ClassVar[str] = "alert_move"
    alert_id: int
    backup_id: int
