"""Cleaning of the names people type: profile, tracker and tag names, templates.

Anything printable in any script is welcome; what is refused is what makes a name unreadable or
deceptive in Slack: control characters, lone surrogates, and the invisible formatting characters
(Unicode category Cf) with which two names that look the same can differ. That covers the zero
width space, non-joiner and no-break space (U+200B, U+200C, U+FEFF), the word joiner (U+2060),
the direction marks (U+200E, U+200F, U+061C) and the bidirectional embeddings, overrides and
isolates; the Hangul fillers, which are letters that show as blank, go with them.

Two format characters are kept where emoji need them, and only there: the zero width joiner
(U+200D) between two pictographs (woman, ZWJ, laptop is the technologist emoji; a family or a
rainbow flag is made the same way), and the tag characters (U+E0020-U+E007F) of a subdivision
flag such as Scotland's. Elsewhere a joiner only changes how letters join, and a name typed
without it reads the same (Persian and Indic text included), so refusing it costs little and
stops a look-alike.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_SPACES = re.compile(r"\s+")


def _pictograph(char: str) -> bool:
    return unicodedata.category(char) == "So"


def _joins_emoji(text: str, at: int) -> bool:
    """Whether the ZWJ at `at` stands between two pictographs (skin tones and the emoji
    variation selector may come between the first and the joiner)."""
    before = at - 1
    while before >= 0 and text[before] in _EMOJI_MODIFIERS:
        before -= 1
    after = at + 1
    return (
        before >= 0 and after < len(text) and _pictograph(text[before]) and _pictograph(text[after])
    )


def _bad_char(text: str, *, allow_newlines: bool) -> str | None:
    """The first character that may not stand in `text`, or None."""
    flags = {i for match in _FLAG_TAGS.finditer(text) for i in range(match.start(), match.end())}
    for at, char in enumerate(text):
        if allow_newlines and char in "\n\t":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in _BLANK_LETTERS:
            return char
        if category == "Cf" and at not in flags and not (char == _ZWJ and _joins_emoji(text, at)):
            return char
    return None


def _refusal(what: str, char: str, verb: str, field: str | None) -> InvalidInput:
    name = unicodedata.name(char, "a control character")
    return InvalidInput(
        f"The {what} contains a character that cannot be {verb}: U+{ord(char):04X} ({name}), "
        "which is invisible or changes how the text around it shows. Remove it and try again.",
        field=field,
    )


def clean_name(value: str, *, what: str, max_len: int, field: str | None = None) -> str:
    """A one-line name: trimmed, inner whitespace collapsed, NFC-normalised, length-limited."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise InvalidInput(f"The {what} cannot be empty.", field=field)
    if (char := _bad_char(text, allow_newlines=False)) is not None:
        raise _refusal(what, char, "shown", field)
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
    if (char := _bad_char(text, allow_newlines=True)) is not None:
        raise _refusal(what, char, "used", field)
    if len(text) > max_len:
        raise InvalidInput(
            f"The {what} is {len(text)} characters long; the limit is {max_len}.", field=field
        )
    return text
