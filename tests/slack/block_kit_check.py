"""What Slack would refuse: a view or message body parsed with slack_sdk's own models, then
held to the documented limits the SDK does not check.

Two passes, each returning problems as short strings (empty: Slack would take it):

1. slack_sdk: `View(**view)` and `Block.parse_all(blocks)`, `validate_json()` on the view
   and every block, and `to_dict()` (which validates every element and composition object
   on the way down). A key the SDK does not know is dropped by `to_dict()`; a dropped key is
   a problem too (a typo Slack would answer `invalid_arguments` to).
2. The limits from Slack's reference pages (docs.slack.dev/reference/block-kit/...,
   .../views/modal-views, chat.postMessage) written out below, whether or not the SDK
   checks them as well: blocks per surface, text lengths, option counts, ids and their
   uniqueness, plain_text where only plain_text is allowed, input blocks only in views.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

BLOCKS_PER_VIEW = 100
BLOCKS_PER_MESSAGE = 50
MESSAGE_TEXT = 40_000
VIEW_BUTTON_TEXT = 24  # a modal's title, submit and close
PRIVATE_METADATA = 3000
ID_LENGTH = 255  # block_id, action_id, callback_id, external_id
SECTION_TEXT = 3000
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
INPUT_LABEL = 2000
INPUT_HINT = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL_LENGTH = 3000
PLACEHOLDER = 150
OPTION_TEXT = 75
OPTION_DESCRIPTION = 75
OPTION_VALUE = 150
TEXT_INPUT_LENGTH = 3000  # plain_text_input min_length/max_length bounds
OPTIONS = {"static_select": 100, "multi_static_select": 100, "checkboxes": 10, "radio_buttons": 10}
INPUT_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "static_select",
        "multi_static_select",
        "checkboxes",
        "radio_buttons",
        "datepicker",
        "timepicker",
        "email_text_input",
        "url_text_input",
        "number_input",
        "users_select",
        "conversations_select",
        "channels_select",
        "external_select",
    }
)
SDK_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)

Problems = list[str]


# -- the SDK's pass ----------------------------------------------------------------------------
def _dropped(path: str, sent: Any, parsed: Any) -> Iterator[str]:
    """Keys Flare sent that the SDK's model did not keep (unknown fields, empty arrays)."""
    if isinstance(sent, Mapping) and isinstance(parsed, Mapping):
        for key, value in sent.items():
            if key not in parsed:
                yield f"{path}.{key}: not a field slack_sdk knows here, or empty"
            else:
                yield from _dropped(f"{path}.{key}", value, parsed[key])
    elif isinstance(sent, list) and isinstance(parsed, list):
        for i, (one, other) in enumerate(zip(sent, parsed, strict=False)):
            yield from _dropped(f"{path}[{i}]", one, other)


def sdk_view_problems(view: Mapping[str, Any]) -> Problems:
    """`View(**view)`, `validate_json()` and a full `to_dict()` round trip."""
    try:
        parsed = View(**view)
        parsed.validate_json()  # the view's own checks, its number of blocks among them
        parsed.blocks = None  # type: ignore[assignment]  # each block is parsed below, where its path can be named
        head = {k: v for k, v in view.items() if k != "blocks"}
        problems = list(_dropped("view", head, parsed.to_dict()))
    except SDK_ERRORS as exc:
        problems = [f"view: slack_sdk refused it: {exc}"]
    return problems + sdk_blocks_problems(view.get("blocks"), path="view.blocks")


def sdk_blocks_problems(blocks: Any, *, path: str = "blocks") -> Problems:
    """`Block.parse_all(blocks)`, then `validate_json()` and `to_dict()` on every block."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"{path}: not an array"]
    problems: Problems = []
    for i, sent in enumerate(blocks):  # one at a time, so a refusal names its block
        try:
            (block,) = Block.parse_all([sent])
            if block is None:
                problems.append(f"{path}[{i}]: not a block type slack_sdk knows: {sent!r:.80}")
                continue
            block.validate_json()
            as_json = block.to_dict()
        except SDK_ERRORS as exc:
            problems.append(f"{path}[{i}]: slack_sdk refused it: {exc}")
            continue
        problems += _dropped(f"{path}[{i}]", sent, as_json)
    return problems


# -- the documented limits ---------------------------------------------------------------------
def _text(
    path: str, value: Any, limit: int, *, plain: bool = False, required: bool = True
) -> Problems:
    if value is None:
        return [f"{path}: missing"] if required else []
    if not isinstance(value, Mapping) or value.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{path}: not a text object"]
    if plain and value["type"] != "plain_text":
        return [f"{path}: must be plain_text, is {value['type']}"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [f"{path}.text: empty"]
    if len(text) > limit:
        return [f"{path}.text: {len(text)} characters, at most {limit}"]
    return _unescaped(f"{path}.text", text) if value["type"] == "mrkdwn" else []


# mrkdwn: "&", "<" and ">" must be escaped as &amp; &lt; &gt;, except in Slack's own control
# sequences (links, mentions, special mentions) - docs.slack.dev "Formatting text".
CONTROL = re.compile(r"<(?:https?://|mailto:|@[UW]|#C|!)[^<>]*>")
ENTITY = re.compile(r"&(?:amp|lt|gt);")


def _unescaped(path: str, text: str) -> Problems:
    rest = ENTITY.sub("", CONTROL.sub("", text))
    if "&" in rest or "<" in rest:
        return [f"{path}: an unescaped & or < (mrkdwn needs &amp; &lt; &gt;)"]
    return []


def _length(path: str, value: Any, limit: int) -> Problems:
    if value is not None and len(str(value)) > limit:
        return [f"{path}: {len(str(value))} characters, at most {limit}"]
    return []


def _option(path: str, option: Any, *, plain: bool) -> Problems:
    if not isinstance(option, Mapping):
        return [f"{path}: not an option object"]
    problems = _text(f"{path}.text", option.get("text"), OPTION_TEXT, plain=plain)
    problems += _text(
        f"{path}.description",
        option.get("description"),
        OPTION_DESCRIPTION,
        plain=True,
        required=False,
    )
    if not option.get("value"):
        problems.append(f"{path}.value: missing")
    return problems + _length(f"{path}.value", option.get("value"), OPTION_VALUE)


def _options(path: str, element: Mapping[str, Any]) -> Problems:
    kind = element["type"]
    options = element.get("options")
    if not isinstance(options, list) or not options:
        return [f"{path}.options: missing or empty"]
    problems: Problems = []
    if len(options) > OPTIONS[kind]:
        problems.append(f"{path}.options: {len(options)} options, at most {OPTIONS[kind]}")
    plain = kind in ("static_select", "multi_static_select")
    for i, option in enumerate(options):
        problems += _option(f"{path}.options[{i}]", option, plain=plain)
    initial = element.get("initial_options") or []
    if element.get("initial_option") is not None:
        initial = [element["initial_option"]]
    for i, chosen in enumerate(initial):
        if chosen not in options:  # "must exactly match" one of the options
            problems.append(f"{path}.initial_option(s)[{i}]: matches none of the options")
    return problems


def _element(path: str, element: Any) -> Problems:
    if not isinstance(element, Mapping) or not isinstance(element.get("type"), str):
        return [f"{path}: not an element"]
    kind = element["type"]
    problems = _length(f"{path}.action_id", element.get("action_id"), ID_LENGTH)
    if "placeholder" in element:
        problems += _text(f"{path}.placeholder", element["placeholder"], PLACEHOLDER, plain=True)
    if kind == "button":
        problems += _text(f"{path}.text", element.get("text"), BUTTON_TEXT, plain=True)
        problems += _length(f"{path}.value", element.get("value"), BUTTON_VALUE)
        problems += _length(f"{path}.url", element.get("url"), URL_LENGTH)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{path}.style: {element['style']!r} is not primary or danger")
    elif kind in OPTIONS:
        problems += _options(path, element)
    elif kind == "plain_text_input":
        for key, low in (("min_length", 0), ("max_length", 1)):
            value = element.get(key)
            if value is not None and not low <= int(value) <= TEXT_INPUT_LENGTH:
                problems.append(f"{path}.{key}: {value}, must be {low}..{TEXT_INPUT_LENGTH}")
    return problems


def _section(path: str, block: Mapping[str, Any]) -> Problems:
    problems = _text(f"{path}.text", block.get("text"), SECTION_TEXT, required=False)
    fields = block.get("fields") or []
    if block.get("text") is None and not fields:
        problems.append(f"{path}: neither text nor fields")
    if len(fields) > SECTION_FIELDS:
        problems.append(f"{path}.fields: {len(fields)}, at most {SECTION_FIELDS}")
    for i, field in enumerate(fields):
        problems += _text(f"{path}.fields[{i}]", field, SECTION_FIELD_TEXT)
    if block.get("accessory") is not None:
        problems += _element(f"{path}.accessory", block["accessory"])
    return problems


def _input(path: str, block: Mapping[str, Any], surface: str) -> Problems:
    if surface == "message":
        return [f"{path}: an input block cannot be in a message"]
    problems = _text(f"{path}.label", block.get("label"), INPUT_LABEL, plain=True)
    problems += _text(f"{path}.hint", block.get("hint"), INPUT_HINT, plain=True, required=False)
    element = block.get("element")
    if not isinstance(element, Mapping) or element.get("type") not in INPUT_ELEMENTS:
        return [*problems, f"{path}.element: not an input element"]
    return problems + _element(f"{path}.element", element)


def _elements(path: str, block: Mapping[str, Any], limit: int) -> Problems:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"{path}.elements: missing or empty"]
    problems: Problems = []
    if len(elements) > limit:
        problems.append(f"{path}.elements: {len(elements)}, at most {limit}")
    for i, element in enumerate(elements):
        if block["type"] == "actions":
            problems += _element(f"{path}.elements[{i}]", element)
        elif isinstance(element, Mapping) and element.get("type") != "image":
            problems += _text(f"{path}.elements[{i}]", element, SECTION_TEXT)
    return problems


def _block(path: str, block: Any, surface: str) -> Problems:
    if not isinstance(block, Mapping):
        return [f"{path}: not a block"]
    kind = block.get("type")
    problems = _length(f"{path}.block_id", block.get("block_id"), ID_LENGTH)
    if kind == "section":
        problems += _section(path, block)
    elif kind == "header":
        problems += _text(f"{path}.text", block.get("text"), HEADER_TEXT, plain=True)
    elif kind == "context":
        problems += _elements(path, block, CONTEXT_ELEMENTS)
    elif kind == "actions":
        problems += _elements(path, block, ACTIONS_ELEMENTS)
    elif kind == "input":
        problems += _input(path, block, surface)
    return problems


def _action_ids(block: Mapping[str, Any]) -> Iterator[str]:
    elements = [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]
    for element in elements:
        if isinstance(element, Mapping) and element.get("action_id"):
            yield str(element["action_id"])


def blocks_problems(blocks: Any, *, surface: str, path: str = "blocks") -> Problems:
    """The limits on a list of blocks shown in `surface` (modal, home or message)."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"{path}: not an array"]
    limit = BLOCKS_PER_MESSAGE if surface == "message" else BLOCKS_PER_VIEW
    problems = [f"{path}: {len(blocks)} blocks, at most {limit}"] if len(blocks) > limit else []
    mappings = [b for b in blocks if isinstance(b, Mapping)]
    for name, ids in (
        ("block_id", Counter(str(b["block_id"]) for b in mappings if b.get("block_id"))),
        ("action_id", Counter(a for b in mappings for a in _action_ids(b))),
    ):
        problems += [f"{path}: {name} {i!r} used {n} times" for i, n in ids.items() if n > 1]
    for i, block in enumerate(blocks):
        problems += _block(f"{path}[{i}]", block, surface)
    return problems


def _view_limits(view: Mapping[str, Any]) -> Problems:
    kind = view.get("type")
    problems = _length("view.private_metadata", view.get("private_metadata"), PRIVATE_METADATA)
    problems += _length("view.callback_id", view.get("callback_id"), ID_LENGTH)
    problems += _length("view.external_id", view.get("external_id"), ID_LENGTH)
    if kind == "modal":
        problems += _text("view.title", view.get("title"), VIEW_BUTTON_TEXT, plain=True)
        for key in ("submit", "close"):
            problems += _text(
                f"view.{key}", view.get(key), VIEW_BUTTON_TEXT, plain=True, required=False
            )
        blocks = view.get("blocks") or []
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            problems.append("view.submit: required when the view has an input block")
    elif kind == "home":
        problems += [f"view.{k}: a Home tab has no {k}" for k in ("submit", "close") if k in view]
    else:
        problems.append(f"view.type: {kind!r} is not modal or home")
    if not view.get("blocks"):
        problems.append("view.blocks: missing or empty")
    return problems


# -- what the fake Slack API and Flare's replies are checked with ------------------------------
def view_problems(view: Any, *, kind: str | None = None) -> Problems:
    """Everything wrong with a view body (`kind`: the type the method needs)."""
    if not isinstance(view, Mapping):
        return ["view: not a JSON object"]
    problems = sdk_view_problems(view) + _view_limits(view)
    if kind is not None and view.get("type") != kind:
        problems.append(f"view.type: {view.get('type')!r}, this method takes {kind!r}")
    surface = str(view.get("type") or "modal")
    return problems + blocks_problems(view.get("blocks"), surface=surface, path="view.blocks")


def message_problems(message: Mapping[str, Any]) -> Problems:
    """Everything wrong with a message body (chat.*, response_url, a command's ack)."""
    text, blocks = message.get("text"), message.get("blocks")
    problems: Problems = []
    if not text and not blocks:
        problems.append("message: neither text nor blocks")
    if blocks and not text:
        problems.append("message.text: missing; it is the notification when blocks are sent")
    problems += _length("message.text", text, MESSAGE_TEXT)
    if isinstance(text, str) and message.get("mrkdwn") is not False:
        problems += _unescaped("message.text", text)  # top-level text is mrkdwn too
    if message.get("response_type") not in (None, "ephemeral", "in_channel"):
        problems.append(f"message.response_type: {message['response_type']!r}")
    metadata = message.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, Mapping)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), Mapping)
    ):
        problems.append("message.metadata: needs event_type and an event_payload object")
    return problems + sdk_blocks_problems(blocks) + blocks_problems(blocks, surface="message")


def reply_problems(submitted: Mapping[str, Any] | None, reply: Any) -> Problems:
    """Flare's answer to an interaction: a `response_action` (view_submission) or a message."""
    if not isinstance(reply, Mapping) or not reply:
        return []
    action = reply.get("response_action")
    if action in ("update", "push"):
        return view_problems(reply.get("view"), kind="modal")
    if action == "errors":
        errors = reply.get("errors")
        view = (submitted or {}).get("view") or {}
        inputs = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
        if not isinstance(errors, Mapping) or not errors:
            return ["errors: missing or empty"]
        return [f"errors.{k}: no input block has this block_id" for k in errors if k not in inputs]
    if action == "clear":
        return []
    if action is not None:
        return [f"response_action: {action!r} is not update, push, errors or clear"]
    if "text" in reply or "blocks" in reply:
        return message_problems(reply)
    return []
