"""Block Kit for App Home and `/concern inbox`: counts, severities, ages and my own links.

Built from the read model (`handlers.my_work.awaiting`, with the viewer's own links from
`handlers.my_work.linked`), showing only severities, statuses, times, counts and those links:
no client reference, category, follow-up text or advice draft, so there is nothing sensitive
here to leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.raise_views import Block, mrkdwn, plain
from handlers.deadlines import LONDON
from handlers.my_work.awaiting import AdviceLine, ConcernLine
from handlers.my_work.linked import SHOWN, LinkedAwaiting
from handlers.outbox.pointer_words import age

HELP = (
    "*Flare* — raise and follow up safeguarding concerns without putting them in Slack.\n"
    "• `/concern` opens a private form to raise a concern (optionally `/concern C-1234` to "
    "pick the client by reference).\n"
    "• `/concern child` raises about any child, by NHS number, reference, or name and "
    "date of birth.\n"
    "• `/concern join` asks to join a child's network, by the same identifiers.\n"
    "• `/concern inbox` lists what waits for you, with links only you can use.\n"
    "• `/concern network add C-1234 PERSON [member|deputy|lead]` (PERSON: their Flare "
    "reference), "
    "`network role …`, `network remove …` or `network leave C-1234` change a client's "
    "network (leads and deputies; anyone may leave).\n"
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


def _line(
    line: ConcernLine, now: datetime, *, deadline: bool = False, due_at: datetime | None = None
) -> str:
    parts = [f"*{line.severity.label}*", f"raised {age(line.raised_at, now)}"]
    if deadline and line.acknowledge_by is not None:
        late = line.acknowledge_by <= now
        parts.append(("was due " if late else "acknowledge by ") + _when(line.acknowledge_by))
    if due_at is not None:
        parts.append(f"follow-up due {_when(due_at)}")
    parts.append(STATUS.get(line.status, line.status))
    if line.entries:
        parts.append(f"{line.entries} entr{'y' if line.entries == 1 else 'ies'}")
    return " · ".join(parts)


def _item(text: str, key: str, link: str | None, section: str) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if link:
        block["accessory"] = {
            "type": "button",
            "text": plain("Open"),
            "url": link,
            "action_id": f"flare_open_{section}_{key}",
        }
    return block


def _section(title: str, items: list[Block], total: int, empty: str) -> list[Block]:
    blocks: list[Block] = [{"type": "header", "text": plain(f"{title} ({total})")}]
    if not items:
        blocks.append({"type": "context", "elements": [mrkdwn(empty)]})
    blocks += items
    if total > len(items):
        more = total - len(items)
        blocks.append({"type": "context", "elements": [mrkdwn(f"…and {more} more in Flare.")]})
    return blocks


def _lines(
    lines: tuple[ConcernLine, ...], work: LinkedAwaiting, now: datetime, section: str
) -> list[Block]:
    return [
        _item(
            _line(line, now, deadline=section == "ack"),
            line.concern_id,
            work.links.get(line.concern_id),
            section,
        )
        for line in lines[:SHOWN]
    ]


def _advice_line(line: AdviceLine, now: datetime, *, to_give: bool) -> str:
    """Severity and times only: the draft and the advice stay on Flare's page."""
    parts = [f"*{line.severity.label}*", f"asked {age(line.asked_at, now)}"]
    if to_give and line.respond_by is not None:
        late = line.respond_by <= now
        parts.append(("was due " if late else "reply by ") + _when(line.respond_by))
    if not to_give:
        if line.answered_at is not None:
            parts.append(f"advice given {age(line.answered_at, now)}")
        parts.append("send it or record a decision not to share")
    return " · ".join(parts)


def _advice_blocks(work: LinkedAwaiting, now: datetime) -> list[Block]:
    waiting = work.awaiting
    sections = (
        ("Advice asked of you", waiting.advice_to_give, True, "Nobody is waiting for your advice."),
        ("Advice for you to act on", waiting.advice_given, False, "No advice waits for you."),
    )
    blocks: list[Block] = []
    for title, lines, to_give, empty in sections:
        section = "advise" if to_give else "advised"
        items = [
            _item(
                _advice_line(line, now, to_give=to_give),
                line.request_id,
                work.advice_links.get(line.request_id),
                section,
            )
            for line in lines[:SHOWN]
        ]
        blocks += _section(title, items, len(lines), empty)
    return blocks


def work_blocks(work: LinkedAwaiting, now: datetime, *, raised: bool = True) -> list[Block]:
    waiting = work.awaiting
    follow_ups = [
        _item(
            _line(owned.concern, now, due_at=owned.due_at),
            owned.follow_up_id,  # one concern may have several: the id names the follow-up
            work.links.get(owned.concern.concern_id),
            "follow",
        )
        for owned in waiting.follow_ups[:SHOWN]
    ]
    blocks = _section(
        "Waiting for your acknowledgement",
        _lines(waiting.to_acknowledge, work, now, "ack"),
        len(waiting.to_acknowledge),
        "Nothing to acknowledge.",
    )
    blocks += _section(
        "Your follow-ups", follow_ups, len(waiting.follow_ups), "No open follow-ups."
    )
    blocks += _section(
        "Not read yet",
        _lines(waiting.unread, work, now, "unread"),
        len(waiting.unread),
        "You have read everything shared with you.",
    )
    blocks += _advice_blocks(work, now)
    if raised:
        blocks += _section(
            "Concerns you raised",
            _lines(waiting.raised, work, now, "raised"),
            len(waiting.raised),
            "You have not raised any.",
        )
    return blocks


def home(work: LinkedAwaiting, now: datetime) -> dict[str, Any]:
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
                },
                {
                    "type": "button",
                    "text": plain("Ask to join a network"),
                    "action_id": "flare_home_join",  # bot/slack/joining.py
                },
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


def inbox(work: LinkedAwaiting, now: datetime) -> list[Block]:
    """`/concern inbox`: what is pending for me, each with a fresh link."""
    waiting = work.awaiting
    pending = (waiting.to_acknowledge, waiting.follow_ups, waiting.unread)
    if not any((*pending, waiting.advice_to_give, waiting.advice_given)):
        return [{"type": "section", "text": mrkdwn("Nothing is waiting for you in Flare.")}]
    return work_blocks(work, now, raised=False)[:50]
