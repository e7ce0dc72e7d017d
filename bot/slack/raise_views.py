"""Block Kit for the raise modal: step 1 the answers, step 2 who it will reach, then sent.

Nothing the raiser typed is ever sent back to Slack: step 2 repeats step 1's input blocks with
the same block and action ids and no initial values, so Slack keeps what was typed in place
(Slack's "preserving input entry" on update). Clients are listed by reference only — a
client's label is a name and must not reach Slack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from handlers.concern.answers import (
    BY_NAME,
    ONE_STEP_FIELDS,
    STEP_ONE_FIELDS,
    AnswerField,
    FieldKind,
)
from handlers.network.client_lookup import ClientOption
from handlers.network.routing import ShareOptions
from handlers.values import SharingDecision

STEP_ONE = "flare_raise"
STEP_TWO = "flare_raise_send"
MAX_TEXT = 3000  # Slack's limit for a plain_text_input
MAX_CHECKBOXES = 10  # Slack's limit for a checkbox group
MAX_OPTIONS = 100  # ... and for a select menu's options

Block = dict[str, Any]
View = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """Non-sensitive facts that ride in private_metadata from one step to the next."""

    team: str = ""
    response_url: str = ""
    channel: str = ""
    message_ts: str = ""
    domain: str = ""

    @property
    def permalink(self) -> str:
        """Where the message a concern was raised about sits (built, not fetched: no scope)."""
        host = f"{self.domain}.slack.com" if self.domain else "slack.com"
        return f"https://{host}/archives/{self.channel}/p{self.message_ts.replace('.', '')}"

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v}, separators=(",", ":"))

    @classmethod
    def load(cls, raw: str | None) -> Context:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def escape_mrkdwn(text: str) -> str:
    """Data shown as itself in mrkdwn: Slack reads &, < and > as markup unless escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _option(value: str, label: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain(label[:75]), "value": value}
    if description:
        option["description"] = plain(description[:75])
    return option


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    """An input block whose element's action_id is its block_id: the submission names both."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _text(described: AnswerField) -> Block:
    element = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": min(described.max_length, MAX_TEXT),
    }
    return input_block(
        described.name,
        described.label,
        element,
        optional=not described.required,
        hint=described.hint,
    )


def _select(described: AnswerField, initial: str = "") -> Block:
    options = [_option(v, text) for v, text in described.options()]
    element: dict[str, Any] = (
        {"type": "radio_buttons", "options": options}
        if described.show_all
        else {"type": "static_select", "placeholder": plain("Choose"), "options": options}
    )
    preset = [o for o in options if initial and o["value"] == initial]
    if preset:
        element["initial_option"] = preset[0]
    return input_block(
        described.name,
        described.label,
        element,
        optional=not described.required,
        hint=described.hint,
    )


def answer_block(described: AnswerField, initial: str = "") -> Block:
    """One question's input; `initial` presets a choice (a closed value, never typed text)."""
    if described.kind is FieldKind.CHOICE:
        return _select(described, initial)
    return _text(described)


def _client(clients: Sequence[ClientOption], client_id: str) -> Block:
    """The raiser's clients by reference (Slack lists 100: the preset one is always there)."""
    chosen = [c for c in clients if c.client_id == client_id]
    # A client picked ahead of time past the 100th takes the last place (others: by NHS number).
    listed = list(clients[:MAX_OPTIONS])
    if chosen and chosen[0] not in listed:
        listed[-1] = chosen[0]
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain("Choose a client"),
        "options": [_option(c.client_id, c.reference) for c in listed],
    }
    if chosen:
        element["initial_option"] = _option(chosen[0].client_id, chosen[0].reference)
    described = BY_NAME["client"]
    return input_block("client", described.label, element, optional=True, hint=described.hint)


ANSWERED_HERE = tuple(f for f in STEP_ONE_FIELDS if f.kind in (FieldKind.CHOICE, FieldKind.TEXT))
IN_ONE_STEP = tuple(f for f in ONE_STEP_FIELDS if f.kind in (FieldKind.CHOICE, FieldKind.TEXT))


def answer_blocks(clients: Sequence[ClientOption], *, client_id: str = "") -> list[Block]:
    """Step 1's inputs. Only `client_id` (an opaque id) may be preset; typed text never is."""
    blocks: list[Block] = [_client(clients, client_id)] if clients else []
    blocks.append(
        input_block(
            "identifier",
            "Or enter their NHS number" if clients else "Their NHS number",
            {"type": "plain_text_input", "max_length": 64},
            optional=bool(clients),
        )
    )
    return blocks + [answer_block(described) for described in ANSWERED_HERE]


def _modal(callback_id: str, submit: str, blocks: list[Block], context: Context) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain("Raise a concern"),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "private_metadata": context.dump(),
        "blocks": blocks,
    }


PRIVATE_NOTE = mrkdwn(
    "Only you can see this form. Nothing you type here is posted to Slack: "
    "it is stored encrypted in Flare and shown only to the people you share it with."
)


def step_one(
    clients: Sequence[ClientOption],
    context: Context,
    *,
    client_id: str = "",
    prefill: str = "",
) -> View:
    """The first step. `prefill` is a Slack message's own text (the message shortcut)."""
    blocks = [
        {"type": "context", "elements": [PRIVATE_NOTE]},
        *answer_blocks(clients, client_id=client_id),
    ]
    if prefill:
        for block in blocks:
            if block.get("block_id") == "noticed":
                block["element"]["initial_value"] = prefill[:MAX_TEXT]
    return _modal(STEP_ONE, "Next", blocks, context)


def _member_option(member: Any) -> dict[str, Any]:
    return _option(
        member.practitioner_id,
        f"{member.name} ({member.role.label})",
        f"{member.job_title}, {member.organisation}".strip(", ") + f" · {member.why}",
    )


def step_two(clients: Sequence[ClientOption], options: ShareOptions, context: Context) -> View:
    """Who it will reach, pre-ticked by the routing policy; step 1's inputs kept below."""
    members = list(options.members[:MAX_OPTIONS])
    recommended = [_member_option(m) for m in members if m.recommended]
    blocks: list[Block] = [
        {
            "type": "section",
            "block_id": "reach",
            "text": mrkdwn(
                "*Who it will reach* — the network of client "
                f"{escape_mrkdwn(options.client_reference)}. "
                "Ticked people are those the routing policy recommends. Untick anyone who "
                "does not need to know, and say why. Or decide not to share, and say why."
            ),
        }
    ]
    if members:
        # Checkboxes show at most 10 people; a larger network gets a multi-select, so nobody
        # in it is left off the list (and the policy's picks stay ticked).
        element: dict[str, Any] = {
            "type": "checkboxes" if len(members) <= MAX_CHECKBOXES else "multi_static_select",
            "options": [_member_option(m) for m in members],
        }
        if len(members) > MAX_CHECKBOXES:
            element["placeholder"] = plain("Choose who it goes to")
        if recommended:
            element["initial_options"] = recommended
        blocks.append(
            input_block(
                "recipients", BY_NAME["recipients"].label, element, hint=BY_NAME["recipients"].hint
            )
        )
    blocks += [
        _text(BY_NAME["narrowing_reason"]),
        answer_block(BY_NAME["decision"], initial=SharingDecision.SHARE.value),
        _text(BY_NAME["rationale"]),
        _text(BY_NAME["not_sharing_reason"]),
        {"type": "divider"},
        {"type": "context", "elements": [mrkdwn("Your answers — you can still change them.")]},
        *answer_blocks(clients),
    ]
    return _modal(STEP_TWO, "Submit", blocks, context)


def sent(recipients: int, *, duplicate: bool = False) -> View:
    """The confirmation: counts only, no content."""
    people = f"{recipients} {'person' if recipients == 1 else 'people'}"
    lines = [
        f"Your concern was sent to {people} in the client's network."
        if not duplicate
        else "This concern was already sent; it has not been sent again.",
        "The lead professional must acknowledge it; Flare will tell you when they do.",
    ]
    return {
        "type": "modal",
        "callback_id": "flare_raise_sent",
        "title": plain("Concern sent"),
        "close": plain("Done"),
        "blocks": [{"type": "section", "text": mrkdwn(line)} for line in lines],
    }


def not_shared(*, duplicate: bool = False) -> View:
    """A decision not to share, recorded: no content, and nobody was told."""
    lines = [
        "Your decision not to share was recorded."
        if not duplicate
        else "This decision was already recorded; it has not been recorded again.",
        "Nobody has been told. Only you, your organisation's safeguarding lead and its data "
        "protection officer can see it, on Flare's own pages.",
    ]
    return {
        "type": "modal",
        "callback_id": "flare_raise_not_shared",
        "title": plain("Decision recorded"),
        "close": plain("Done"),
        "blocks": [{"type": "section", "text": mrkdwn(line)} for line in lines],
    }


def errors_for(errors: Mapping[str, str], view: Mapping[str, Any]) -> dict[str, str]:
    """Field errors keyed by the view's block ids; an error with no block lands on the first."""
    block_ids = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"]
    shown: dict[str, str] = {}
    for name, message in errors.items():
        target = name if name in block_ids else ("identifier" if name == "client" else "")
        if target not in block_ids:
            if not block_ids:  # not a form Flare built: Slack takes errors on input blocks only
                continue
            target = block_ids[0]
        shown[target] = f"{shown[target]} {message}" if target in shown else message
    return shown
