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
from bot.services import Services
from bot.tags import clean_tags, split_tags
from bot.text import row_id
from bot.trackers import KEEP, TrackerSettings, clean_template
from handlers.audit import audit_payload
from handlers.forms import (
    inline_errors,
    int_values,
    offered_values,
    picked,
    selected,
    selected_many,
    text_value,
)
from handlers.ids import Action, Field, Modal, Options
from handlers.list_filters import account_filter
from handlers.lists import recall_list, render_accounts
from handlers.loading import LoadingModal, filling, loading_modal
from handlers.metadata import AuditCursor, ListState, ModalContext, StaleMetadata, parse_row_op
from handlers.replies import requires, tell
from handlers.transport.listener import listener
from handlers.views.accounts import describe_filter
from handlers.views.blocks import context as context_block
from handlers.views.blocks import esc, option
from handlers.views.modals import (
    bulk_modal,
    bulk_result_view,
    change_profile_modal,
    progress_view,
    result_mark,
    tag_option_value,
    tags_modal,
)
from handlers.views.trackers import tracker_settings_modal

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


def register(app: AsyncApp, services: Services) -> None:
    core = services

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
                replace(meta, provider=row.provider),
                row,
                trackers,
                defaults.get(row.provider),
                override_tracker_id=override.tracker_id if override else None,
                override_template=override.tracking_template if override else None,
            )
        return view

    @app.action(Action.ACCOUNTS_PREV, middleware=[requires(Permission.VIEW)])
    @app.action(Action.ACCOUNTS_NEXT, middleware=[requires(Permission.VIEW)])
    @listener
    async def page(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        state = ListState.decode(body["actions"][0].get("value"))
        payload = await render_accounts(services, context["actor"], state)
        await tell(body, client, respond, payload["text"], payload["blocks"], replace=True)

    @app.action(Action.ACCOUNT_MENU, middleware=[requires(Permission.MANAGE)])
    @listener
    async def row_menu(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor: Actor = context["actor"]
        row = parse_row_op(picked(body))
        if row.op in _SIMPLE_OPS:
            action = _SIMPLE_OPS[row.op]
            item = (await core.bulk.apply(actor, action, [row.account_id])).single()
            done = f":white_check_mark: {esc(item.label)} {_DONE_WORDS[action]}."
            await redraw_list(body, client, respond, actor, row.list_key, done)
            return
        if row.op == "history":
            label = (await core.accounts.get(actor, row.account_id)).label
            cursor = AuditCursor(
                f"Changes to {label}"[:150], targets=(f"account:{row.account_id}",)
            )
            shown = await audit_payload(services, actor, cursor)
            await tell(body, client, respond, shown["text"], shown["blocks"])
            return
        meta = ModalContext(
            response_url=body.get("response_url"),
            account_ids=(row.account_id,),
            list_key=row.list_key,
        )
        async with loading_modal(client, body, "Ad account") as modal:
            await modal.show(await account_modal(actor, row.op, row.account_id, meta))

    async def redraw_list(
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond | None,
        actor: Actor,
        list_key: str | None,
        done: str,
    ) -> None:
        """Redraw the list a change was made from, on the page it was on, with what was done on
        top; without a list to redraw, just say what was done."""
        state = await recall_list(services, list_key)
        if state is None:
            await tell(body, client, respond, done)
            return
        payload = await render_accounts(services, actor, state)
        payload["blocks"].insert(0, context_block(done))
        await tell(body, client, respond, payload["text"], payload["blocks"], replace=True)

    async def redraw_from(
        body: dict[str, Any], client: AsyncWebClient, meta: ModalContext, actor: Actor, done: str
    ) -> None:
        """After a modal opened from a list: redraw that list through the response_url it lent
        the modal, or say what was done by DM."""
        respond = AsyncRespond(response_url=meta.response_url) if meta.response_url else None
        await redraw_list(body, client, respond, actor, meta.list_key, done)

    @app.view(Modal.TAGS, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_tags(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        added_text = text_value(view, Field.TAGS)
        try:
            added = clean_tags(split_tags(added_text), field=Field.TAGS) if added_text else []
        except DomainError as exc:
            await ack(
                response_action="errors", errors=inline_errors(view, {Field.TAGS: exc.message})
            )
            return
        await ack()
        actor: Actor = context["actor"]
        (account_id,) = meta.account_ids
        # Only the tags the form offered can have been taken off: a tag added meanwhile (by a
        # sync, or by someone else) was not in it and stays.
        offered = set(offered_values(view, Field.KEEP_TAGS))
        dropped = offered - set(selected_many(view, Field.KEEP_TAGS))
        row = await core.accounts.get(actor, account_id)
        removed = [t.name for t in row.tags if tag_option_value(t) in dropped]
        if removed:
            await core.bulk.remove_tags(actor, [account_id], removed)
        if added:
            await core.bulk.add_tags(actor, [account_id], added)
        row = await core.accounts.get(actor, account_id)
        names = ", ".join(t.name for t in row.tags) or "none"
        await redraw_from(
            body, client, meta, actor, f":label: Tags of {esc(row.label)}: {esc(names)}"
        )

    @app.view(Modal.CHANGE_PROFILE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_profile(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        profile_id = row_id(selected(view, Field.PROFILE) or "")
        if profile_id is None:
            await ack(
                response_action="errors",
                errors=inline_errors(view, {Field.PROFILE: "Choose a profile."}),
            )
            return
        await ack()
        actor: Actor = context["actor"]
        item = (await core.bulk.change_profile(actor, meta.account_ids, profile_id)).single()
        done = (
            f":white_check_mark: {esc(item.label)} now uses the chosen profile."
            if item.done
            else f":warning: {esc(item.label)}: {esc(item.reason or '')}"
        )
        await redraw_from(body, client, meta, actor, done)

    @app.view(Modal.TRACKER_SETTINGS, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_tracker(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        choice = selected(view, Field.TRACKER) or "default"
        template_text = text_value(view, Field.TEMPLATE)
        # The account's network: only its macros are filled in on this account's links.
        providers = (meta.provider,) if meta.provider else tuple(core.catalog)
        try:
            template = (
                clean_template(template_text, providers, field=Field.TEMPLATE)
                if template_text
                else None
            )
        except DomainError as exc:
            await ack(
                response_action="errors", errors=inline_errors(view, {Field.TEMPLATE: exc.message})
            )
            return
        tracker_id = row_id(choice[1:]) if choice.startswith("t") else None
        paused = "paused" in selected_many(view, Field.PAUSED)
        await ack()
        actor: Actor = context["actor"]
        result = await core.bulk.set_tracker(
            actor,
            meta.account_ids,
            TrackerSettings(tracker_id=tracker_id, paused=paused, template=template),
        )
        item = result.items[0]
        done = (
            f":white_check_mark: Tracker settings of {esc(item.label)} saved."
            if item.done
            else f":warning: {esc(item.label)}: {esc(item.reason or '')}"
        )
        await redraw_from(body, client, meta, actor, done)

    @app.action(Action.BULK_OPEN, middleware=[requires(Permission.MANAGE)])
    @listener
    async def open_bulk(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        actor: Actor = context["actor"]
        async with loading_modal(client, body, "Bulk actions") as modal:
            shown = ListState.decode(body["actions"][0].get("value"))
            state = replace(shown, page=1)
            flt = account_filter(state)
            total = (await core.accounts.list_accounts(actor, flt, page_size=1)).total
            meta = ModalContext(
                response_url=body.get("response_url"),
                list_key=await core.list_views.remember(shown.as_state()),
                include_archived=state.status != "active",
            )
            view = bulk_modal(
                meta,
                matching=total if total <= MAX_BULK else 0,
                scope=describe_filter(state),
                profiles=await core.profiles.list_profiles(actor),
                trackers=await core.trackers.list_trackers(actor),
            )
            await modal.show(view)

    @app.view(Modal.BULK, middleware=[requires(Permission.MANAGE)])
    @listener
    async def run_bulk(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        try:
            request = parse_bulk(view)
        except DomainError as exc:
            errors = inline_errors(view, {exc.field or Field.ACTION: exc.message})
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=progress_view("Bulk actions", "Working…"))
        actor: Actor = context["actor"]
        async with filling(LoadingModal(client, view["id"], "Bulk actions")) as modal:
            if request["scope"] == "all":
                state = await recall_list(services, meta.list_key)
                if state is None:
                    raise StaleMetadata()
                flt = account_filter(replace(state, page=1))
                ids = await core.accounts.matching_ids(actor, flt, limit=MAX_BULK)
            else:
                ids = request["ids"]
            result = await core.bulk.apply(actor, request["action"], ids, **request["params"])
            await modal.show(bulk_result_view("Bulk actions", result))
            await redraw_from(body, client, meta, actor, bulk_summary(result))

    @app.options(Options.ACCOUNTS, middleware=[requires(Permission.VIEW)])
    @listener
    async def account_options(ack: Any, body: dict, context: Any) -> None:
        private = ((body.get("view") or {}).get("private_metadata")) or ""
        try:
            include_archived = ModalContext.decode(private).include_archived
        except StaleMetadata:
            include_archived = False
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


def bulk_summary(result: BulkResult) -> str:
    action = result.action.value.replace("_", " ")
    done, skipped = len(result.done), len(result.skipped)
    notes = "".join(f" {esc(n)}" for n in result.notes)
    return f"{result_mark(result)} Bulk {action}: {done} done, {skipped} skipped.{notes}"
