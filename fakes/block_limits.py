"""Slack's Block Kit limits, each with where it is stated (see `fakes.block_kit` for the
abbreviations: BK/ for the Block Kit reference pages, MODALS, SDK, RESEARCH)."""

from __future__ import annotations

MESSAGE_BLOCKS = 50  # BK/blocks ("up to 50 blocks in each message")
VIEW_BLOCKS = 100  # BK/blocks ("up to 100 blocks in modals or Home tabs"); SDK View blocks_max
ID_MAX = 255  # block_id and action_id: BK/blocks/* and BK/block-elements/* field tables
SECTION_TEXT = 3000  # BK/blocks/section-block: text "minimum 1 and maximum 3000 characters"
SECTION_FIELDS = 10  # BK/blocks/section-block: fields "maximum number of items is 10"
FIELD_TEXT = 2000  # BK/blocks/section-block: "maximum length for the text in each item is 2000"
HEADER_TEXT = 150  # BK/blocks/header-block: "maximum length for the text in this field is 150"
CONTEXT_ELEMENTS = 10  # BK/blocks/context-block: "maximum number of items is 10"
ACTIONS_ELEMENTS = 25  # BK/blocks/actions-block: "a maximum of 25 elements"
INPUT_LABEL = 2000  # BK/blocks/input-block: label "maximum length ... is 2000"
INPUT_HINT = 2000  # BK/blocks/input-block: hint "maximum length ... is 2000"
TEXT_OBJECT = 3000  # BK/composition-objects/text-object: text "maximum ... 3000" (sections)
BUTTON_TEXT = 75  # BK/block-elements/button-element: text "maximum length ... 75"
BUTTON_VALUE = 2000  # BK/block-elements/button-element: value "maximum length ... 2000"
BUTTON_URL = 3000  # BK/block-elements/button-element: url "maximum length ... 3000"
OPTION_TEXT = 75  # BK/composition-objects/option-object: text "maximum length ... 75"
OPTION_VALUE = 150  # BK/composition-objects/option-object: value "maximum length ... 150"
OPTION_DESCRIPTION = 75  # BK/composition-objects/option-object: description "maximum ... 75"
SELECT_OPTIONS = 100  # BK/block-elements/select-menu-element: options "maximum number ... 100"
# BK/block-elements/overflow-menu-element says "up to five"; slack_sdk's OverflowMenuElement
# allows 1, Slack's older reference page 2. UNCONFIRMED which Slack enforces: kept at the
# stricter 2 (slack-blockkit-rules.md §8.4).
OVERFLOW_OPTIONS = (2, 5)
CHOICE_OPTIONS = 10  # BK/block-elements/radio-button-group-element, checkboxes-element: "10"
PLACEHOLDER = 150  # BK/block-elements/select-menu-element, plain-text-input: placeholder "150"
TEXT_INPUT_MAX = (1, 3000)  # BK/block-elements/plain-text-input-element: max_length
TEXT_INPUT_MIN = (0, 3000)  # same page: min_length "maximum value of 3000"
CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}  # BK/composition-objects/confirm
VIEW_TITLE = 24  # MODALS: title "maximum length ... 24"; SDK View title_max_length
VIEW_BUTTON = 24  # MODALS: submit / close "maximum length ... 24"
PRIVATE_METADATA = 3000  # MODALS: private_metadata "maximum length ... 3000"
CALLBACK_ID = 255  # MODALS: callback_id "maximum length ... 255"
# https://docs.slack.dev/reference/methods/chat.postMessage: text over 40 000 characters is
# truncated; the fake refuses it (msg_too_long) instead, so a bot relying on the cut fails here.
MESSAGE_TEXT = 40_000
UPDATE_TEXT = 4000  # https://docs.slack.dev/reference/methods/chat.update: msg_too_long
BUTTON_STYLES = ("primary", "danger")  # BK/block-elements/button-element: style

# Where each element type may stand. BK/blocks/actions-block, section-block (accessory) and
# input-block list them; an element in the wrong block is refused by Slack (invalid_blocks).
SELECTS = (
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
)
MULTI_SELECTS = tuple("multi_" + s for s in SELECTS)
PICKERS = ("checkboxes", "datepicker", "datetimepicker", "radio_buttons", "timepicker")
ACTION_ELEMENTS = frozenset(("button", "overflow", *PICKERS, *SELECTS, *MULTI_SELECTS))
ACCESSORY_ELEMENTS = ACTION_ELEMENTS - {"datetimepicker"} | {"image"}
TEXT_INPUTS = ("plain_text_input", "email_text_input", "number_input", "url_text_input")
INPUT_ELEMENTS = frozenset((*TEXT_INPUTS, "rich_text_input", *PICKERS, *SELECTS, *MULTI_SELECTS))
MESSAGE_BLOCK_TYPES = frozenset(
    [
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    ]
)
# Input blocks were modal-only until 2021-04-20 and are allowed in messages since (Slack's
# changelog, slack-blockkit-rules.md); the bot sends none there.
VIEW_BLOCK_TYPES = MESSAGE_BLOCK_TYPES
# Not in any reference page: Slack refused messages whose blocks held about 13 200 characters
# of text in all with `msg_blocks_too_long` (bolt-js#2509, fewer with other block types than
# with markdown blocks). The fake refuses from 12 000 on, below every observed refusal.
MESSAGE_BLOCKS_TEXT = 12_000

# https://docs.slack.dev/reference/methods/views.open: `view_too_large` beyond 250 kB.
VIEW_BYTES = 250_000
# The fields each page lists (BK/blocks/<type>-block, MODALS "View object fields"); any other
# key is refused as `invalid additional property` (slackblocks#36, slack-go/slack#612).
VIEW_FIELDS = frozenset(
    [
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
    ]
)
BLOCK_FIELDS = {
    "section": frozenset({"type", "block_id", "text", "fields", "accessory", "expand"}),
    "header": frozenset({"type", "block_id", "text"}),
    "context": frozenset({"type", "block_id", "elements"}),
    "actions": frozenset({"type", "block_id", "elements"}),
    "divider": frozenset({"type", "block_id"}),
    "input": frozenset(
        {"type", "block_id", "label", "element", "dispatch_action", "hint", "optional"}
    ),
}
