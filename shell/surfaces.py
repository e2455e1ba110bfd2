"""What the bot has shown the shell user: messages, ephemerals, DMs, thread replies and modals,
rebuilt from the calls the bot made to the Slack stand-in, and printed as they change."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fakes.slack import Call
from shell.render import Numberer, Pressable, Rendered, blocks, mrkdwn


@dataclass
class Surface:
    """A message (ephemeral, channel post, DM, thread reply) or a modal the user can act on."""

    kind: str
    channel: str | None
    body: dict[str, Any]
    key: str

    @property
    def is_modal(self) -> bool:
        return self.kind == "modal"

    @property
    def view_id(self) -> str | None:
        return self.body.get("id") if self.is_modal else None


@dataclass
class Screen:
    """Turns the bot's Slack calls into printed surfaces and remembers what can be pressed."""

    channel_names: dict[str, str]
    people: dict[str, str] = field(default_factory=dict)
    numbers: Numberer = field(default_factory=Numberer)
    pressables: dict[int, Pressable] = field(default_factory=dict)
    by_response_url: dict[str, Surface] = field(default_factory=dict)
    by_ts: dict[tuple[str, str], Surface] = field(default_factory=dict)
    modals: list[Surface] = field(default_factory=list)
    _keys: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ----------------------------------------------------------- bookkeeping

    def new_surface(self, kind: str, channel: str | None, body: dict[str, Any]) -> Surface:
        return Surface(kind, channel, body, f"s{next(self._keys)}")

    def top_modal(self) -> Surface | None:
        return self.modals[-1] if self.modals else None

    def modal_by_id(self, view_id: str | None) -> Surface | None:
        return next((m for m in self.modals if m.view_id == view_id), None)

    def close_modal(self, surface: Surface | None = None) -> None:
        if surface is None:
            self.modals.clear()
        elif surface in self.modals:
            self.modals.remove(surface)

    def place(self, channel: str | None) -> str:
        if channel is None:
            return ""
        if channel.startswith("D"):
            return "DM from adops"
        return self.channel_names.get(channel, channel)

    # -------------------------------------------------------------- showing

    def show(self, surface: Surface, heading: str) -> list[str]:
        if surface.is_modal:
            return self._show_modal(surface, heading)
        rendered = self._render(surface.body.get("blocks") or [], surface)
        lines = rendered.lines or [mrkdwn(str(surface.body.get("text") or ""))]
        return ["", f"── {heading} ──", *map(self._named, lines)]

    def _named(self, line: str) -> str:
        """Mentions read as names, as Slack shows them."""
        for user_id, name in self.people.items():
            line = line.replace("@" + user_id, "@" + name)
        for channel_id, name in self.channel_names.items():
            line = line.replace("#" + channel_id, name)
        return line

    def _render(self, blocks_: list[dict[str, Any]], surface: Surface) -> Rendered:
        rendered = blocks(blocks_, self.numbers, surface)
        for pressable in rendered.pressables:
            self.pressables[pressable.number] = pressable
        return rendered

    def _show_modal(self, surface: Surface, heading: str) -> list[str]:
        view = surface.body
        title = str((view.get("title") or {}).get("text", "Modal"))
        rendered = self._render(view.get("blocks") or [], surface)
        lines = ["", f"┌─ {heading}: {title} " + "─" * max(4, 36 - len(title))]
        lines += ["│ " + self._named(line) for line in rendered.lines]
        buttons = []
        if view.get("submit"):
            buttons.append(f"[{view['submit']['text']}]")
        buttons.append(f"[{(view.get('close') or {}).get('text', 'Close')}]")
        lines.append("└─ " + " ".join(buttons))
        return lines

    def is_progress(self, view: dict[str, Any]) -> bool:
        """A "Loading…"/"Checking…" view: one section, no inputs, nothing to press."""
        found = view.get("blocks") or []
        return (
            len(found) == 1
            and found[0].get("type") == "section"
            and "accessory" not in found[0]
            and ":hourglass_flowing_sand:" in str(found[0].get("text", {}).get("text", ""))
            and not view.get("submit")
        )

    # ------------------------------------------------------------ applying

    def apply_ack(self, body: dict[str, Any], origin: Surface | None, channel: str) -> list[str]:
        """The body of an ack: a slash command's ephemeral reply, or a view submission's
        response_action (errors are the modal filler's business and are not handled here)."""
        action = body.get("response_action")
        if action == "update" and origin is not None:
            origin.body = {**body["view"], "id": origin.view_id}
            return self._modal_update(origin)
        if action == "push":
            return self._modal_open(body["view"], f"V-push-{next(self._keys)}")
        if action == "clear":
            self.modals.clear()
            return []
        if body.get("text") or body.get("blocks"):
            surface = self.new_surface("ephemeral", channel, body)
            return self.show(surface, "only visible to you")
        return []

    def apply(self, call: Call, channel: str) -> list[str]:
        """One Slack Web API call (or response_url post) the bot made, as printed lines."""
        args = call.args
        if not call.result.get("ok"):
            # In a real workspace this is where a message or modal would silently not appear.
            error = call.result.get("error") or call.result.get("body") or "refused"
            return [f"(Slack refused the bot's {call.method}: {error})"]
        if call.method == "response_url":
            return self._response(args, channel)
        if call.method == "chat.postMessage":
            return self._posted(args, str(call.result.get("ts", "")))
        if call.method == "chat.postEphemeral":
            surface = self.new_surface("ephemeral", args.get("channel"), args)
            return self.show(surface, "only visible to you")
        if call.method == "chat.update":
            surface = self.by_ts.get((args.get("channel", ""), args.get("ts", "")))
            if surface is None:
                return []
            surface.body = {**surface.body, "text": args.get("text"), "blocks": args.get("blocks")}
            return self.show(surface, f"↻ updated in {self.place(surface.channel)}")
        if call.method in ("views.open", "views.push"):
            return self._modal_open(args.get("view") or {}, call.result["view"]["id"])
        if call.method == "views.update":
            surface = self.modal_by_id(args.get("view_id"))
            if surface is None:
                return []
            surface.body = {**(args.get("view") or {}), "id": surface.view_id}
            return self._modal_update(surface)
        return []

    def _modal_open(self, view: dict[str, Any], view_id: str | None) -> list[str]:
        surface = self.new_surface("modal", None, {**view, "id": view_id})
        self.modals.append(surface)
        return self._modal_update(surface)

    def _modal_update(self, surface: Surface) -> list[str]:
        if self.is_progress(surface.body):
            text = surface.body["blocks"][0]["text"]["text"]
            return ["  " + mrkdwn(text)]
        return self.show(surface, "modal")

    def _response(self, args: dict[str, Any], channel: str) -> list[str]:
        url = str(args.get("url", ""))
        origin = self.by_response_url.get(url)
        if args.get("delete_original") and origin is not None:
            return ["── (the message above was removed) ──"]
        if args.get("replace_original") and origin is not None:
            origin.body = {"text": args.get("text"), "blocks": args.get("blocks")}
            return self.show(origin, "↻ updated, only visible to you")
        surface = self.new_surface("ephemeral", origin.channel if origin else channel, args)
        return self.show(surface, "only visible to you")

    def _posted(self, args: dict[str, Any], ts: str) -> list[str]:
        channel = str(args.get("channel", ""))
        thread = args.get("thread_ts")
        kind = "dm" if channel.startswith("D") else "thread" if thread else "channel"
        surface = self.new_surface(kind, channel, {**args, "ts": ts})
        self.by_ts[(channel, ts)] = surface
        heading = self.place(channel) + (" · thread reply" if thread else "")
        return self.show(surface, heading)
