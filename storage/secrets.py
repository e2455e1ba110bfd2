"""Secrets at rest: the `Secret` value type and a MultiFernet keyring.

Each stored value carries the id of the key that sealed it (`<key id>$<fernet token>`). That lets
the start-up check say exactly which key is missing, and lets `rotate-keys` skip rows that already
sit under the newest key, so an interrupted rotation can simply be run again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"
_SEPARATOR = "$"


class Secret:
    """A string that refuses to show itself in reprs, logs and exception messages.

    The plaintext is only reachable through `reveal()`, so every place that handles the real value
    is easy to find.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def hint(self) -> str:
        """A masked hint for the UI: the last four characters, and only when the value is long
        enough that four characters give nothing useful away."""
        if len(self._value) >= 12:
            return "••••" + self._value[-4:]
        return "••••"

    def __repr__(self) -> str:
        return "Secret('••••')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self._value)


class SecretsError(Exception):
    """A key problem that stops the bot from starting; the message never contains key material."""


class UndecryptableSecret(SecretsError):
    pass


def key_id(key: bytes) -> str:
    """Short, non-reversible identifier of a key, safe to store next to the ciphertext."""
    return hashlib.sha256(key).hexdigest()[:8]


class Keyring:
    """Encrypts with the newest key, decrypts with any configured key."""

    def __init__(self, keys: Sequence[bytes | str]) -> None:
        if not keys:
            raise SecretsError("at least one encryption key is required")
        raw: list[bytes] = []
        for position, key in enumerate(keys, start=1):
            material = key.encode() if isinstance(key, str) else key
            try:
                Fernet(material)
            except (ValueError, TypeError):
                raise SecretsError(
                    f"encryption key #{position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
            raw.append(material)
        self._fernets = {key_id(k): Fernet(k) for k in raw}
        self._multi = MultiFernet([Fernet(k) for k in raw])
        self.primary_id = key_id(raw[0])
        self.key_ids = tuple(key_id(k) for k in raw)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"

    def seal(self, plaintext: str) -> str:
        token = self._multi.encrypt(plaintext.encode()).decode()
        return f"{self.primary_id}{_SEPARATOR}{token}"

    def open(self, stored: str) -> str:
        kid, token = _split(stored)
        fernet = self._fernets.get(kid)
        try:
            if fernet is not None:
                return fernet.decrypt(token.encode()).decode()
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret(
                f"a stored secret sealed with key {kid or '(unknown)'} cannot be decrypted "
                "with the configured keys"
            ) from None

    def needs_rotation(self, stored: str) -> bool:
        return _split(stored)[0] != self.primary_id

    def rotate(self, stored: str) -> str:
        """Re-seal under the newest key; raises UndecryptableSecret if no key opens it."""
        return self.seal(self.open(stored))

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()


def _split(stored: str) -> tuple[str, str]:
    kid, sep, token = stored.partition(_SEPARATOR)
    if not sep:
        return "", stored
    return kid, token


def parse_keys(value: str) -> list[str]:
    """Keys from `ADOPS_ENCRYPTION_KEYS`: comma-separated, newest first, blanks ignored."""
    return [part.strip() for part in value.split(",") if part.strip()]


def load_or_create_key_file(data_dir: Path) -> str:
    """The embedded default: one key in a 0600 file in the data directory, made on first start."""
    path = data_dir / KEY_FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("encryption key file %s is readable by other users (mode %o)", path, mode)
        key = path.read_text().strip()
        if not key:
            raise SecretsError(f"encryption key file {path} is empty") from None
        return key
    key = Keyring.generate_key()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "generated a new encryption key in %s; back it up: without it the stored credentials "
        "cannot be read",
        path,
    )
    return key
