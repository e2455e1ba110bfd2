"""Listeners for profile cards and alert buttons: manage accounts, sync, re-authenticate,
update credentials, rename, remove; and the MediaGo credentials form."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.permissions import Actor, Permission
from bot.profiles import NAME_MAX_LEN
from bot.services import Services
from bot.text import clean_name
from handlers.forms import int_values, selected_many, tell_submitter, text_value
from handlers.ids import Action, Field, Modal
from handlers.loading import LoadingModal, filling, loading_modal
from handlers.metadata import ModalContext, ProfileRef
from handlers.replies import requires, tell
from handlers.signin import connected_text, send_oauth_link
from handlers.transport.listener import listener
from handlers.views.blocks import esc, notice
from handlers.views.modals import (
    bulk_result_view,
    manage_accounts_modal,
    mediago_credentials_modal,
    notice_view,
    progress_view,
    rename_modal,
)


def register(app: AsyncApp, services: Services) -> None:
    core = services

    def ref(body: dict[str, Any]) -> ProfileRef:
        return ProfileRef.decode(body["actions"][0].get("value"))

    @app.action(Action.PROFILE_MANAGE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def manage(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        async with loading_modal(client, body, "Manage ad accounts") as modal:
            profile_id = ref(body).profile_id
            view = await core.profiles.manage_view(context["actor"], profile_id)
            meta = ModalContext(response_url=body.get("response_url"), profile_id=profile_id)
            await modal.show(manage_accounts_modal(meta, view))

    @app.view(Modal.MANAGE_ACCOUNTS, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_manage(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        ids = int_values(selected_many(view, Field.MOVE))
        if not ids:
            await ack(response_action="errors", errors={Field.MOVE: "Choose at least one account."})
            return
        await ack(response_action="update", view=progress_view("Manage ad accounts", "Moving…"))
        async with filling(LoadingModal(client, view["id"], "Manage ad accounts")) as modal:
            result = await core.bulk.change_profile(context["actor"], ids, meta.profile_id or 0)
            await modal.show(bulk_result_view("Manage ad accounts", result))

    @app.action(Action.PROFILE_SYNC, middleware=[requires(Permission.MANAGE)])
    @listener
    async def sync_now(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        card = await services.profiles.get(context["actor"], ref(body).profile_id)
        await services.sync_requests.request(
            context["actor"], [card.id], purpose="button", reply_url=body.get("response_url")
        )
        await tell(body, client, respond, f":hourglass_flowing_sand: Syncing *{esc(card.name)}*…")

    @app.action(Action.PROFILE_REAUTH, middleware=[requires(Permission.MANAGE)])
    @app.action(Action.ALERT_REAUTH, middleware=[requires(Permission.MANAGE)])
    @listener
    async def reauth(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor: Actor = context["actor"]
        card = await core.profiles.get(actor, ref(body).profile_id)

        async def send(payload: dict[str, Any]) -> None:
            await tell(body, client, respond, payload["text"], payload["blocks"])

        await send_oauth_link(
            services,
            actor,
            provider=card.provider,
            team_id=(body.get("team") or {}).get("id", ""),
            profile_id=card.id,
            tell=send,
        )

    @app.action(Action.PROFILE_CREDENTIALS, middleware=[requires(Permission.MANAGE)])
    @app.action(Action.ALERT_CREDENTIALS, middleware=[requires(Permission.MANAGE)])
    @listener
    async def credentials(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        async with loading_modal(client, body, "Update credentials") as modal:
            card = await core.profiles.get(context["actor"], ref(body).profile_id)
            meta = ModalContext(
                response_url=body.get("response_url"), profile_id=card.id, provider=card.provider
            )
            await modal.show(mediago_credentials_modal(meta, profile=card))

    @app.view(Modal.MEDIAGO_CREDENTIALS, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_credentials(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        """Checked with the provider after the ack: the form turns into "checking…", then into the
        result, or back into the form with the provider's refusal on top. The name and the
        credentials are saved together or not at all; the secret is never put back into the
        form."""
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        name, key, secret = (text_value(view, f) for f in (Field.NAME, Field.KEY, Field.SECRET))
        errors = {}
        if not (secret or key or meta.profile_id):
            errors[Field.SECRET] = "Enter the API token."
        if name:
            try:
                name = clean_name(name, what="profile name", max_len=NAME_MAX_LEN)
                await core.profiles.check_name(
                    context["actor"], "mediago", name, profile_id=meta.profile_id
                )
            except DomainError as exc:
                errors[Field.NAME] = exc.message
        elif meta.profile_id:
            errors[Field.NAME] = "The profile needs a name."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(
            response_action="update",
            view=progress_view("MediaGo", "Checking the credentials with MediaGo…"),
        )
        actor: Actor = context["actor"]
        async with filling(LoadingModal(client, view["id"], "MediaGo")) as modal:
            card = await core.profiles.get(actor, meta.profile_id) if meta.profile_id else None
            try:
                connected = await services.connector.connect_with_keys(
                    actor,
                    "mediago",
                    key=key or None,
                    secret=secret or None,
                    name=name or None,
                    profile_id=meta.profile_id,
                )
            except DomainError as exc:
                form = mediago_credentials_modal(
                    meta, profile=card, error=exc.message, name=name or None
                )
                await modal.show(form)
                return
            # The first sync's outcome reaches the submitter by DM, from the scheduler.
            await modal.show(notice_view("MediaGo", connected_text(connected)))

    @app.action(Action.PROFILE_RENAME, middleware=[requires(Permission.MANAGE)])
    @listener
    async def rename(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        await ack()
        async with loading_modal(client, body, "Rename profile") as modal:
            card = await core.profiles.get(context["actor"], ref(body).profile_id)
            meta = ModalContext(response_url=body.get("response_url"), profile_id=card.id)
            await modal.show(rename_modal(meta, card))

    @app.view(Modal.RENAME_PROFILE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def save_rename(ack: Any, body: dict, context: Any, client: AsyncWebClient) -> None:
        """A taken name is found with one quick read before the form closes, and shown under
        the field; `rename` checks again, and losing that race is reported as any refusal."""
        view = body["view"]
        meta = ModalContext.decode(view.get("private_metadata"))
        try:
            name = clean_name(
                text_value(view, Field.NAME), what="profile name", max_len=NAME_MAX_LEN
            )
            await core.profiles.check_rename(context["actor"], meta.profile_id or 0, name)
        except DomainError as exc:
            await ack(response_action="errors", errors={Field.NAME: exc.message})
            return
        await ack()
        card = await core.profiles.rename(context["actor"], meta.profile_id or 0, name)
        await tell_submitter(
            body, client, meta, notice(f":white_check_mark: Profile renamed to *{esc(card.name)}*.")
        )

    @app.action(Action.PROFILE_REMOVE, middleware=[requires(Permission.MANAGE)])
    @listener
    async def remove(
        ack: Any, body: dict, context: Any, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor: Actor = context["actor"]
        card = await core.profiles.get(actor, ref(body).profile_id)
        await core.profiles.remove(actor, card.id)
        await tell(body, client, respond, f":wastebasket: Profile *{esc(card.name)}* removed.")
