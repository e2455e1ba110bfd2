"""The element- and block-level rules of `fakes.block_kit`: text objects, options, elements and
blocks, each checked against the limits in `fakes.block_limits`, every problem collected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fakes.block_limits import (
    ACCESSORY_ELEMENTS,
    ACTION_ELEMENTS,
    ACTIONS_ELEMENTS,
    BLOCK_FIELDS,
    BUTTON_STYLES,
    BUTTON_TEXT,
    BUTTON_URL,
    BUTTON_VALUE,
    CHOICE_OPTIONS,
    CONFIRM,
    CONTEXT_ELEMENTS,
    FIELD_TEXT,
    HEADER_TEXT,
    ID_MAX,
    INPUT_ELEMENTS,
    INPUT_HINT,
    INPUT_LABEL,
    OPTION_DESCRIPTION,
    OPTION_TEXT,
    OPTION_VALUE,
    OVERFLOW_OPTIONS,
    PLACEHOLDER,
    SECTION_FIELDS,
    SECTION_TEXT,
    SELECT_OPTIONS,
    TEXT_INPUT_MAX,
    TEXT_INPUT_MIN,
    TEXT_OBJECT,
)


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where}: {self.detail}"


def _plain(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "plain_text"


class Check:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, rule: str, where: str, detail: str) -> None:
        self.problems.append(Problem(rule, where, detail))

    # ------------------------------------------------------------------ text objects

    def text(
        self, obj: Any, where: str, *, limit: int, plain_only: bool = False, required: bool = True
    ) -> None:
        """BK/composition-objects/text-object: `type` is plain_text or mrkdwn, `text` is a
        non-empty string; fields documented as plain_text refuse mrkdwn."""
        if obj is None:
            if required:
                self.fail("text.missing", where, "required text object is missing")
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail("text.type", where, "not a plain_text or mrkdwn text object")
            return
        if plain_only and not _plain(obj):
            self.fail("text.plain_only", where, "only plain_text is allowed here, not mrkdwn")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            # SDK TextObject: text is required; Slack refuses "" ("must be more than 0
            # characters", RESEARCH).
            self.fail("text.empty", where, "text must be a non-empty string")
        elif len(value) > limit:
            self.fail("text.length", where, f"{len(value)} characters (limit {limit})")
        if "emoji" in obj and not _plain(obj):
            # UNCONFIRMED what Slack answers (slack-blockkit-rules.md §8.7; the text-object page
            # lists `emoji` for plain_text only): refused, as an additional property would be.
            self.fail("text.emoji", where, "`emoji` is only for plain_text")

    # ---------------------------------------------------------------------- options

    def option(
        self, opt: Any, where: str, *, plain_only: bool, url_allowed: bool = False
    ) -> str | None:
        """BK/composition-objects/option-object. Returns the option's value."""
        if not isinstance(opt, dict):
            self.fail("option.type", where, "not an option object")
            return None
        self.text(opt.get("text"), f"{where}.text", limit=OPTION_TEXT, plain_only=plain_only)
        value = opt.get("value")
        if not isinstance(value, str) or not value:
            self.fail("option.value", where, "value must be a non-empty string")
            value = None
        elif len(value) > OPTION_VALUE:
            self.fail("option.value_length", where, f"value of {len(value)} (limit 150)")
        if "url" in opt and not url_allowed:
            # BK/composition-objects/option-object: `url` "only available in overflow menus";
            # a select option with one is refused (slack-go/slack#612).
            self.fail("option.url", where, "only overflow options may carry a url")
        if "description" in opt:
            self.text(
                opt["description"],
                f"{where}.description",
                limit=OPTION_DESCRIPTION,
                plain_only=plain_only,
            )
        return value

    def options(
        self,
        element: dict[str, Any],
        where: str,
        *,
        bounds: tuple[int, int],
        plain_only: bool,
        groups_allowed: bool = False,
    ) -> list[dict[str, Any]]:
        options = element.get("options")
        groups = element.get("option_groups") if groups_allowed else None
        if options is None and groups is None:
            self.fail("options.missing", where, "options are required")
            return []
        if options is not None and groups is not None:
            # BK/block-elements/select-menu-element: "If option_groups is specified, this field
            # should not be."
            self.fail("options.both", where, "options and option_groups are mutually exclusive")
        flat: list[dict[str, Any]] = []
        if isinstance(groups, list):
            if not 1 <= len(groups) <= SELECT_OPTIONS:
                self.fail("options.groups", where, f"{len(groups)} option groups (1–100)")
            for n, group in enumerate(groups):
                group_options = group.get("options") if isinstance(group, dict) else None
                if not isinstance(group_options, list):
                    self.fail("options.group", f"{where}.option_groups[{n}]", "no options")
                    continue
                if not 1 <= len(group_options) <= SELECT_OPTIONS:
                    # BK/composition-objects/option-group-object: options "maximum of 100";
                    # SDK OptionGroup options_max_length.
                    self.fail("options.count", f"{where}.option_groups[{n}]", "1–100 options")
                self.text(
                    group.get("label"),
                    f"{where}.option_groups[{n}].label",
                    limit=OPTION_TEXT,
                    plain_only=True,
                )
                flat += group_options
        if isinstance(options, list):
            low, high = bounds
            if not low <= len(options) <= high:
                self.fail("options.count", where, f"{len(options)} options (allowed {low}–{high})")
            flat += options
        elif options is not None:
            self.fail("options.type", where, "options is not a list")
        values = []
        overflow = element.get("type") == "overflow"
        for n, opt in enumerate(flat):
            value = self.option(
                opt, f"{where}.options[{n}]", plain_only=plain_only, url_allowed=overflow
            )
            if value is not None:
                values.append(value)
        # Duplicate values make a choice ambiguous. UNCONFIRMED that Slack refuses them (no
        # reference page says; slack-blockkit-rules.md §8.5): kept strict.
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            self.fail("options.duplicate", where, f"duplicate option values {duplicates[:3]}")
        return [o for o in flat if isinstance(o, dict)]

    def initial(self, element: dict[str, Any], where: str, offered: list[dict[str, Any]]) -> None:
        """BK/block-elements/select-menu-element, multi-select, checkboxes, radio buttons:
        initial_option(s) "must be an exact match to one of the options"."""
        values = {o.get("value") for o in offered}
        if "initial_option" in element:
            chosen = element["initial_option"]
            if not isinstance(chosen, dict) or chosen.get("value") not in values:
                self.fail("options.initial", where, "initial_option is not one of the options")
            elif chosen not in offered:
                self.fail("options.initial", where, "initial_option differs from its option")
        if "initial_options" in element:
            chosen_list = element["initial_options"]
            if not isinstance(chosen_list, list) or not all(c in offered for c in chosen_list):
                self.fail("options.initial", where, "initial_options are not all among options")

    # ---------------------------------------------------------------------- elements

    def element(self, element: Any, where: str) -> str | None:
        """One interactive element. Returns its action_id."""
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.fail("element.type", where, "not an element object")
            return None
        kind = element["type"]
        action_id = element.get("action_id")
        if action_id is not None and (not isinstance(action_id, str) or len(action_id) > ID_MAX):
            self.fail("element.action_id", where, "action_id must be a string of ≤255")
        if "placeholder" in element:
            self.text(
                element["placeholder"], f"{where}.placeholder", limit=PLACEHOLDER, plain_only=True
            )
        if "confirm" in element:
            self.confirm(element["confirm"], f"{where}.confirm")
        checker = getattr(self, "el_" + kind, None)
        if checker is not None:
            checker(element, where)
        return action_id if isinstance(action_id, str) else None

    def el_button(self, element: dict[str, Any], where: str) -> None:
        self.text(element.get("text"), f"{where}.text", limit=BUTTON_TEXT, plain_only=True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > BUTTON_VALUE):
            self.fail("button.value", where, "value must be a string of ≤2000")
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > BUTTON_URL):
            self.fail("button.url", where, "url must be a string of ≤3000")
        if "style" in element and element["style"] not in BUTTON_STYLES:
            self.fail("button.style", where, f"style {element['style']!r} (primary|danger)")

    def el_overflow(self, element: dict[str, Any], where: str) -> None:
        self.options(element, where, bounds=OVERFLOW_OPTIONS, plain_only=True)

    def _select(self, element: dict[str, Any], where: str) -> None:
        offered = self.options(
            element, where, bounds=(1, SELECT_OPTIONS), plain_only=True, groups_allowed=True
        )
        self.initial(element, where, offered)

    el_static_select = _select

    def el_multi_static_select(self, element: dict[str, Any], where: str) -> None:
        self._select(element, where)
        self._max_selected(element, where)

    def el_multi_external_select(self, element: dict[str, Any], where: str) -> None:
        self._external(element, where)
        self._max_selected(element, where)

    def el_external_select(self, element: dict[str, Any], where: str) -> None:
        self._external(element, where)

    def _external(self, element: dict[str, Any], where: str) -> None:
        if "options" in element or "option_groups" in element:
            self.fail("select.external_options", where, "external selects load their options")
        mql = element.get("min_query_length")
        if mql is not None and (not isinstance(mql, int) or mql < 0):
            self.fail("select.min_query_length", where, "min_query_length must be an int ≥ 0")
        chosen = list(element.get("initial_options") or [])
        if element.get("initial_option") is not None:
            chosen.append(element["initial_option"])
        for n, opt in enumerate(chosen):
            self.option(opt, f"{where}.initial[{n}]", plain_only=True)

    def _max_selected(self, element: dict[str, Any], where: str) -> None:
        # BK/block-elements/multi-select-menu-element: max_selected_items "minimum number is 1".
        most = element.get("max_selected_items")
        if most is not None and (not isinstance(most, int) or most < 1):
            self.fail("select.max_selected", where, "max_selected_items must be ≥ 1")

    def _choices(self, element: dict[str, Any], where: str) -> None:
        # Radio buttons and checkboxes take mrkdwn option text (their reference pages).
        offered = self.options(element, where, bounds=(1, CHOICE_OPTIONS), plain_only=False)
        self.initial(element, where, offered)

    el_radio_buttons = _choices
    el_checkboxes = _choices

    def el_plain_text_input(self, element: dict[str, Any], where: str) -> None:
        """BK/block-elements/plain-text-input-element: max_length 1–3000, min_length 0–3000,
        and an initial value within them (the research found 4096 refused with
        invalid_arguments, research/slack.md "Checked again on 2026-12-04")."""
        high = element.get("max_length")
        low = element.get("min_length")
        if high is not None and (
            not isinstance(high, int) or not TEXT_INPUT_MAX[0] <= high <= TEXT_INPUT_MAX[1]
        ):
            self.fail("text_input.max_length", where, f"max_length {high!r} (1–3000)")
        if low is not None and (
            not isinstance(low, int) or not TEXT_INPUT_MIN[0] <= low <= TEXT_INPUT_MIN[1]
        ):
            self.fail("text_input.min_length", where, f"min_length {low!r} (0–3000)")
        if isinstance(high, int) and isinstance(low, int) and low > high:
            self.fail("text_input.min_max", where, "min_length above max_length")
        initial = element.get("initial_value")
        if initial is not None:
            if not isinstance(initial, str):
                self.fail("text_input.initial", where, "initial_value is not a string")
            elif len(initial) > (high if isinstance(high, int) else TEXT_INPUT_MAX[1]):
                # UNCONFIRMED what Slack does (slack-blockkit-rules.md §8.8): refused.
                self.fail("text_input.initial", where, "initial_value longer than max_length")

    def confirm(self, obj: Any, where: str) -> None:
        """BK/composition-objects/confirmation-dialog-object; SDK ConfirmObject. The page now
        says plain_text for `text` as well; older pages and the SDK took mrkdwn there: kept at
        the stricter plain_text (slack-blockkit-rules.md §8.15)."""
        if not isinstance(obj, dict):
            self.fail("confirm.type", where, "not a confirmation dialog object")
            return
        for key, limit in CONFIRM.items():
            self.text(obj.get(key), f"{where}.{key}", limit=limit, plain_only=True)
        if "style" in obj and obj["style"] not in BUTTON_STYLES:
            self.fail("confirm.style", where, f"style {obj['style']!r} (primary|danger)")

    # ------------------------------------------------------------------------ blocks

    def blocks(self, blocks: Any, where: str, *, limit: int, allowed: frozenset[str]) -> None:
        if not isinstance(blocks, list):
            self.fail("blocks.type", where, "blocks is not a list")
            return
        if len(blocks) > limit:
            self.fail("blocks.count", where, f"{len(blocks)} blocks (limit {limit})")
        seen: set[str] = set()
        for n, block in enumerate(blocks):
            here = f"{where}[{n}]"
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                self.fail("block.type", here, "not a block object")
                continue
            if block["type"] not in allowed:
                self.fail("block.kind", here, f"{block['type']!r} blocks are not allowed here")
            extra = set(block) - BLOCK_FIELDS.get(block["type"], set(block))
            if extra:
                self.fail("block.field", here, f"invalid additional property {sorted(extra)[0]}")
            block_id = block.get("block_id")
            if block_id is not None:
                # BK/blocks/*: block_id "should be unique for each message and each iteration of
                # a message"; ≤255. Refused in views (slack-go/slack#725); in messages
                # UNCONFIRMED (slack-blockkit-rules.md §8.2): refused there too.
                if not isinstance(block_id, str) or not block_id or len(block_id) > ID_MAX:
                    self.fail("block.block_id", here, "block_id must be a string of 1–255")
                elif block_id in seen:
                    self.fail("block.block_id_unique", here, f"duplicate block_id {block_id!r}")
                else:
                    seen.add(block_id)
            action_ids = list(self._block(block, here))
            # BK/block-elements/*: action_id "should be unique among all other action_ids in the
            # containing block" (refused with invalid_blocks: knacklabs/gantry#458).
            repeated = sorted({a for a in action_ids if action_ids.count(a) > 1})
            if repeated:
                self.fail("block.action_id_unique", here, f"action_id {repeated[0]!r} repeats")

    def _block(self, block: dict[str, Any], where: str) -> Iterator[str]:
        kind = block["type"]
        if kind == "section":
            yield from self._section(block, where)
        elif kind == "header":
            self.text(block.get("text"), f"{where}.text", limit=HEADER_TEXT, plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS:
                self.fail("context.elements", where, "1–10 elements required")
                return
            for n, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    continue
                self.text(element, f"{where}.elements[{n}]", limit=TEXT_OBJECT)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= ACTIONS_ELEMENTS:
                self.fail("actions.elements", where, "1–25 elements required")
                return
            for n, element in enumerate(elements):
                yield from self._placed(element, f"{where}.elements[{n}]", ACTION_ELEMENTS)
        elif kind == "input":
            self.text(block.get("label"), f"{where}.label", limit=INPUT_LABEL, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{where}.hint", limit=INPUT_HINT, plain_only=True)
            if block.get("element") is None:
                self.fail("input.element", where, "input block without an element")
            else:
                yield from self._placed(block["element"], f"{where}.element", INPUT_ELEMENTS)

    def _section(self, block: dict[str, Any], where: str) -> Iterator[str]:
        fields = block.get("fields")
        if "text" not in block and not fields:
            self.fail("section.empty", where, "a section needs text or fields")
        if "text" in block:
            self.text(block["text"], f"{where}.text", limit=SECTION_TEXT)
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= SECTION_FIELDS:
                self.fail("section.fields", where, "fields must be a list of 1–10")
            else:
                for n, item in enumerate(fields):
                    self.text(item, f"{where}.fields[{n}]", limit=FIELD_TEXT)
        if "accessory" in block:
            yield from self._placed(block["accessory"], f"{where}.accessory", ACCESSORY_ELEMENTS)

    def _placed(self, element: Any, where: str, allowed: frozenset[str]) -> Iterator[str]:
        if isinstance(element, dict) and element.get("type") not in allowed:
            self.fail("element.placement", where, f"{element.get('type')!r} cannot stand here")
        action_id = self.element(element, where)
        if action_id is not None:
            yield action_id
