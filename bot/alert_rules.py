"""Which alerts should exist right now, read off the profiles and the providers' problems.

Each alert is an episode of one subject: a profile ("profile:<id>") or a provider's app
("app:<provider>"). An episode starts when the state it is about starts, so the same broken
state never raises two alerts, and a new one after a fix does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.provider_health import ProblemKind, ProviderProblem
from storage.models import Alert, AuditEvent, Profile, ProfileStatus


class AlertKind(StrEnum):
    INVALID = "invalid"
    EXPIRY = "expiry"
    TRANSIENT = "transient"
    CONTENTION = "contention"  # another tool keeps renewing the profile's session token
    APP = "app"  # the provider refuses the bot's own app
    QUOTA = "quota"  # the app's daily request limit is used up


REMINDED = frozenset({AlertKind.INVALID, AlertKind.APP})
DIRECT = frozenset({AlertKind.INVALID, AlertKind.CONTENTION})


@dataclass(frozen=True)
class Episode:
    subject: str
    profile_id: int | None
    kind: AlertKind
    episode: str
    reason: str
    dm_user: str | None


def profile_subject(profile_id: int) -> str:
    return f"profile:{profile_id}"


def app_subject(provider: str) -> str:
    return f"app:{provider}"


def provider_of(subject: str) -> str | None:
    return subject.removeprefix("app:") if subject.startswith("app:") else None


def profile_episodes(
    profile: Profile,
    now: datetime,
    *,
    transient_after: timedelta,
    expiry_warnings: tuple[timedelta, ...],
) -> list[Episode]:
    def episode(kind: AlertKind, key: str, reason: str) -> Episode:
        dm = profile.connected_by if kind in DIRECT else None
        return Episode(profile_subject(profile.id), profile.id, kind, key, reason, dm)

    if profile.status == ProfileStatus.INVALID and profile.invalid_since is not None:
        reason = profile.status_reason or "credentials rejected"
        return [episode(AlertKind.INVALID, profile.invalid_since.isoformat(), reason)]
    found = []
    if profile.renewal_conflict_since is not None:
        # It explains the refusals a transient warning would only repeat.
        found.append(
            episode(
                AlertKind.CONTENTION,
                profile.renewal_conflict_since.isoformat(),
                "another tool is using the same API token: each time one of them asks for a "
                "new access token, the provider cancels the other's, so syncs keep failing "
                "and recovering. Give adops-bot an API token of its own.",
            )
        )
    elif (
        profile.transient_error_since is not None
        and now - profile.transient_error_since >= transient_after
    ):
        found.append(
            episode(
                AlertKind.TRANSIENT,
                profile.transient_error_since.isoformat(),
                profile.last_sync_error or "the provider has not answered",
            )
        )
    expires = profile.credentials_expire_at
    if expires is not None and expires > now:
        ahead = [w for w in expiry_warnings if expires - now <= w]
        if ahead:
            window = min(ahead)
            found.append(
                episode(
                    AlertKind.EXPIRY,
                    f"{expires.isoformat()}/{int(window.total_seconds())}",
                    f"credentials expire {expires:%Y-%m-%d %H:%M} UTC",
                )
            )
    return found


def app_episode(problem: ProviderProblem) -> Episode:
    kind = AlertKind.QUOTA if problem.kind == ProblemKind.QUOTA else AlertKind.APP
    return Episode(
        app_subject(problem.provider), None, kind, problem.since.isoformat(), problem.reason, None
    )


async def resolution(
    session: AsyncSession, alert: Alert, display: Callable[[str], str]
) -> tuple[str, str | None]:
    """Who fixed an alert's subject, and why it counts as fixed when nobody did (a provider
    that accepts again what it refused)."""
    provider = provider_of(alert.subject)
    if provider is not None:
        if alert.kind == AlertKind.QUOTA:
            return "adops-bot", f"{display(provider)} accepts the app's requests again"
        return "adops-bot", f"{display(provider)} accepted the bot's app again"
    event = (
        await session.execute(
            select(AuditEvent.actor_label, AuditEvent.after)
            .where(
                AuditEvent.target_type == "profile",
                AuditEvent.target_id == str(alert.profile_id),
                AuditEvent.action.in_(("profile.credentials", "profile.active", "profile.remove")),
                AuditEvent.at >= alert.created_at,
            )
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    ).first()
    if event is None:
        return "adops-bot", None
    label, after = event
    reason = after.get("reason") if isinstance(after, dict) else None
    return label, reason if isinstance(reason, str) else None
