"""Listeners for tracker connections and integration defaults, and for the tracker choice in an
account's tracker settings, which redraws that form for the tracker chosen."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.permissions import Actor, Permission
from bot.services import Services
from bot.text import clean_name, row_id
from bot.trackers import NAME_MAX_LEN, clean_kind, clean_template
from handlers.forms import picked, selected, tell_submitter, text_value
from handlers.ids import INPUT_ACTION, Action, Field, Modal
from handlers.loading import loading_modal, open_modal
from handlers.metadata import ModalContext, StaleMetadata, TrackerRef
from handlers.replies import requires, tell
from handlers.transport.listener import listener
from handlers.views.blocks import esc, notice
from handlers.views.trackers import (
    default_options,
    tracker_connection_modal,
    tracker_settings_modal,
    trackers_message,
)

log = logging.getLogger(__name__)

DEFAULT_PICKER = re.compile(rf"^{re.escape(Action.TRACKER_DEFAULT)}\.[a-z0-9_]+$")
TRACKER_PICKED = {"block_id": Field.TRACKER, "action_id": INPUT_ACTION}
"""The tracker select of an account's tracker settings (it dispatches on choice)."""


def register(app: AsyncApp, services: Services) -> None:
    core = services
    providers = tuple(core.catalog)

    async def redraw(
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        actor: Actor,
        done: str | None = None,
    ) -> None:
        trackers = await core.trackers.list_trackers(actor)
        defaults = await core.trackers.integration_defaults(actor)
        shown = trackers_message(trackers, defaults, can_manage=True, notice=done)
        await tell(body, client, respond, shown["text"], shown["blocks"], replace=True)

    @app.action(Action.TRACKER_ADD, middleware=[requires(Permission.MANAGE)])
    @listener
    async def add(ack: Any, body: dict, client: AsyncWebClient) -> None:
        await ack()
        meta = ModalContext(response_url=body.get("response_url"))
        view = tracker_connection_modal(meta, None, providers=providers)
        await open_modal(client, body["trigger_id"], view)

    @app.action(Action.TRACKER_EDIT, middleware=[requires(Permission.MANAGE)])
    @listener
    async def edit(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        async with loading_modal(client, body, "Edit tracker") as modal:
            tracker_id = TrackerRef.decode(body["actions"][0].get("value")).tracker_id
            trackers = await core.trackers.list_trackers(context["actor"])
            found = [t for t in trackers if t.id == tracker_id]
            if not found:
                raise StaleMetadata()
            meta = ModalContext(response_url=body.get("response_url"), tracker_id=tracker_id)
            await modal.show(tracker_connection_modal(meta, found[0], providers=providers))

    @app.view(Modal.TRACKER_CONNECTION, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        """Everything that can be checked before the form closes is: the fields, and (one
        quick read) whether another tracker has the name. `create`/`update` check the name
        again in their transaction; losing that race is reported like any refusal."""
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        actor: Actor = context["actor"]
        errors = {}
        fields: dict[str, str] = {}
        for field, check in (
            (Field.NAME, lambda v: clean_name(v, what="tracker name", max_len=NAME_MAX_LEN)),
            (Field.KIND, clean_kind),
            (Field.TEMPLATE, lambda v: clean_template(v, providers)),
        ):
            raw = selected(view, field) if field == Field.KIND else text_value(view, field)
            try:
                fields[field] = check(raw or "")
            except DomainError as exc:
                errors[field] = exc.message
        if Field.NAME not in errors:
            try:
                await core.trackers.check_name(
                    actor, fields[Field.NAME], tracker_id=meta.tracker_id
                )
            except DomainError as exc:
                errors[Field.NAME] = exc.message
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        name, kind, template = fields[Field.NAME], fields[Field.KIND], fields[Field.TEMPLATE]
        if meta.tracker_id:
            await core.trackers.update(
                actor, meta.tracker_id, name=name, kind=kind, template=template
            )
        else:
            await core.trackers.create(actor, name=name, kind=kind, template=template)
        await tell_submitter(
            body, client, meta, notice(f":white_check_mark: Tracker *{esc(name)}* saved.")
        )

    @app.action(Action.TRACKER_DELETE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def delete(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Confirmed in Slack's dialog first; a tracker still in use is refused with what to do
        (`TrackerService.delete`), and the list is redrawn without it otherwise."""
        await ack()
        actor: Actor = context["actor"]
        tracker_id = TrackerRef.decode(body["actions"][0].get("value")).tracker_id
        if tracker_id is None:
            raise StaleMetadata()
        name = await core.trackers.delete(actor, tracker_id)
        await redraw(body, client, respond, actor, f":wastebasket: Tracker *{esc(name)}* deleted.")

    @app.action(DEFAULT_PICKER, middleware=[requires(Permission.MANAGE)])
    @listener
    async def set_default(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        if (body["actions"][0] or {}).get("selected_option") is None:
            return  # the picker was cleared: a default is only ever changed by choosing one
        actor: Actor = context["actor"]
        provider, _, choice = picked(body).partition(":")
        tracker_id = row_id(choice)
        await core.trackers.set_integration_default(actor, provider, tracker_id)
        await redraw(body, client, respond, actor)

    @app.options(DEFAULT_PICKER, middleware=[requires(Permission.MANAGE)])
    @listener
    async def default_choices(ack: Any, body: dict, context: Any) -> None:
        provider = str(body.get("action_id", "")).rpartition(".")[2]
        typed = str(body.get("value") or "")[:100]
        matching = await core.trackers.list_trackers(context["actor"], matching=typed)
        await ack(options=default_options(provider, matching))

    @app.action(TRACKER_PICKED, middleware=[requires(Permission.MANAGE)])
    @listener
    async def tracker_picked(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        """Redraw the open tracker settings for the tracker just chosen, so that the template
        hint names that tracker's template. Block and action ids stay as they were, so Slack
        keeps what was typed; the view's `hash` makes Slack refuse the update if the form
        changed meanwhile (a quicker second choice), which then shows its own."""
        await ack()
        view = body.get("view") or {}
        meta = ModalContext.decode(view.get("private_metadata"))
        if len(meta.account_ids) != 1:
            raise StaleMetadata()
        actor: Actor = context["actor"]
        (account_id,) = meta.account_ids
        row = await core.accounts.get(actor, account_id)
        override = await core.trackers.override_of(actor, account_id)
        form = tracker_settings_modal(
            meta,
            row,
            await core.trackers.list_trackers(actor),
            (await core.trackers.integration_defaults(actor)).get(row.provider),
            override_tracker_id=override.tracker_id if override else None,
            override_template=override.tracking_template if override else None,
            chosen=picked(body),
        )
        try:
            await client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=form)
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":
                raise
            log.info("a newer tracker choice redrew the form first")
