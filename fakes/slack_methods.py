"""The Web API methods the fake Slack answers, with the errors real Slack gives.

Each method's errors come from its reference page, https://docs.slack.dev/reference/methods/<name>
(abbreviated `METHOD/<name>` below). A surface that breaks a Block Kit rule is refused the way
Slack refuses it: `invalid_blocks` for messages, `invalid_arguments` for views, each with the
problems listed in `response_metadata.messages`, as Slack lists them (research/slack.md §7 and
the samples in tests/data/slack/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakes import block_kit

if TYPE_CHECKING:
    from fakes.slack import Channel, FakeSlack, SlackUser

Result = dict[str, Any]

# https://docs.slack.dev/interactivity/handling-user-interaction: a response_url can be used "up
# to 5 times within 30 minutes".
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
# https://docs.slack.dev/surfaces/modals: a trigger_id "expires in 3 seconds" and is single-use.
TRIGGER_SECONDS = 3.0


def _refusal(error: str, problems: list[block_kit.Problem]) -> Result:
    """chat.* list the problems twice, in `errors` and in `response_metadata.messages`
    (tests/data/slack/web_api.chat_postMessage.invalid_blocks.json); views.* only in the
    latter (web_api.views_open.invalid_arguments.json)."""
    messages = {"response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]}}
    if error == "invalid_arguments":
        return {"error": error, **messages}
    return {"error": error, "errors": [str(p) for p in problems], **messages}


class SlackMethods:
    """Mixed into FakeSlack; `self` is the fake."""

    def _m_auth_test(self: FakeSlack, _args: Result) -> Result:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "team_id": self.team_id,
            "user": "adops",
            "user_id": self.bot_user_id,
            "bot_id": "B0BOT",
        }

    def _m_apps_connections_open(self: FakeSlack, _args: Result) -> Result:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    def _m_users_info(self: FakeSlack, args: Result) -> Result:
        """METHOD/users.info: `user_not_found`. `team_id` is the user's own workspace, so for
        someone reached through Slack Connect it is another organisation's, and `is_admin` and
        `is_owner` are about that workspace (METHOD/users.info: the user object differs "for a
        user connected through Slack Connect"; @slack/web-api's UsersInfoResponse type)."""
        user: SlackUser | None = self.users.get(args.get("user", ""))
        if user is None:
            return {"error": "user_not_found"}
        return {
            "user": {
                "id": user.id,
                "team_id": user.team_id,
                "name": user.name,
                "deleted": user.deleted,
                "real_name": user.name.title(),
                "tz": user.tz,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_restricted": user.is_restricted,
                "is_ultra_restricted": user.is_ultra_restricted,
                "is_bot": user.is_bot,
                "profile": {"display_name": user.name, "real_name": user.name.title()},
            }
        }

    def _m_conversations_open(self: FakeSlack, args: Result) -> Result:
        """METHOD/conversations.open: `users_list_not_supplied`, `user_not_found`, and
        `user_disabled` for a deactivated account."""
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return {"error": "users_list_not_supplied"}
        user = self.users.get(users[0])
        if user is None:
            return {"error": "user_not_found"}
        if user.deleted:
            return {"error": "user_disabled"}
        channel_id = "D" + users[0].lstrip("UW")
        if channel_id not in self.channels:
            self.add_channel(channel_id, f"dm-{user.name}", private=True, bot_member=True)
        return {"channel": {"id": channel_id}}

    def _postable(self: FakeSlack, channel_id: Any) -> Result | None:
        """METHOD/chat.postMessage: `channel_not_found` (unknown, or private and the bot not
        in it: Slack does not reveal private channels), `is_archived`; public channels need no
        membership with `chat:write.public`."""
        channel: Channel | None = self.channels.get(str(channel_id or ""))
        if channel is None or (channel.private and not channel.bot_member):
            return {"error": "channel_not_found"}
        if channel.archived:
            return {"error": "is_archived"}
        return None

    def _message_refused(self: FakeSlack, method: str, args: Result) -> Result | None:
        if not args.get("text") and not args.get("blocks"):
            return {"error": "no_text"}
        problems, warnings = block_kit.message_problems(args, method=method)
        self.refuse(method, warnings, refused=False)
        if not problems:
            return None
        self.refuse(method, problems)
        if any(p.rule == "message.text_length" for p in problems):
            return {"error": "msg_too_long"}
        if any(p.rule == "message.blocks_text" for p in problems):
            return {"error": "msg_blocks_too_long"}
        return _refusal("invalid_blocks", problems)

    def _m_chat_postMessage(self: FakeSlack, args: Result) -> Result:
        channel = args.get("channel")
        refused = self._postable(channel) or self._message_refused("chat.postMessage", args)
        if refused:
            return refused
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": "B0BOT",
            "text": args.get("text"),
            "blocks": args.get("blocks"),
            "thread_ts": args.get("thread_ts"),
            "ts": ts,
        }
        self.messages[(str(channel), ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self: FakeSlack, args: Result) -> Result:
        if not args.get("user"):
            return {"error": "user_not_found"}
        refused = self._postable(args.get("channel")) or self._message_refused(
            "chat.postEphemeral", args
        )
        return refused or {"message_ts": self._next_ts()}

    def _m_chat_update(self: FakeSlack, args: Result) -> Result:
        """METHOD/chat.update: `message_not_found`, `cant_update_message` (not the bot's),
        `msg_too_long` over 4 000 characters; ephemerals cannot be updated this way."""
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self.messages:
            return {"error": "message_not_found"}
        if self.messages[key].get("user") != self.bot_user_id:
            return {"error": "cant_update_message"}
        refused = self._message_refused("chat.update", args)
        if refused:
            return refused
        self.messages[key] = {
            **self.messages[key],
            "text": args.get("text"),
            "blocks": args.get("blocks"),
        }
        return {"channel": key[0], "ts": key[1]}

    def _trigger_refused(self: FakeSlack, trigger: Any) -> Result | None:
        """METHOD/views.open: `invalid_trigger_id`, `exchanged_trigger_id` (used once already),
        `expired_trigger_id` (older than 3 s)."""
        if not isinstance(trigger, str) or trigger not in self._triggers:
            return {"error": "invalid_trigger_id"}
        issued = self._triggers[trigger]
        if issued is None:
            return {"error": "exchanged_trigger_id"}
        self._triggers[trigger] = None
        if self.now() - issued > TRIGGER_SECONDS:
            return {"error": "expired_trigger_id"}
        return None

    def _view_refused(self: FakeSlack, method: str, view: Any) -> Result | None:
        problems = block_kit.view_problems(view)
        if not problems:
            return None
        self.refuse(method, problems)
        if any(p.rule == "view.size" for p in problems):
            return {"error": "view_too_large"}
        return _refusal("invalid_arguments", problems)

    def _m_views_open(self: FakeSlack, args: Result) -> Result:
        refused = self._trigger_refused(args.get("trigger_id")) or self._view_refused(
            "views.open", args.get("view")
        )
        return refused or self._store_view(args["view"])

    def _m_views_push(self: FakeSlack, args: Result) -> Result:
        return self._m_views_open(args)

    def _m_views_update(self: FakeSlack, args: Result) -> Result:
        """METHOD/views.update: `not_found` for a view that is not open (closed, or never
        opened), by view_id or external_id; `hash_conflict` when the view changed since."""
        view_id = args.get("view_id") or next(
            (i for i, v in self.views.items() if v.get("external_id") == args.get("external_id")),
            None,
        )
        if view_id not in self.open_views:
            return {"error": "not_found"}
        # METHOD/views.update: `hash` "protects against possible race conditions"; an update
        # with a hash the view no longer has is refused with `hash_conflict`.
        if args.get("hash") and args["hash"] != self.views[view_id].get("hash"):
            return {"error": "hash_conflict"}
        refused = self._view_refused("views.update", args.get("view"))
        return refused or self._store_view(args["view"], view_id)
