"""Typed domain errors. Their message is written for the person who caused them and is safe to
show in Slack: it never contains a secret."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on. `field` names the input it is about, for inline modal
    errors."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    pass


class PermissionDenied(DomainError):
    def __init__(self, permission: str, message: str) -> None:
        super().__init__(message)
        self.permission = permission
