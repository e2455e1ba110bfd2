"""Who may do what. Handlers check this early for a friendly refusal; services check it again,
so a missed check in a handler can never change anything."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import PermissionDenied


class Role(StrEnum):
    GUEST = "guest"
    MEMBER = "member"
    ADMIN = "admin"
    SYSTEM = "system"


class Permission(StrEnum):
    HELP = "help"
    VIEW = "view"
    MANAGE = "manage"


class Source(StrEnum):
    """Where a change came from, as recorded in the audit log."""

    COMMAND = "command"
    BUTTON = "button"
    MODAL = "modal"
    OAUTH = "oauth"
    LOOP = "loop"
    CLI = "cli"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.GUEST: frozenset({Permission.HELP}),
    Role.MEMBER: frozenset({Permission.HELP, Permission.VIEW}),
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset(Permission),
}

_DENIALS = {
    Permission.VIEW: "Only members of this workspace can look at ad accounts (guests cannot).",
    Permission.MANAGE: "Changing ad accounts, profiles and settings needs the adops admin "
    "permission. Ask an admin to run `/adops admins add @you`.",
}


@dataclass(frozen=True)
class Actor:
    """The person (or process) on whose behalf a service call runs."""

    id: str
    label: str
    role: Role
    source: Source

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(permission, denial_text(permission))


def denial_text(permission: Permission) -> str:
    """What a refused user reads: which permission they lack and how to get it."""
    return _DENIALS.get(permission, "You don't have permission to do that.")


def system_actor(source: Source = Source.LOOP, label: str = "adops-bot") -> Actor:
    return Actor(id="system", label=label, role=Role.SYSTEM, source=source)


@dataclass(frozen=True)
class UserFacts:
    """What the chat platform says about a user; Slack's users.info maps onto it."""

    user_id: str
    workspace_admin: bool = False
    guest: bool = False
    external: bool = False
    """From another workspace (Slack Connect): `workspace_admin` is about their own, not ours."""


def decide_role(facts: UserFacts, *, configured: frozenset[str], granted: frozenset[str]) -> Role:
    """Guests never manage anything, whatever list they are on. Admins are the configured ones
    plus those granted in Slack, each named by id on purpose, so someone from another workspace
    on either list is an admin too. Only when no admin is configured in the environment do the
    workspace's own owners and admins count, and never another workspace's. Anyone else from
    another workspace reads no more than a guest: the accounts are this team's business."""
    if facts.guest:
        return Role.GUEST
    if facts.user_id in configured or facts.user_id in granted:
        return Role.ADMIN
    if facts.external:
        return Role.GUEST
    if not configured and facts.workspace_admin:
        return Role.ADMIN
    return Role.MEMBER
