"""The words a pointer shows in chat, shared by every platform so they cannot drift apart.

Built only from a Pointer's fields: there is nothing sensitive here to leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.deadlines import LONDON
from handlers.ports import Pointer
from handlers.values import PointerKind

_TITLES = {
    PointerKind.NEW_CONCERN: "A new concern was raised about a client in one of your networks.",
    PointerKind.NEW_INFORMATION: "New information was added to a concern shared with you.",
    PointerKind.ACKNOWLEDGED: "A concern you were asked to acknowledge.",
    PointerKind.ACK_RECEIPT: "The lead professional has acknowledged the concern you raised.",
    PointerKind.ESCALATION: "A concern has not been acknowledged in time and is escalated to you.",
    PointerKind.FOLLOW_UP_REMINDER: "A follow-up you own is due.",
    PointerKind.FOLLOW_UP_ASSIGNED: "You have been asked to follow up a concern shared with you.",
    PointerKind.PATTERN_ALERT: "Several agencies have raised concerns about a client you lead for.",
    PointerKind.FRESH_LINK: "Here is a fresh link to a concern shared with you.",
    PointerKind.FORWARDED_ATTEMPT: "Someone else tried to open a link that was sent to you.",
    PointerKind.ADMIN_ALERT: "A Flare message could not be delivered. Please check Flare.",
    PointerKind.ESCALATED_RECEIPT: (
        "The concern you raised has not been acknowledged in time and has been escalated."
    ),
    PointerKind.FOLLOW_UP_OVERDUE: "A follow-up on a concern you lead for is overdue.",
    PointerKind.DIGEST: "Your Flare summary for today.",
    PointerKind.CONCERN_CLOSED: "A concern you raised or were sent has been closed by the lead.",
    PointerKind.CONCERN_REOPENED: (
        "A closed concern you raised or were sent has been reopened by the lead."
    ),
    PointerKind.ADDED_TO_NETWORK: "You have been added to a client's network in Flare.",
    PointerKind.NETWORK_ROLE_CHANGED: "Your role in a client's network in Flare has changed.",
    PointerKind.REMOVED_FROM_NETWORK: (
        "You are no longer in one of your client networks in Flare. Its links no longer work."
    ),
    PointerKind.JOIN_REQUEST: (
        "Someone asked to join a network you lead. Open Flare to approve or decline."
    ),
    PointerKind.JOIN_APPROVED: "Your request to join a child's network was approved.",
    PointerKind.JOIN_DECLINED: "Your request to join a child's network was not approved.",
    PointerKind.JOIN_REQUEST_APPROVED: (
        "Someone else who leads this network approved this request to join it."
    ),
    PointerKind.JOIN_REQUEST_DECLINED: (
        "Someone else who leads this network declined this request to join it."
    ),
    PointerKind.ADVICE_REQUESTED: (
        "Someone in your organisation asks for your advice before sharing a concern."
    ),
    PointerKind.ADVICE_GIVEN: "You have advice on the concern you have not shared yet.",
}

ASK_TO_JOIN = "Ask to join this child's network"
DECIDE_HERE = "Someone asked to join a network you lead. Approve or decline it here or in Flare."
# What the decider's own request pointer says once they decided (the other leads' say who did
# not: _TITLES). Only what the request pointer showed: no name, no child.
DECIDED_BY_YOU = {
    PointerKind.JOIN_REQUEST_APPROVED: (
        "You approved this request to join a network you lead: they are now a member of it, "
        "and they have been told."
    ),
    PointerKind.JOIN_REQUEST_DECLINED: (
        "You declined this request to join a network you lead: they have been told."
    ),
}


@dataclass(frozen=True)
class PointerText:
    title: str
    lines: tuple[str, ...]
    open_label: str | None
    acknowledge_label: str | None
    close_label: str | None = None
    ask_to_join_label: str | None = None
    approve_label: str | None = None
    decline_label: str | None = None


def advice_to_give_words(count: int) -> str:
    """How many requests wait for the reader's advice (a figure, nothing from a draft)."""
    return f"{count} request{'' if count == 1 else 's'} for your advice"


# The digest's lines and the Teams `inbox` reply say these the same way.


def advice_given_words(count: int) -> str:
    """How many of the reader's drafts have advice and wait for them to send or decide."""
    return f"advice on {count} draft{'' if count == 1 else 's'} of yours, to send or decide"


def age(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def describe(pointer: Pointer, now: datetime) -> PointerText:
    lines: list[str] = []
    if pointer.severity is not None:
        lines.append(f"Severity: {pointer.severity.label}")
    if pointer.raised_at is not None:
        lines.append(f"Raised {age(pointer.raised_at, now)}")
    if pointer.entries:
        lines.append(f"{pointer.entries} entr{'y' if pointer.entries == 1 else 'ies'}")
    if pointer.escalation_level:
        lines.append(f"Escalation step {pointer.escalation_level}")
    if pointer.awaiting:
        lines.append(f"{pointer.awaiting} waiting for your acknowledgement")
    if pointer.chosen is not None:
        lines.append(f"You were chosen: {pointer.chosen.label}")
    if pointer.follow_ups_due:
        lines.append(
            f"{pointer.follow_ups_due} follow-up{'' if pointer.follow_ups_due == 1 else 's'} due"
        )
    if pointer.advice_to_give:
        lines.append(advice_to_give_words(pointer.advice_to_give))
    if pointer.advice_given:
        lines.append(advice_given_words(pointer.advice_given).capitalize())
    title = _TITLES[pointer.kind]
    if pointer.kind is PointerKind.ACKNOWLEDGED and pointer.acknowledged_at is not None:
        local = pointer.acknowledged_at.astimezone(LONDON)
        who = "you" if pointer.by_recipient else "the lead professional"
        title = f"Acknowledged by {who} at {local:%H:%M}."
    open_label = "Open" if pointer.link else None
    ack = "Acknowledge" if pointer.can_acknowledge and pointer.acknowledged_at is None else None
    close = "Close" if pointer.can_close and pointer.concern_id else None
    ask = ASK_TO_JOIN if pointer.can_ask_to_join else None
    if pointer.kind is PointerKind.JOIN_REQUEST and pointer.join_request_id:
        title = DECIDE_HERE
    if pointer.kind in DECIDED_BY_YOU and pointer.by_recipient:
        title = DECIDED_BY_YOU[pointer.kind]
    return PointerText(
        title=title,
        lines=tuple(lines),
        open_label=open_label,
        acknowledge_label=ack,
        close_label=close,
        ask_to_join_label=ask if pointer.concern_id else None,
        approve_label="Approve" if pointer.join_request_id else None,
        decline_label="Decline" if pointer.join_request_id else None,
    )
