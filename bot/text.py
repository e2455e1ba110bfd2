"""Cleaning of the names people type: profile, tracker and tag names, templates.

Anything printable in any script is welcome; what is refused is what makes a name unreadable or
deceptive in Slack: control characters, lone surrogates and bidirectional overrides.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")


def _bad_char(char: str, *, allow_newlines: bool) -> bool:
    if allow_newlines and char in "\n\t":
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS


def clean_name(value: str, *, what: str, max_len: int, field: str | None = None) -> str:
    """A one-line name: trimmed, inner whitespace collapsed, NFC-normalised, length-limited."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise InvalidInput(f"The {what} cannot be empty.", field=field)
    if any(_bad_char(c, allow_newlines=False) for c in text):
        raise InvalidInput(f"The {what} contains characters that cannot be shown.", field=field)
    if len(text) > max_len:
        raise InvalidInput(
            f"The {what} is {len(text)} characters long; the limit is {max_len}.", field=field
        )
    return text


def row_id(text: str) -> int | None:
    """A database id as someone typed it or Slack sent it back, or None. `str.isdigit` also
    accepts digits such as '²' that `int` refuses, and both databases store ids in 64 bits."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None


def clean_block(value: str, *, what: str, max_len: int, field: str | None = None) -> str:
    """Free text such as a tracking template: trimmed and length-limited, newlines allowed."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise InvalidInput(f"The {what} cannot be empty.", field=field)
    if any(_bad_char(c, allow_newlines=True) for c in text):
        raise InvalidInput(f"The {what} contains characters that cannot be used.", field=field)
    if len(text) > max_len:
        raise InvalidInput(
            f"The {what} is {len(text)} characters long; the limit is {max_len}.", field=field
        )
    return text
