"""Modals: forms for credentials, tags, profile changes, bulk actions, renames, and the
"working…" and result views that replace them while slow work runs. The tracker forms are in
`handlers.views.trackers`."""

from __future__ import annotations

from typing import Any

from bot.accounts import AccountRow, TagLabel
from bot.bulk import BulkResult
from bot.profiles import ManageView, ProfileCard
from bot.trackers import TrackerInfo
from handlers.ids import INPUT_ACTION, Field, Modal
from handlers.metadata import MAX_PRIVATE_METADATA, ModalContext
from handlers.views.blocks import (
    Block,
    context,
    esc,
    input_block,
    modal,
    option,
    plain,
    section,
    text_input,
    trunc,
)
from handlers.views.formatting import provider_name
from handlers.views.trackers import tracker_choices

MAX_RESULT_LINES = 40
MAX_SELECT_OPTIONS = 100


def _meta(meta: ModalContext) -> str:
    return meta.encode(limit=MAX_PRIVATE_METADATA)


def progress_view(title: str, text: str) -> dict[str, Any]:
    return modal(Modal.RESULT, title, [section(f":hourglass_flowing_sand: {text}")])


def notice_view(title: str, text: str) -> dict[str, Any]:
    return modal(Modal.RESULT, title, [section(text)])


def mediago_credentials_modal(
    meta: ModalContext,
    *,
    profile: ProfileCard | None,
    error: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Name, then what MediaGo issued: one API token, or a key and secret pair. Neither is ever
    pre-filled or shown back (a stored key shows only as a masked hint); when updating, a field
    left empty keeps what the profile holds. After a refusal only the typed name returns."""
    pair = bool(profile and profile.key_hint)
    keep = " Leave empty to keep the current one." if profile else ""
    blocks: list[Block] = []
    if error:
        blocks.append(section(f":warning: {esc(error)}"))
    blocks += [
        text_input(
            Field.NAME,
            "Profile name",
            INPUT_ACTION,
            initial=name or (profile.name if profile else None),
            placeholder="e.g. MediaGo — Client A",
            max_length=80,
            optional=profile is None,
            hint="Leave empty for a numbered name." if profile is None else None,
        ),
        text_input(
            Field.KEY,
            "Key (only for a key and secret pair)",
            INPUT_ACTION,
            max_length=3000,
            optional=True,
            hint=(
                f"Currently {profile.key_hint}. Leave empty to keep it."
                if profile and profile.key_hint
                else "Leave empty for a single API token. Only if you were given a key and a "
                "secret: the key here, the secret below."
            ),
        ),
        text_input(
            Field.SECRET,
            "Secret" if pair else "API token (or the secret of a key and secret pair)",
            INPUT_ACTION,
            max_length=3000,
            optional=profile is not None,
            hint=(
                "MediaGo issues one API token (ask your account manager): paste it here. "
                "Checked with MediaGo before it is saved; stored encrypted, never shown again."
                + keep
            ),
        ),
    ]
    title = "Update credentials" if profile else "Connect MediaGo"
    return modal(
        Modal.MEDIAGO_CREDENTIALS,
        title,
        blocks,
        submit="Check & save",
        private_metadata=_meta(meta),
    )


def tag_option_value(tag: TagLabel) -> str:
    """A tag's option is keyed by the tag itself, never by its place in the list: the list can
    change while the form is open."""
    return f"tag:{tag.id}"


def tags_modal(meta: ModalContext, row: AccountRow) -> dict[str, Any]:
    """The tags an account has, to keep or take off (the first 100, which is all a select
    holds; the rest are left as they are), and a field to add more."""
    blocks: list[Block] = [section(f"*{esc(row.name)}* `{esc(row.external_id)}`")]
    if row.tags:
        options = [
            option(f"{t.name}{' ⚙ automatic' if t.auto else ''}", tag_option_value(t))
            for t in row.tags[:MAX_SELECT_OPTIONS]
        ]
        blocks.append(
            input_block(
                Field.KEEP_TAGS,
                "Tags to keep (remove one to take it off)",
                {
                    "type": "multi_static_select",
                    "action_id": INPUT_ACTION,
                    "options": options,
                    "initial_options": options,
                },
                optional=True,
            )
        )
    blocks.append(
        text_input(
            Field.TAGS,
            "Add tags",
            INPUT_ACTION,
            placeholder="client-a, brand x, EU",
            optional=True,
            max_length=2000,
            hint="Separate tags with commas. Up to 64 characters each.",
        )
    )
    return modal(Modal.TAGS, "Edit tags", blocks, submit="Save", private_metadata=_meta(meta))


def change_profile_modal(
    meta: ModalContext, row: AccountRow, profiles: list[tuple[int, str]]
) -> dict[str, Any]:
    current = esc(row.profile_name or "no profile")
    head = section(f"*{esc(row.name)}* `{esc(row.external_id)}`\nCurrently: {current}")
    choices = [(pid, name) for pid, name in profiles if pid != row.profile_id]
    if not choices:
        return modal(
            Modal.CHANGE_PROFILE,
            "Change profile",
            [
                head,
                section(
                    "No other active profile can reach this account. "
                    "Sync a profile that has access, then try again."
                ),
            ],
            private_metadata=_meta(meta),
        )
    element = {
        "type": "static_select",
        "action_id": INPUT_ACTION,
        "placeholder": plain("Choose a profile"),
        "options": [option(name, str(pid)) for pid, name in choices[:MAX_SELECT_OPTIONS]],
    }
    blocks = [
        head,
        input_block(Field.PROFILE, "Use profile", element),
        context("Only active profiles that can reach this account are offered."),
    ]
    return modal(
        Modal.CHANGE_PROFILE, "Change profile", blocks, submit="Save", private_metadata=_meta(meta)
    )


BULK_ACTIONS = (
    ("enable", "Turn ON"),
    ("disable", "Turn OFF"),
    ("archive", "Archive"),
    ("unarchive", "Unarchive"),
    ("add_tags", "Add tags"),
    ("remove_tags", "Remove tags"),
    ("change_profile", "Change profile"),
    ("link_tracker", "Link a tracker"),
    ("default_tracker", "Use the integration's default tracker"),
    ("pause_tracker", "Pause the tracker connection"),
    ("resume_tracker", "Resume the tracker connection"),
)


def bulk_modal(
    meta: ModalContext,
    *,
    matching: int,
    scope: str,
    profiles: list[ProfileCard],
    trackers: list[TrackerInfo],
) -> dict[str, Any]:
    from handlers.ids import Options

    scope_options = [option("Accounts I choose below", "chosen")]
    if matching:
        scope_options.append(
            option(
                trunc(f"All {matching} accounts in the list ({scope or 'no filter'})", 75), "all"
            )
        )
    blocks: list[Block] = [
        input_block(
            Field.ACCOUNTS + "_scope",
            "Apply to",
            {
                "type": "radio_buttons",
                "action_id": INPUT_ACTION,
                "options": scope_options,
                "initial_option": scope_options[0],
            },
        ),
        input_block(
            Field.ACCOUNTS,
            "Accounts",
            {
                "type": "multi_external_select",
                "action_id": Options.ACCOUNTS,
                "placeholder": plain("Type a name or id"),
                "min_query_length": 0,
            },
            optional=True,
        ),
        input_block(
            Field.ACTION,
            "Action",
            {
                "type": "static_select",
                "action_id": INPUT_ACTION,
                "placeholder": plain("Choose what to do"),
                "options": [option(label, value) for value, label in BULK_ACTIONS],
            },
        ),
        text_input(
            Field.TAGS,
            "Tags (for tag actions)",
            INPUT_ACTION,
            optional=True,
            placeholder="client-a, EU",
            max_length=2000,
        ),
    ]
    active = [p for p in profiles if p.active][:MAX_SELECT_OPTIONS]
    if active:
        blocks.append(
            input_block(
                Field.PROFILE,
                "Profile (for Change profile)",
                {
                    "type": "static_select",
                    "action_id": INPUT_ACTION,
                    "placeholder": plain("Choose a profile"),
                    "options": [
                        option(f"{p.name} · {provider_name(p.provider)}", str(p.id)) for p in active
                    ],
                },
                optional=True,
            )
        )
    if trackers:
        blocks.append(
            input_block(
                Field.TRACKER,
                "Tracker (for Link a tracker)",
                {
                    "type": "static_select",
                    "action_id": INPUT_ACTION,
                    "placeholder": plain("Choose a tracker"),
                    **tracker_choices(trackers, "{}", first=[], current=None),
                },
                optional=True,
            )
        )
    blocks.append(context("Each account gets its own result: done, or skipped and why."))
    return modal(Modal.BULK, "Bulk actions", blocks, submit="Apply", private_metadata=_meta(meta))


def result_mark(result: BulkResult) -> str:
    """A tick only when everything asked for was done; anything skipped is a warning."""
    return ":white_check_mark:" if result.done and not result.skipped else ":warning:"


def bulk_result_view(title: str, result: BulkResult) -> dict[str, Any]:
    done, skipped = result.done, result.skipped
    blocks: list[Block] = [
        section(f"{result_mark(result)} *{len(done)} done* · *{len(skipped)} skipped*")
    ]
    if result.notes:
        blocks.append(section("\n".join(f":information_source: {esc(n)}" for n in result.notes)))
    lines = [f"• {esc(i.label)}: {esc(i.reason or '')}" for i in skipped[:MAX_RESULT_LINES]]
    if lines:
        blocks.append(section("*Skipped*\n" + "\n".join(lines)))
    if len(skipped) > MAX_RESULT_LINES:
        blocks.append(context(f"…and {len(skipped) - MAX_RESULT_LINES} more skipped."))
    done_lines = [f"• {esc(i.label)}" for i in done[:MAX_RESULT_LINES]]
    if done_lines:
        blocks.append(section("*Done*\n" + "\n".join(done_lines)))
    if len(done) > MAX_RESULT_LINES:
        blocks.append(context(f"…and {len(done) - MAX_RESULT_LINES} more done."))
    if result.bulk_id:
        short = result.bulk_id[:8]
        blocks.append(
            context(f"Audited as one bulk operation `{short}`: see it with `/adops audit {short}`.")
        )
    return modal(Modal.RESULT, title, blocks)


def manage_accounts_modal(meta: ModalContext, view: ManageView) -> dict[str, Any]:
    card = view.profile
    using = ", ".join(esc(a.label) for a in view.using[:30]) or "none"
    more = f" +{view.using_total - 30} more" if view.using_total > 30 else ""
    blocks: list[Block] = [
        section(f"*{esc(card.name)}* · {provider_name(card.provider)}"),
        section(f"*Accounts already using this profile ({view.using_total})*\n{using}{more}"),
    ]
    if not view.available:
        blocks.append(
            section("*Available to reassign*\nNo other accounts that this profile can reach.")
        )
        return modal(
            Modal.MANAGE_ACCOUNTS, "Manage ad accounts", blocks, private_metadata=_meta(meta)
        )
    options = [
        option(a.label, str(a.id), f"now: {a.current_profile or 'no profile'}")
        for a in view.available[:MAX_SELECT_OPTIONS]
    ]
    blocks.append(
        input_block(
            Field.MOVE,
            f"Available to reassign ({view.available_total}): move to this profile",
            {
                "type": "multi_static_select",
                "action_id": INPUT_ACTION,
                "options": options,
                "placeholder": plain("Choose accounts"),
            },
        )
    )
    if view.available_total > len(options):
        blocks.append(
            context(
                f"Showing the first {len(options)}; use Bulk actions → Change profile for the rest."
            )
        )
    return modal(
        Modal.MANAGE_ACCOUNTS,
        "Manage ad accounts",
        blocks,
        submit="Save",
        private_metadata=_meta(meta),
    )


def rename_modal(meta: ModalContext, card: ProfileCard) -> dict[str, Any]:
    blocks = [text_input(Field.NAME, "New name", INPUT_ACTION, initial=card.name, max_length=80)]
    return modal(
        Modal.RENAME_PROFILE,
        "Rename profile",
        blocks,
        submit="Rename",
        private_metadata=_meta(meta),
    )
