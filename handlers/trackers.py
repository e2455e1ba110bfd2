"""Listeners for tracker connections and integration defaults."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.permissions import Actor, Permission
from bot.text import clean_name, row_id
from bot.trackers import NAME_MAX_LEN, clean_kind, clean_template
from handlers.deps import Deps
from handlers.forms import picked, selected, tell_submitter, text_value
from handlers.ids import Action, Field, Modal
from handlers.loading import loading_modal, open_modal
from handlers.metadata import ModalContext, StaleMetadata, TrackerRef
from handlers.replies import reported, requires, tell
from handlers.views.blocks import esc, notice
from handlers.views.modals import tracker_connection_modal
from handlers.views.trackers import trackers_message

DEFAULT_PICKER = re.compile(rf"^{re.escape(Action.TRACKER_DEFAULT)}\.[a-z0-9_]+$")


def register(app: AsyncApp, deps: Deps) -> None:
    core = deps.core

    @app.action(Action.TRACKER_ADD, middleware=[requires(Permission.MANAGE)])
    @reported
    async def add(ack: Any, body: dict, client: AsyncWebClient) -> None:
        await ack()
        meta = ModalContext(response_url=body.get("response_url"))
        await open_modal(client, body["trigger_id"], tracker_connection_modal(meta, None))

    @app.action(Action.TRACKER_EDIT, middleware=[requires(Permission.MANAGE)])
    @reported
    async def edit(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        async with loading_modal(client, body, "Edit tracker") as modal:
            tracker_id = TrackerRef.decode(body["actions"][0].get("value")).tracker_id
            trackers = await core.trackers.list_trackers(context["actor"])
            found = [t for t in trackers if t.id == tracker_id]
            if not found:
                raise StaleMetadata()
            meta = ModalContext(response_url=body.get("response_url"), tracker_id=tracker_id)
            await modal.show(tracker_connection_modal(meta, found[0]))

    @app.view(Modal.TRACKER_CONNECTION, middleware=[requires(Permission.MANAGE)])
    @reported
    async def save(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        errors = {}
        fields: dict[str, str] = {}
        for field, check in (
            (Field.NAME, lambda v: clean_name(v, what="tracker name", max_len=NAME_MAX_LEN)),
            (Field.KIND, clean_kind),
            (Field.TEMPLATE, clean_template),
        ):
            raw = selected(view, field) if field == Field.KIND else text_value(view, field)
            try:
                fields[field] = check(raw or "")
            except DomainError as exc:
                errors[field] = exc.message
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        actor: Actor = context["actor"]
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

    @app.action(DEFAULT_PICKER, middleware=[requires(Permission.MANAGE)])
    @reported
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
        trackers = await core.trackers.list_trackers(actor)
        defaults = await core.trackers.integration_defaults(actor)
        shown = trackers_message(trackers, defaults, can_manage=True)
        await tell(body, client, respond, shown["text"], shown["blocks"], replace=True)
