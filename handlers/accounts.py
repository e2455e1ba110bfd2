"""Listeners for the accounts list: paging, the row menu, bulk actions, and the modals they open
(tags, profile, tracker settings), plus the account typeahead."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.accounts import MAX_OPTIONS
from bot.bulk import MAX_BULK, BulkAction, BulkResult
from bot.errors import DomainError, InvalidInput
from bot.permissions import Actor, Permission
from bot.tags import clean_tags, split_tags
from bot.text import row_id
from bot.trackers import KEEP, TrackerSettings, clean_template
from handlers.commands import account_filter, render_accounts
from handlers.deps import Deps
from handlers.forms import int_values, picked, selected, selected_many, tell_submitter, text_value
from handlers.ids import Action, Field, Modal, Options
from handlers.metadata import ListState, ModalContext, StaleMetadata, parse_row_op
from handlers.replies import reported, requires, tell
from handlers.views.accounts import describe_filter
from handlers.views.blocks import context as context_block
from handlers.views.blocks import esc, notice, option
from handlers.views.modals import (
    bulk_modal,
    bulk_result_view,
    change_profile_modal,
    notice_view,
    progress_view,
    tags_modal,
    tracker_settings_modal,
)

_SIMPLE_OPS = {
    "enable": BulkAction.ENABLE,
    "disable": BulkAction.DISABLE,
    "archive": BulkAction.ARCHIVE,
    "unarchive": BulkAction.UNARCHIVE,
}
_DONE_WORDS = {
    BulkAction.ENABLE: "turned ON",
    BulkAction.DISABLE: "turned OFF",
    BulkAction.ARCHIVE: "archived",
    BulkAction.UNARCHIVE: "unarchived",
}


def list_state_of(message: dict[str, Any] | None) -> ListState | None:
    """The filter of the list a row menu sits in, read back from its paging buttons."""
    for block in (message or {}).get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") in (Action.ACCOUNTS_PAGE, Action.BULK_OPEN):
                try:
                    return ListState.decode(element.get("value"))
                except StaleMetadata:
                    return None
    return None


async def open_loading(client: AsyncWebClient, body: dict[str, Any], title: str) -> str:
    """Open a modal at once (the trigger dies after 3 s) and fill it in when the data is ready."""
    response = await client.views_open(
        trigger_id=body["trigger_id"], view=progress_view(title, "Loading…")
    )
    return response["view"]["id"]


def register(app: AsyncApp, deps: Deps) -> None:
    core = deps.core

    async def account_modal(
        actor: Actor, op: str, account_id: int, meta: ModalContext
    ) -> dict[str, Any]:
        row = await core.accounts.get(actor, account_id)
        if row.archived:
            raise InvalidInput(f"{row.label} is archived; unarchive it first.")
        if op == "tags":
            view = tags_modal(meta, row)
        elif op == "profile":
            view = change_profile_modal(
                meta, row, await core.accounts.profiles_for(actor, account_id)
            )
        else:
            trackers = await core.trackers.list_trackers(actor)
            defaults = await core.trackers.integration_defaults(actor)
            override = await core.trackers.override_of(actor, account_id)
            view = tracker_settings_modal(
                meta,
                row,
                trackers,
                defaults.get(row.provider),
                override_tracker_id=override.tracker_id if override else None,
                override_template=override.tracking_template if override else None,
            )
        return view

    @app.action(Action.ACCOUNTS_PAGE, middleware=[requires(Permission.VIEW)])
    @reported
    async def page(ack: Any, body: dict, context: Any, respond: AsyncRespond) -> None:
        await ack()
        state = ListState.decode(body["actions"][0].get("value"))
        await respond(**await render_accounts(deps, context["actor"], state), replace_original=True)

    @app.action(Action.ACCOUNT_MENU, middleware=[requires(Permission.MANAGE)])
    @reported
    async def row_menu(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor: Actor = context["actor"]
        op, account_id = parse_row_op(picked(body))
        meta = ModalContext(response_url=body.get("response_url"), account_ids=(account_id,))
        if op in _SIMPLE_OPS:
            action = _SIMPLE_OPS[op]
            item = (await core.bulk.apply(actor, action, [account_id])).single()
            done = f":white_check_mark: {esc(item.label)} {_DONE_WORDS[action]}."
            state = list_state_of(body.get("message"))
            if state is None:
                await tell(body, client, respond, done)
                return
            payload = await render_accounts(deps, actor, state)
            payload["blocks"].insert(0, context_block(done))
            await respond(**payload, replace_original=True)
            return
        view_id = await open_loading(client, body, "Ad account")
        try:
            view = await account_modal(actor, op, account_id, meta)
        except DomainError as exc:
            view = notice_view("Ad account", f":warning: {esc(exc.message)}")
        await client.views_update(view_id=view_id, view=view)

    @app.view(Modal.TAGS, middleware=[requires(Permission.MANAGE)])
    @reported
    async def save_tags(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        added_text = text_value(view, Field.TAGS)
        try:
            added = clean_tags(split_tags(added_text), field=Field.TAGS) if added_text else []
        except DomainError as exc:
            await ack(response_action="errors", errors={Field.TAGS: exc.message})
            return
        await ack()
        actor: Actor = context["actor"]
        (account_id,) = meta.account_ids
        row = await core.accounts.get(actor, account_id)
        kept_keys = set(selected_many(view, Field.KEEP_TAGS))
        removed = [t.name for i, t in enumerate(row.tags) if f"t{i}" not in kept_keys]
        if removed:
            await core.bulk.remove_tags(actor, [account_id], removed)
        if added:
            await core.bulk.add_tags(actor, [account_id], added)
        row = await core.accounts.get(actor, account_id)
        names = ", ".join(t.name for t in row.tags) or "none"
        await tell_submitter(
            body, client, meta, notice(f":label: Tags of {esc(row.label)}: {esc(names)}")
        )

    @app.view(Modal.CHANGE_PROFILE, middleware=[requires(Permission.MANAGE)])
    @reported
    async def save_profile(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        profile_id = row_id(selected(view, Field.PROFILE) or "")
        if profile_id is None:
            await ack(response_action="errors", errors={Field.PROFILE: "Choose a profile."})
            return
        await ack()
        item = (
            await core.bulk.change_profile(context["actor"], meta.account_ids, profile_id)
        ).single()
        await tell_submitter(
            body,
            client,
            meta,
            notice(f":white_check_mark: {esc(item.label)} now uses the chosen profile."),
        )

    @app.view(Modal.TRACKER_SETTINGS, middleware=[requires(Permission.MANAGE)])
    @reported
    async def save_tracker(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        choice = selected(view, Field.TRACKER) or "default"
        template_text = text_value(view, Field.TEMPLATE)
        try:
            template = (
                clean_template(template_text, field=Field.TEMPLATE) if template_text else None
            )
        except DomainError as exc:
            await ack(response_action="errors", errors={Field.TEMPLATE: exc.message})
            return
        tracker_id = row_id(choice[1:]) if choice.startswith("t") else None
        paused = "paused" in selected_many(view, Field.PAUSED)
        await ack()
        result = await core.bulk.set_tracker(
            context["actor"],
            meta.account_ids,
            TrackerSettings(tracker_id=tracker_id, paused=paused, template=template),
        )
        item = result.items[0]
        text = (
            f":white_check_mark: Tracker settings of {esc(item.label)} saved."
            if item.done
            else f"{esc(item.label)}: {esc(item.reason or '')}"
        )
        await tell_submitter(body, client, meta, notice(text))

    @app.action(Action.BULK_OPEN, middleware=[requires(Permission.MANAGE)])
    @reported
    async def open_bulk(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        actor: Actor = context["actor"]
        view_id = await open_loading(client, body, "Bulk actions")
        state = replace(ListState.decode(body["actions"][0].get("value")), page=1)
        total = (await core.accounts.list_accounts(actor, account_filter(state), page_size=1)).total
        meta = ModalContext(response_url=body.get("response_url"), list_state=state.encode())
        view = bulk_modal(
            meta,
            matching=total if total <= MAX_BULK else 0,
            scope=describe_filter(state),
            profiles=await core.profiles.list_profiles(actor),
            trackers=await core.trackers.list_trackers(actor),
        )
        await client.views_update(view_id=view_id, view=view)

    @app.view(Modal.BULK, middleware=[requires(Permission.MANAGE)])
    @reported
    async def run_bulk(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        try:
            request = parse_bulk(view)
        except DomainError as exc:
            await ack(response_action="errors", errors={exc.field or Field.ACTION: exc.message})
            return
        await ack(response_action="update", view=progress_view("Bulk actions", "Working…"))
        actor: Actor = context["actor"]
        try:
            if request["scope"] == "all":
                state = ListState.decode(meta.list_state)
                ids = await core.accounts.matching_ids(actor, account_filter(state), limit=MAX_BULK)
            else:
                ids = request["ids"]
            result = await core.bulk.apply(actor, request["action"], ids, **request["params"])
            result_view = bulk_result_view("Bulk actions", result)
        except DomainError as exc:
            result_view = notice_view("Bulk actions", f":warning: {esc(exc.message)}")
            result = None
        await client.views_update(view_id=view["id"], view=result_view)
        if result is not None:
            await tell_submitter(body, client, meta, notice(_bulk_summary(result)))

    @app.options(Options.ACCOUNTS, middleware=[requires(Permission.VIEW)])
    @reported
    async def account_options(ack: Any, body: dict, context: Any) -> None:
        include_archived = False
        private = ((body.get("view") or {}).get("private_metadata")) or ""
        try:
            state = ListState.decode(ModalContext.decode(private).list_state)
            include_archived = state.status != "active"
        except StaleMetadata:
            pass
        found = await core.accounts.options(
            context["actor"],
            str(body.get("value") or "")[:100],
            include_archived=include_archived,
            limit=MAX_OPTIONS,
        )
        await ack(
            options=[
                option(o.label + (" (archived)" if o.archived else ""), str(o.id)) for o in found
            ]
        )


def parse_bulk(view: dict[str, Any]) -> dict[str, Any]:
    """Everything checkable without the database, so the form can show inline errors."""
    action = selected(view, Field.ACTION)
    if action is None:
        raise InvalidInput("Choose an action.", field=Field.ACTION)
    scope = selected(view, Field.ACCOUNTS + "_scope") or "chosen"
    ids = int_values(selected_many(view, Field.ACCOUNTS, Options.ACCOUNTS))
    if scope == "chosen" and not ids:
        raise InvalidInput(
            "Choose at least one account, or apply to all accounts in the list.",
            field=Field.ACCOUNTS,
        )
    params: dict[str, Any] = {}
    mapped: BulkAction
    if action in ("add_tags", "remove_tags"):
        params["tags"] = clean_tags(split_tags(text_value(view, Field.TAGS)), field=Field.TAGS)
        mapped = BulkAction(action)
    elif action == "change_profile":
        profile_id = row_id(selected(view, Field.PROFILE) or "")
        if profile_id is None:
            raise InvalidInput("Choose the profile to move the accounts to.", field=Field.PROFILE)
        params["profile_id"] = profile_id
        mapped = BulkAction.CHANGE_PROFILE
    elif action in ("link_tracker", "default_tracker", "pause_tracker", "resume_tracker"):
        mapped = BulkAction.SET_TRACKER
        if action == "link_tracker":
            tracker_id = row_id(selected(view, Field.TRACKER) or "")
            if tracker_id is None:
                raise InvalidInput("Choose the tracker to link.", field=Field.TRACKER)
            params["tracker"] = TrackerSettings(tracker_id=tracker_id)
        elif action == "default_tracker":
            params["tracker"] = TrackerSettings(tracker_id=None)
        else:
            params["tracker"] = TrackerSettings(paused=action == "pause_tracker", tracker_id=KEEP)
    elif action in ("enable", "disable", "archive", "unarchive"):
        mapped = BulkAction(action)
    else:
        raise InvalidInput("Choose an action.", field=Field.ACTION)
    return {"action": mapped, "scope": scope, "ids": ids, "params": params}


def _bulk_summary(result: BulkResult) -> str:
    action = result.action.value.replace("_", " ")
    return (
        f":white_check_mark: Bulk {action}: {len(result.done)} done, {len(result.skipped)} skipped."
    )
