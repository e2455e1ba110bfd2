"""Filling a modal in the terminal, one input block at a time, into the `view.state.values`
shape Slack would submit. Slack's own client-side rules (required fields, option lists) are
enforced here as Slack's client enforces them; everything else is the bot's to validate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shell.console import Console
from shell.render import mrkdwn, option_text, option_values

LoadOptions = Callable[[dict[str, Any], str], Awaitable[list[dict[str, Any]]]]
SINGLE = ("static_select", "radio_buttons", "external_select")
MULTI = ("multi_static_select", "checkboxes", "multi_external_select")


class Cancelled(Exception):
    """The user typed :cancel (or input ended) while filling a form."""


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("element")]


def initial_state(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in inputs(view):
        element = block["element"]
        kind = element.get("type")
        state: dict[str, Any] = {"type": kind}
        if kind in SINGLE:
            state["selected_option"] = element.get("initial_option")
        elif kind in MULTI:
            state["selected_options"] = list(element.get("initial_options") or [])
        else:
            state["value"] = element.get("initial_value")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def describe(state: dict[str, Any]) -> str:
    if "selected_option" in state:
        chosen = state["selected_option"]
        return option_text(chosen) if chosen else ""
    if "selected_options" in state:
        return ", ".join(option_text(o) for o in state["selected_options"])
    return str(state.get("value") or "")


class FormFiller:
    def __init__(self, console: Console, load_options: LoadOptions) -> None:
        self._console = console
        self._load = load_options

    async def fill(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, dict[str, Any]]],
        *,
        errors: dict[str, str] | None = None,
    ) -> None:
        """Ask for every input block (or, after a rejected submit, only those with errors)."""
        errors = errors or {}
        for block in inputs(view):
            block_id = block["block_id"]
            if errors and block_id not in errors:
                continue
            element = block["element"]
            state = values[block_id][element["action_id"]]
            label = str(block.get("label", {}).get("text", block_id))
            if not block.get("optional"):
                label += " *"
            self._console.say(f"  ▸ {label}")
            if block.get("hint"):
                self._console.say(f"    ({block['hint'].get('text', '')})")
            if block_id in errors:
                self._console.say(f"    ⚠ {mrkdwn(errors[block_id])}")
            while True:
                await self._ask(block, element, state)
                if block.get("optional") or describe(state):
                    break
                self._console.say("    ⚠ Please fill out this field.")

    async def _line(self, prompt: str) -> str:
        line = await self._console.ask(prompt)
        if line is None or line.strip() == ":cancel":
            raise Cancelled
        return line.strip()

    async def _ask(self, block: dict[str, Any], element: dict[str, Any], state: dict) -> None:
        kind = element.get("type")
        now = describe(state)
        keep = f" [{now}]" if now else ""
        if kind in ("external_select", "multi_external_select"):
            await self._external(block, element, state, keep)
        elif kind in SINGLE or kind in MULTI:
            options = option_values(element)
            for n, option in enumerate(options, 1):
                self._console.say(f"    {n}) {option_text(option)}")
            how = "numbers, comma-separated" if kind in MULTI else "a number"
            answer = await self._line(f"    choose ({how}){keep}: ")
            self._choose(answer, options, state, multi=kind in MULTI)
        else:
            answer = await self._line(f"    text{keep}: ")
            if answer == ":none":
                state["value"] = None
            elif answer:
                state["value"] = answer

    async def _external(
        self, block: dict[str, Any], element: dict[str, Any], state: dict, keep: str
    ) -> None:
        multi = element.get("type") == "multi_external_select"
        query = await self._line(f"    search (Enter keeps what is chosen){keep}: ")
        if query == ":none":
            state["selected_options" if multi else "selected_option"] = [] if multi else None
            return
        if not query and now_chosen(state):
            return
        options = await self._load(block, query)
        if not options:
            self._console.say("    (nothing matches)")
            return
        for n, option in enumerate(options, 1):
            self._console.say(f"    {n}) {option_text(option)}")
        how = "numbers, comma-separated, or all" if multi else "a number"
        answer = await self._line(f"    choose ({how}): ")
        if multi and answer == "all":
            state["selected_options"] = options
            return
        self._choose(answer, options, state, multi=multi)

    def _choose(self, answer: str, options: list[dict], state: dict, *, multi: bool) -> None:
        if not answer:
            return
        if answer == ":none":
            if multi:
                state["selected_options"] = []
            else:
                state["selected_option"] = None
            return
        picked = []
        for part in answer.split(","):
            part = part.strip()
            if part.isdigit() and 1 <= int(part) <= len(options):
                picked.append(options[int(part) - 1])
            else:
                match = [o for o in options if option_text(o).lower() == part.lower()]
                if not match:
                    self._console.say(f"    ⚠ {part!r} is not one of the options; kept as it was.")
                    return
                picked.append(match[0])
        if multi:
            state["selected_options"] = picked
        else:
            state["selected_option"] = picked[-1]


def now_chosen(state: dict[str, Any]) -> bool:
    return bool(state.get("selected_options") or state.get("selected_option"))
