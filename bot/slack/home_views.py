"""Block Kit for App Home and `/concern inbox`: counts, severities, ages and my own links.

Built only from `handlers.my_work.summary` values — severities, statuses, times, counts and the
viewer's own Flare links — so there is nothing sensitive here to leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.raise_views import Block, mrkdwn, plain
from handlers.deadlines import LONDON
from handlers.my_work.summary import MyWork, WorkItem, WorkList
from handlers.outbox.pointer_words import age

HELP = (
    "*Flare* — raise and follow up safeguarding concerns without putting them in Slack.\n"
    "• `/concern` opens a private form to raise a concern (optionally `/concern C-1234` to "
    "pick the client by reference).\n"
    "• `/concern child` raises about any child, by NHS number or reference.\n"
    "• `/concern inbox` lists what waits for you, with links only you can use.\n"
    "• `/concern help` shows this message.\n"
    "You can also use the *Raise a concern* shortcut, or *Raise a concern about this "
    "message* from a message's menu. Nothing you type in Flare's forms is posted to Slack."
)
STATUS = {
    "open": "awaiting acknowledgement",
    "acknowledged": "acknowledged",
    "closed": "closed",
    "not_shared": "recorded, not shared",
}


def _when(at: datetime) -> str:
    return f"{at.astimezone(LONDON):%a %d %b %H:%M}"


def _line(item: WorkItem, now: datetime) -> str:
    parts = [f"*{item.severity.label}*", f"raised {age(item.raised_at, now)}"]
    if item.acknowledge_by is not None:
        late = item.acknowledge_by <= now
        parts.append(("was due " if late else "acknowledge by ") + _when(item.acknowledge_by))
    if item.due_at is not None:
        parts.append(f"follow-up due {_when(item.due_at)}")
    parts.append(STATUS.get(item.status, item.status))
    if item.entries:
        parts.append(f"{item.entries} entr{'y' if item.entries == 1 else 'ies'}")
    return " · ".join(parts)


def _item(item: WorkItem, now: datetime, section: str) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(_line(item, now))}
    if item.link:
        block["accessory"] = {
            "type": "button",
            "text": plain("Open"),
            "url": item.link,
            "action_id": f"flare_open_{section}_{item.concern_id}",
        }
    return block


def _section(title: str, work: WorkList, now: datetime, section: str, empty: str) -> list[Block]:
    blocks: list[Block] = [{"type": "header", "text": plain(f"{title} ({work.total})")}]
    if not work.items:
        blocks.append({"type": "context", "elements": [mrkdwn(empty)]})
    blocks += [_item(item, now, section) for item in work.items]
    if work.total > len(work.items):
        more = work.total - len(work.items)
        blocks.append({"type": "context", "elements": [mrkdwn(f"…and {more} more in Flare.")]})
    return blocks


def work_blocks(work: MyWork, now: datetime, *, raised: bool = True) -> list[Block]:
    blocks = _section(
        "Waiting for your acknowledgement",
        work.to_acknowledge,
        now,
        "ack",
        "Nothing to acknowledge.",
    )
    blocks += _section("Your follow-ups", work.follow_ups, now, "follow", "No open follow-ups.")
    if raised:
        blocks += _section(
            "Concerns you raised", work.raised, now, "raised", "You have not raised any."
        )
    return blocks


def home(work: MyWork, now: datetime) -> dict[str, Any]:
    """The App Home tab: visible only to its user, and not message history."""
    blocks: list[Block] = [
        {
            "type": "section",
            "text": mrkdwn("*Flare* — your concerns, acknowledgements and follow-ups."),
        },
        {
            "type": "actions",  # no block_id: each publish of the tab is a new iteration
            "elements": [
                {
                    "type": "button",
                    "text": plain("Raise a concern"),
                    "style": "primary",
                    "action_id": "flare_home_raise",
                }
            ],
        },
        *work_blocks(work, now),
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    "Links here are yours alone and expire within the hour; "
                    "reopen this tab for fresh ones."
                )
            ],
        },
    ]
    return {"type": "home", "callback_id": "flare_home", "blocks": blocks[:100]}


def refused_home(message: str) -> dict[str, Any]:
    """App Home for someone Flare does not know: the one refusal sentence, nothing else."""
    return {
        "type": "home",
        "callback_id": "flare_home",
        "blocks": [{"type": "section", "text": mrkdwn(message)}],
    }


def inbox(work: MyWork, now: datetime) -> list[Block]:
    """`/concern inbox`: what is pending for me, each with a fresh link."""
    if not work.to_acknowledge.total and not work.follow_ups.total:
        return [{"type": "section", "text": mrkdwn("Nothing is waiting for you in Flare.")}]
    return work_blocks(work, now, raised=False)[:50]
