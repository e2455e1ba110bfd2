"""How one Slack request is split between the two processes of a replica.

The front process answers Slack: it runs each listener up to its ack and no further. Everything
after the ack (database writes, provider calls, Slack calls) runs in the worker process, which
runs the same listener again from the top with the front's actor, skips the ack it already got,
and carries on. A listener is written once, as validate → ack → work; the phase in its context
says how far it may go.

A job is plain JSON, because in production it crosses a socket to another process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt.response import BoltResponse

from bot.permissions import Actor, Role, Source
from handlers.actors import ACTOR, VERIFIED
from handlers.http_parse import parse

PHASE = "adops_phase"
ACK_PHASE = "ack"
WORK_PHASE = "work"
# Set by the front when a listener acked and has work left; holds the ack that Slack was sent.
HANDOFF = "adops_handoff"
# The front's ack, as the worker sees it: the worker's listener must reach the same answer.
FRONT_ACK = "adops_front_ack"


def ack_of(response: BoltResponse) -> list[Any]:
    return [response.status, response.body]


@dataclass(frozen=True)
class Job:
    """`raw` is the HTTP body as Slack sent it: the worker parses it again rather than the front
    serialising the parsed one, which would cost the front as much time as parsing did."""

    body: dict[str, Any]
    ack: list[Any]
    actor: Actor | None
    verified: bool
    raw: str | None = None
    content_type: str | None = None

    def encode(self) -> dict[str, Any]:
        actor = None
        if self.actor is not None:
            a = self.actor
            actor = {"id": a.id, "label": a.label, "role": a.role.value, "source": a.source.value}
        if self.raw:
            payload: dict[str, Any] = {"raw": self.raw, "content_type": self.content_type}
        else:
            payload = {"body": self.body}
        return {
            **payload,
            "ack": self.ack,
            "actor": actor,
            "verified": self.verified,
        }

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Job:
        raw = data.get("actor")
        actor = None
        if raw is not None:
            actor = Actor(raw["id"], raw["label"], Role(raw["role"]), Source(raw["source"]))
        body = data["body"] if "body" in data else parse(data["raw"], data["content_type"])
        return cls(body, list(data["ack"]), actor, bool(data["verified"]))

    def context(self) -> dict[str, Any]:
        """What the worker's Bolt context starts with: the front already resolved the actor, and
        a second users.info per request would be a Slack call for nothing."""
        context: dict[str, Any] = {PHASE: WORK_PHASE, FRONT_ACK: self.ack, VERIFIED: self.verified}
        if self.actor is not None:
            context[ACTOR] = self.actor
        return context


def round_trip(job: Job) -> Job:
    """The job exactly as a worker in another process would receive it, for the in-process link:
    anything that would not survive the socket fails in tests too."""
    return Job.decode(json.loads(json.dumps(job.encode())))
