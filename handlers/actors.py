"""Who is clicking: Slack user → Actor, resolved once per request by a global middleware.

users.info is the only Slack call made before an ack, so it runs on its own client with a short
timeout and no retries, and its answer is cached for a few minutes.

Someone in a Slack Connect channel belongs to another workspace: users.info gives their own
workspace's `team_id`, and their owner or admin flags are about that workspace. The workspace the
bot is installed in is the one auth.test names; Bolt asks once and puts it in each request's
context, and without a request (the OAuth callback) the resolver asks once itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.permissions import Actor, Role, Source, UserFacts
from bot.roles import RoleService
from handlers.clients import without_retries

log = logging.getLogger(__name__)
USERS_INFO_TIMEOUT = 1.5
# Where a request's context holds its actor, and whether Slack confirmed who they are.
ACTOR = "actor"
VERIFIED = "actor_verified"
CACHE_SECONDS = 300.0


class ActorResolver:
    def __init__(
        self,
        roles: RoleService,
        client: AsyncWebClient,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._roles = roles
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, UserFacts, str]] = {}
        self._team: str | None = None

    async def resolve(
        self, user_id: str, source: Source, *, team_id: str | None = None
    ) -> tuple[Actor, bool]:
        """The actor, and whether Slack confirmed who they are. Unconfirmed users are treated as
        guests: a Slack hiccup must never widen anyone's permissions. `team_id` is the
        installing workspace, when the request already knows it."""
        cached = self._cache.get(user_id)
        if cached and cached[0] > self._clock():
            _, facts, label = cached
        else:
            try:
                facts, label = await asyncio.wait_for(
                    self._lookup(user_id, team_id), USERS_INFO_TIMEOUT
                )
            except (TimeoutError, SlackApiError, OSError):
                log.warning("users.info failed for %s; treating as unverified", user_id)
                return Actor(user_id, user_id, Role.GUEST, source), False
            if self._ttl > 0:
                self._cache[user_id] = (self._clock() + self._ttl, facts, label)
        return await self._roles.actor(facts, label=label, source=source), True

    async def _installing_team(self) -> str | None:
        if self._team is None:
            self._team = (await self._client.auth_test()).get("team_id")
        return self._team

    async def _lookup(self, user_id: str, team_id: str | None) -> tuple[UserFacts, str]:
        response = await without_retries(self._client).users_info(user=user_id)
        user: dict[str, Any] = response.get("user") or {}
        profile = user.get("profile") or {}
        label = (
            profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id
        )
        home = team_id or await self._installing_team()
        facts = UserFacts(
            user_id=user_id,
            workspace_admin=bool(user.get("is_admin") or user.get("is_owner")),
            guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            # A workspace neither Slack nor the request can name is not ours to trust.
            external=not home or user.get("team_id") != home,
        )
        return facts, str(label)[:200]


def request_user(body: dict[str, Any]) -> str | None:
    if "user_id" in body:
        return body["user_id"]
    user = body.get("user")
    return user.get("id") if isinstance(user, dict) else None


def request_source(body: dict[str, Any]) -> Source:
    kind = body.get("type")
    if kind == "view_submission":
        return Source.MODAL
    if kind in ("block_actions", "block_suggestion", "interactive_message"):
        return Source.BUTTON
    return Source.COMMAND


def actor_middleware(resolver: ActorResolver) -> Callable[..., Awaitable[Any]]:
    async def attach_actor(
        body: dict[str, Any], context: Any, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        user_id = request_user(body)
        if user_id:
            installed = context.authorize_result
            actor, verified = await resolver.resolve(
                user_id,
                request_source(body),
                team_id=installed.team_id if installed is not None else None,
            )
            context[ACTOR] = actor
            context[VERIFIED] = verified
        return await next()

    return attach_actor
