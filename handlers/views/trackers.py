"""Trackers: the list of tracker connections with each integration's default, the tracker
forms (a connection, an account's tracker settings), and the tracker choices every form offers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.accounts import AccountRow
from bot.text import row_id
from bot.trackers import TEMPLATE_MAX_LEN, TRACKER_KINDS, TrackerInfo
from bot.tracking_templates import macro_help
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.metadata import MAX_PRIVATE_METADATA, ModalContext, TrackerRef
from handlers.views.blocks import (
    OPTION_TEXT_MAX,
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    esc,
    input_block,
    message,
    modal,
    offered,
    option,
    plain,
    section,
    select_choices,
    text_input,
    trunc,
)
from handlers.views.formatting import provider_name, tracker_text

MAX_TRACKERS = 20


def tracker_labels(trackers: list[TrackerInfo]) -> dict[int, str]:
    """Option texts that tell trackers apart: names are unique, but an option shows only 75
    characters, so two long names that differ further on get their number added."""
    short = {t.id: trunc(t.name, OPTION_TEXT_MAX) for t in trackers}
    seen: dict[str, int] = {}
    for label in short.values():
        seen[label] = seen.get(label, 0) + 1
    return {
        t.id: short[t.id]
        if seen[short[t.id]] == 1
        else trunc(t.name, OPTION_TEXT_MAX - len(f" #{t.id}")) + f" #{t.id}"
        for t in trackers
    }


def tracker_choices(
    trackers: list[TrackerInfo],
    value: str,
    *,
    first: list[dict[str, Any]],
    current: int | None,
) -> dict[str, Any]:
    """A static select's options: `first` (such as "the default"), the current tracker, then
    the others. The current one is always offered, however many there are, so that saving a
    form never quietly changes it (`select_choices`)."""
    labels = tracker_labels(trackers)
    chosen = [option(labels[t.id], value.format(t.id)) for t in trackers if t.id == current]
    others = [option(labels[t.id], value.format(t.id)) for t in trackers if t.id != current]
    return select_choices(first + chosen, others, what="Trackers", first_label="Current choice")


def default_picker(provider: str, current: TrackerInfo | None) -> dict[str, Any]:
    """The integration's default, chosen from a menu that loads its options as it opens and as
    the person types (`default_options`). Listed in the message, a hundred tracker names per
    integration would crowd out everything else: Slack caps the text of a whole message."""
    none = option("No default tracker", f"{provider}:none")
    return {
        "type": "external_select",
        "action_id": f"{Action.TRACKER_DEFAULT}.{provider}",
        "placeholder": plain(f"Default for {provider_name(provider)}"),
        "min_query_length": 0,
        "initial_option": option(trunc(current.name, OPTION_TEXT_MAX), f"{provider}:{current.id}")
        if current
        else none,
    }


def default_options(provider: str, matching: list[TrackerInfo]) -> list[dict[str, Any]]:
    """What the default picker offers for what was typed: no default, then the trackers that
    match (Slack takes at most 100 options in one answer)."""
    labels = tracker_labels(matching)
    return [option("No default tracker", f"{provider}:none")] + [
        option(labels[t.id], f"{provider}:{t.id}") for t in matching[:99]
    ]


def tracker_buttons(tracker: TrackerInfo) -> Block:
    ref = TrackerRef(tracker.id).encode()
    return actions(
        [
            button("Edit", Action.TRACKER_EDIT, ref),
            button(
                "Delete",
                Action.TRACKER_DELETE,
                ref,
                style="danger",
                confirm=confirm_dialog(
                    "Delete this tracker?",
                    f"{trunc(tracker.name, 80)} and its tracking template will be deleted. A "
                    "tracker that is an integration's default, or that accounts link, stays "
                    "until they use another.",
                    "Delete",
                ),
            ),
        ]
    )


def trackers_message(
    trackers: list[TrackerInfo],
    defaults: dict[str, TrackerInfo | None],
    *,
    can_manage: bool,
    notice: str | None = None,
) -> dict[str, Any]:
    """`notice` (what was just done) goes on top, above the list as it is now."""
    lines = [
        f"*{provider_name(p)}*: {esc(d.name) if d else '_no default tracker_'}"
        for p, d in defaults.items()
    ]
    blocks: list[Block] = [context(notice)] if notice else []
    blocks.append(section("*Integration defaults*\n" + "\n".join(lines)))
    if can_manage and trackers:
        blocks.append(actions([default_picker(p, d) for p, d in defaults.items()]))
    if not trackers:
        blocks.append(section("No tracker connections yet."))
    for tracker in trackers[:MAX_TRACKERS]:
        overriding = (
            f" · {tracker.overriding_accounts} account(s) link it directly"
            if tracker.overriding_accounts
            else ""
        )
        blocks.append(
            section(
                f"*{esc(tracker.name)}* · {esc(tracker.kind)}{overriding}\n"
                f"`{esc(trunc(tracker.tracking_template, 500))}`"
            )
        )
        if can_manage:
            blocks.append(tracker_buttons(tracker))
    if len(trackers) > MAX_TRACKERS:
        blocks.append(context(f"{len(trackers) - MAX_TRACKERS} more not shown."))
    if can_manage:
        blocks.append(
            actions(
                [button("Add tracker", Action.TRACKER_ADD, TrackerRef().encode(), style="primary")]
            )
        )
    return message("Trackers", blocks)


def tracker_settings_modal(
    meta: ModalContext,
    row: AccountRow,
    trackers: list[TrackerInfo],
    default: TrackerInfo | None,
    *,
    override_tracker_id: int | None,
    override_template: str | None,
    chosen: str | None = None,
) -> dict[str, Any]:
    """`chosen` is the tracker option picked in the open form (`default` or `t<id>`), when the
    form is redrawn for it: the template hint follows the tracker chosen, and since block and
    action ids stay the same, Slack keeps what was typed (research/slack.md §2)."""
    chosen = chosen or (f"t{override_tracker_id}" if override_tracker_id else "default")
    default_label = (
        f"Integration default ({default.name})" if default else "Integration default (none)"
    )
    choice = row_id(chosen[1:]) if chosen.startswith("t") else None
    choices = tracker_choices(
        trackers, "t{}", first=[option(default_label, "default")], current=choice
    )
    initial = next((o for o in offered(choices) if o["value"] == chosen), offered(choices)[0])
    pause_option = option("Pause the tracker connection for this account", "paused")
    paused = {"type": "checkboxes", "action_id": INPUT_ACTION, "options": [pause_option]}
    if row.tracker.paused:
        paused["initial_options"] = [pause_option]
    picked = next((t for t in trackers if t.id == choice), None) if choice else default
    own = (
        f"Empty = {picked.name}'s own template: {picked.tracking_template}"
        if picked
        else "Empty = no template: this integration has no default tracker"
    )
    blocks: list[Block] = [
        section(f"*{esc(row.name)}* `{esc(row.external_id)}`\nNow: {tracker_text(row.tracker)}"),
        input_block(
            Field.TRACKER,
            "Tracker",
            {
                "type": "static_select",
                "action_id": INPUT_ACTION,
                **choices,
                "initial_option": initial,
            },
            dispatch_action=True,
        ),
        input_block(Field.PAUSED, "Tracker data", paused, optional=True),
        text_input(
            Field.TEMPLATE,
            "Tracking template for this account",
            INPUT_ACTION,
            initial=override_template,
            multiline=True,
            optional=True,
            max_length=TEMPLATE_MAX_LEN,
            hint=trunc(f"{own}. {macro_help((row.provider,))}", 2000),
        ),
    ]
    return modal(
        Modal.TRACKER_SETTINGS,
        "Tracker settings",
        blocks,
        submit="Save",
        private_metadata=meta.encode(limit=MAX_PRIVATE_METADATA),
    )


KIND_LABELS = {"redtrack": "RedTrack", "clickflare": "ClickFlare"}


def tracker_connection_modal(
    meta: ModalContext, tracker: TrackerInfo | None, *, providers: Sequence[str]
) -> dict[str, Any]:
    """A tracker whose stored type is no longer offered (a type since dropped from the list)
    gets no preselected type: Slack then asks for one, and the hint says what it was."""
    kinds = [option(KIND_LABELS.get(k, k.title()), k) for k in TRACKER_KINDS]
    kind_element: dict[str, Any] = {
        "type": "static_select",
        "action_id": INPUT_ACTION,
        "options": kinds,
    }
    known = tracker is not None and tracker.kind in TRACKER_KINDS
    if tracker is not None and known:
        kind_element["initial_option"] = next(o for o in kinds if o["value"] == tracker.kind)
    kind_hint = (
        f"Saved as “{tracker.kind}”, which is not one of these; choose the closest, or Other."
        if tracker is not None and not known
        else None
    )
    blocks = [
        text_input(
            Field.NAME,
            "Name",
            INPUT_ACTION,
            initial=tracker.name if tracker else None,
            max_length=80,
        ),
        input_block(Field.KIND, "Tracker", kind_element, hint=kind_hint),
        text_input(
            Field.TEMPLATE,
            "Tracking template",
            INPUT_ACTION,
            initial=tracker.tracking_template if tracker else None,
            multiline=True,
            max_length=TEMPLATE_MAX_LEN,
            placeholder="?cid={{campaign.id}}&click_id=__CALLBACK_PARAM__",
            hint=trunc(f"A link (https://…) or a query string. {macro_help(providers)}", 2000),
        ),
    ]
    title = "Edit tracker" if tracker else "Add tracker"
    return modal(
        Modal.TRACKER_CONNECTION,
        title,
        blocks,
        submit="Save",
        private_metadata=meta.encode(limit=MAX_PRIVATE_METADATA),
    )
