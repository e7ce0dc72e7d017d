"""Block Kit for a Pointer: severity, age and counts, an Open button, Acknowledge and Close
for leads.

Built only from `handlers.outbox.pointer_words.describe(pointer)`: nothing sensitive exists
here to leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.outbox.pointer_words import ASK_TO_JOIN, describe
from handlers.ports import Pointer

OPEN_ACTION = "flare_open"
ACKNOWLEDGE_ACTION = "flare_acknowledge"
CLOSE_ACTION = "flare_close"
JOIN_ASK_ACTION = "flare_join_ask"  # value: the concern id (bot/slack/joining.py)
JOIN_APPROVE_ACTION = "flare_join_approve"  # value: the join request id
JOIN_DECLINE_ACTION = "flare_join_decline"
POINTER_EVENT = "flare_pointer"

Block = dict[str, Any]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def pointer_blocks(pointer: Pointer, now: datetime) -> list[Block]:
    """The message a pointer shows: title, one context line of facts, then its buttons."""
    text = describe(pointer, now)
    # No block_ids: Slack makes new ones for each message and each edit of it, as its docs
    # ask ("if a message is updated, use a new block_id"); listeners go by action_id.
    blocks: list[Block] = [{"type": "section", "text": _plain(text.title)}]
    if text.lines:
        blocks.append({"type": "context", "elements": [_plain(" · ".join(text.lines))]})
    buttons: list[Block] = []
    if text.open_label and pointer.link:
        buttons.append(
            {
                "type": "button",
                "action_id": OPEN_ACTION,
                "text": _plain(text.open_label),
                "url": pointer.link,
                "style": "primary",
            }
        )
    for label, action_id, value, style in (
        (text.acknowledge_label, ACKNOWLEDGE_ACTION, pointer.concern_id, None),
        (text.close_label, CLOSE_ACTION, pointer.concern_id, None),
        (text.ask_to_join_label, JOIN_ASK_ACTION, pointer.concern_id, None),
        (text.approve_label, JOIN_APPROVE_ACTION, pointer.join_request_id, "primary"),
        (text.decline_label, JOIN_DECLINE_ACTION, pointer.join_request_id, "danger"),
    ):
        if label and value:
            buttons.append(_button(label, action_id, value, style))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def ask_to_join_button(concern_id: str) -> Block:
    """The receipt's "Ask to join" button, for a view that confirms a raise from outside."""
    return _button(ASK_TO_JOIN, JOIN_ASK_ACTION, concern_id, None)


def _button(label: str, action_id: str, value: str, style: str | None) -> Block:
    button: Block = {"type": "button", "action_id": action_id, "text": _plain(label)}
    button["value"] = value
    if style:
        button["style"] = style
    return button


def fallback_text(pointer: Pointer, now: datetime) -> str:
    """The notification text (what a phone's lock screen shows): the title only."""
    return describe(pointer, now).title


def pointer_metadata(pointer: Pointer) -> dict[str, Any]:
    """Message metadata: the outbox key only, so an ambiguous send can be looked up later."""
    return {"event_type": POINTER_EVENT, "event_payload": {"key": pointer.idempotency_key}}
