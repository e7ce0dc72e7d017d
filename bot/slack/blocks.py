"""Block Kit for a Pointer: severity, age and counts, an Open button, Acknowledge and Close
for leads.

Built only from `handlers.outbox.pointer_words.describe(pointer)`: nothing sensitive exists
here to leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.outbox.pointer_words import describe
from handlers.ports import Pointer

OPEN_ACTION = "flare_open"
ACKNOWLEDGE_ACTION = "flare_acknowledge"
CLOSE_ACTION = "flare_close"
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
    if text.acknowledge_label and pointer.concern_id:
        buttons.append(
            {
                "type": "button",
                "action_id": ACKNOWLEDGE_ACTION,
                "text": _plain(text.acknowledge_label),
                "value": pointer.concern_id,
            }
        )
    if text.close_label and pointer.concern_id:
        buttons.append(
            {
                "type": "button",
                "action_id": CLOSE_ACTION,
                "text": _plain(text.close_label),
                "value": pointer.concern_id,
            }
        )
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def fallback_text(pointer: Pointer, now: datetime) -> str:
    """The notification text (what a phone's lock screen shows): the title only."""
    return describe(pointer, now).title


def pointer_metadata(pointer: Pointer) -> dict[str, Any]:
    """Message metadata: the outbox key only, so an ambiguous send can be looked up later."""
    return {"event_type": POINTER_EVENT, "event_payload": {"key": pointer.idempotency_key}}
