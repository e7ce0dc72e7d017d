"""The Slack no-leak property: sensitive content never reaches Slack nor a log line.

Hypothesis writes concern content around a fresh canary in every sensitive field — what was
noticed, the rationale, the family reason, people to protect, the narrowing reason, the
client's name — and a fresh NHS number typed as the identifier (and after `/concern`). Every
Slack flow then runs over real HTTP: the modal's two steps, DM pointers, acknowledgement
with `chat.update` and the raiser's receipt, closing from the Close button's modal (an
"other" outcome with a canary note) and reopening, with their pointers to the raiser and the
network, App Home, `/concern inbox`, the message shortcut, `/concern network` changes
(with their pointers) and asking to join by the NHS number (`/concern join`), declined and
approved with the lead's buttons (with their pointers), and asking for advice first (the
adviser's pointer and the raiser's). Then the modal's answers are posted
the ways Flare must refuse (a stale timestamp, another secret, a replay, oversized,
malformed). No canary may appear in
any byte Flare sent to the fake Slack API (Web API calls
and response_url posts), in any response body Flare gave Slack on /slack/events (modal
updates ride there), or in any log line (structlog and the standard library, at DEBUG).
"""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.slack.blocks import CLOSE_ACTION, JOIN_APPROVE_ACTION, JOIN_DECLINE_ACTION
from bot.slack.raise_modal import submission_key
from handlers.concern.joining import APPROVED, DECLINED
from handlers.concern.viewing import view_concern
from handlers.follow_through.closing import Reopened, reopen_concern
from handlers.network.directory import DirectoryRow, import_directory
from tests.advice import answer_and_send, set_advisers, the_request
from tests.identifiers import fresh_nhs_number
from tests.no_leak import assert_no_canary, audit_text, canary_needles, captured_logs
from tests.refused_requests import SLACK_EXPECTED, slack_refusals
from tests.slack.conftest import TEAM
from tests.slack.raise_world import SlackWorld, slack_user, slack_world
from tests.slack.slack_client import picked, state, ticked, typed
from tests.slack.test_join_flow import ask_by_identifier, buttons, last_pointer, press

FIELDS = (
    "noticed",
    "rationale",
    "family_reason",
    "protected_identities",
    "narrowing",
    "label",
    "outcome_note",
    "not_sharing_reason",
)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[SlackWorld]:
    with slack_world(engine, tmp_path) as w:
        yield w


def _refused(world: SlackWorld, canary: str) -> None:
    """The modal's answers, posted again the ways Flare must refuse: stale, re-signed with a
    rotated secret, replayed, oversized, malformed, not UTF-8."""
    body = next(e.body for e in reversed(world.sender.exchanges) if canary.encode() in e.body)
    url = f"{world.sender.base_url}/slack/events"

    def post(data: bytes, headers: dict[str, str]) -> int:
        return httpx.post(url, content=data, headers=headers, timeout=20).status_code

    assert slack_refusals(post, body, canary) == SLACK_EXPECTED


def _client(world: SlackWorld, label: str, nhs: str) -> str:
    ref = f"C-{secrets.token_hex(3).upper()}"
    rows = [
        DirectoryRow(2, "client", ref, name=label, nhs_number=nhs),
        DirectoryRow(3, "membership", "chloe", client=ref, role="lead"),
        DirectoryRow(4, "membership", "erin", client=ref, role="deputy"),
        DirectoryRow(5, "membership", "dev", client=ref, role="member"),
        DirectoryRow(6, "membership", "amara", client=ref, role="member"),
    ]
    assert import_directory(world.runtime.uow(), rows, at=world.clock.now(), actor="test").ok
    return ref


def _raise(
    world: SlackWorld,
    trigger: str,
    view_id: str,
    texts: dict[str, str],
    nhs: str,
    *,
    share: bool = True,
) -> str:
    """Both modal steps with the canaries typed in (step two shares it, or records a decision
    not to share with its canary reasons); returns the submission's view id."""
    amara = slack_user("amara")
    view = {**world.form(trigger), "id": view_id}
    values = state(
        identifier=typed(nhs),
        category=picked("neglect"),
        severity=picked("immediate"),
        noticed=typed(texts["noticed"]),
        family_informed=picked("not_safe"),
        family_reason=typed(texts["family_reason"]),
        rationale=typed(texts["rationale"]),
        lawful_basis=picked("vital_interests"),
        protected_identities=typed(texts["protected_identities"]),
    )
    answer = world.sender.submit(amara, view, values).json()
    assert answer["response_action"] == "update", answer
    step2 = {**answer["view"], "id": view_id}
    values["recipients"] = {"recipients": ticked([world.people["chloe"], world.people["erin"]])}
    values["narrowing_reason"] = {"narrowing_reason": typed(texts["narrowing"])}
    values["not_sharing_reason"] = {"not_sharing_reason": typed(texts["not_sharing_reason"])}
    if not share:
        values["decision"] = {"decision": picked_radio("not_share")}
    answer = world.sender.submit(amara, step2, values).json()
    done = "sent to 2 people" if share else "decision not to share was recorded"
    assert done in json.dumps(answer), answer
    return view_id


def picked_radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def _flows(world: SlackWorld, ref: str, texts: dict[str, str], nhs: str) -> None:
    sender, calls = world.sender, world.calls
    amara, chloe, erin = (slack_user(r) for r in ("amara", "chloe", "erin"))
    opened = len(calls("views.open"))

    _, trigger = sender.command(amara, nhs)  # typed after /concern: used, never echoed
    world.wait_for("views.open", opened + 1)
    _raise(world, trigger, f"V{secrets.token_hex(4)}", texts, nhs)

    _, trigger = sender.message_shortcut(amara, "Please look at the pick-up today")
    world.wait_for("views.open", opened + 2)
    _raise(world, trigger, f"V{secrets.token_hex(4)}", texts, nhs)

    # Golden rule 7 from the same modal: a decision not to share, its reasons a canary.
    _, trigger = sender.command(amara)
    world.wait_for("views.open", opened + 3)
    _raise(world, trigger, f"V{secrets.token_hex(4)}", texts, nhs, share=False)

    world.deliver()  # DM pointers to chloe and erin, twice (and none for the decision)
    with world.runtime.uow() as uow:
        client = uow.directory.client_by_reference(ref)
        assert client is not None
        recorded = {c.id: c.status for c in uow.concerns.for_client(client.id)}
    raised = [concern_id for concern_id, status in recorded.items() if status != "not_shared"]
    assert len(raised) == 2 and len(recorded) == 3  # and one decision not to share
    # Chloe presses Acknowledge on her DM pointer: chat.update in place, receipt to Amara.
    dm = world.slack.dm_channel(chloe)
    pointer = next(m for m in world.slack.messages(dm) if raised[0] in json.dumps(m.blocks))
    updates = len(calls("chat.update"))
    pressed = sender.block_action(
        chloe, "flare_acknowledge", value=raised[0], channel=dm, message_ts=pointer.ts
    )
    assert pressed.status == 200
    world.wait_for("chat.update", updates + 2)
    assert calls("chat.update"), "the acknowledgement updates the pointers in place"

    _close_and_reopen(world, raised[0], texts["outcome_note"])

    published = len(calls("views.publish"))
    for user in (chloe, amara):
        sender.event({"type": "app_home_opened", "user": user, "tab": "home"})
    world.wait_for("views.publish", published + 2)
    hooks = len(world.hooks())
    sender.command(erin, "inbox")
    world.wait_hooks(hooks + 1)
    # The network changes from Slack: Dev made deputy, removed, added again; each is told.
    for n, words in enumerate(("role {} dev deputy", "remove {} dev", "add {} dev"), start=2):
        sender.command(chloe, "network " + words.format(ref))
        assert json.loads(world.wait_hooks(hooks + n)[-1].body)["text"].startswith("Done")
    posted = len(calls("chat.postMessage"))
    world.deliver()
    assert len(calls("chat.postMessage")) >= posted + 3
    _join(world, ref, nhs)

    # The check is looking in the right place: the content is there for its recipient.
    view = view_concern(
        world.runtime.uow(),
        concern_id=raised[0],
        practitioner_id=world.people["chloe"],
        clock=world.clock,
    )
    assert view.rationale == texts["rationale"] and view.client_label == texts["label"]


def _join(world: SlackWorld, ref: str, nhs: str) -> None:
    """Dev is removed and asks to join by the NHS number (`/concern join`); Chloe declines
    with her pointer's button, Dev asks again, and Erin approves; Dev is told each time."""
    hooks = len(world.hooks())
    world.sender.command(slack_user("chloe"), f"network remove {ref} dev")
    assert json.loads(world.wait_hooks(hooks + 1)[-1].body)["text"].startswith("Done")
    for decider, action in (("chloe", JOIN_DECLINE_ACTION), ("erin", JOIN_APPROVE_ACTION)):
        asked = ask_by_identifier(world, slack_user("dev"), nhs)
        assert asked["response_action"] == "update"
        request_id = buttons(last_pointer(world, decider))[action]
        assert press(world, decider, action, request_id) in (APPROVED, DECLINED)
    told = [m.text for m in world.slack.messages(world.slack.dm_channel(slack_user("dev")))]
    assert any("was not approved" in t for t in told) and any("was approved" in t for t in told)


def _seek_advice(world: SlackWorld, ref: str, texts: dict[str, str]) -> None:
    """Amara ticks "Ask for advice before sharing": Ben (her safeguarding lead) is pointed to
    the draft and replies, she is pointed back and sends it to the network."""
    set_advisers(world.runtime.uow, "riverside-cc", lead="ben")
    amara, opened = slack_user("amara"), len(world.calls("views.open"))
    _, trigger = world.sender.command(amara)
    world.wait_for("views.open", opened + 1)
    view_id = f"V{secrets.token_hex(4)}"
    with world.runtime.uow() as uow:
        client = uow.directory.client_by_reference(ref)
        assert client is not None
        client_id = client.id
    values = state(
        client=picked(client_id),
        category=picked("neglect"),
        severity=picked("high"),
        noticed=typed(texts["noticed"]),
        family_informed=picked("not_safe"),
        family_reason=typed(texts["family_reason"]),
        rationale=typed(texts["rationale"]),
        lawful_basis=picked("public_task"),
        protected_identities=typed(texts["protected_identities"]),
        ask_advice=ticked(["ask"]),
    )
    answer = world.sender.submit(amara, {**world.form(trigger), "id": view_id}, values).json()
    assert answer["view"]["callback_id"] == "flare_advice_asked", answer
    world.deliver()
    request_id, adviser = the_request(world.runtime.uow, submission_key(TEAM, view_id))
    answer_and_send(
        world.runtime.uow,
        world.clock,
        request_id=request_id,
        adviser_id=adviser,
        raiser_id=world.people["amara"],
        reply=texts["outcome_note"],
        deliver=world.deliver,
    )
    told = [
        m.text
        for u in ("ben", "amara")
        for m in world.slack.messages(world.slack.dm_channel(slack_user(u)))
    ]
    assert any("asks for your advice" in t for t in told) and any(
        "You have advice" in t for t in told
    )


def _close_and_reopen(world: SlackWorld, concern_id: str, note: str) -> None:
    """Chloe closes it from the Close button's modal ("other", a canary note), then reopens
    it; the raiser and Erin get both pointers in their DMs."""
    chloe, opened = slack_user("chloe"), len(world.calls("views.open"))
    world.sender.block_action(chloe, CLOSE_ACTION, value=concern_id)
    modal = world.wait_for("views.open", opened + 1)[-1].args["view"]
    values = state(
        outcome={"type": "radio_buttons", "selected_option": {"value": "other"}},
        note=typed(note),
    )
    answer = world.sender.submit(chloe, {**modal, "id": f"V{secrets.token_hex(4)}"}, values)
    assert "The concern is closed" in json.dumps(answer.json())
    reopened = reopen_concern(
        world.runtime.uow(),
        concern_id=concern_id,
        practitioner_id=world.people["chloe"],
        clock=world.clock,
        via="web",
    )
    assert isinstance(reopened, Reopened)
    world.deliver()

    def told() -> list[str]:
        return [m.text for m in world.slack.messages(world.slack.dm_channel(slack_user("amara")))]

    # The Close listener sends its pointers from its own thread: wait for them, not for order.
    deadline = time.monotonic() + 15
    while not any("has been closed" in t for t in told()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("has been closed" in t for t in told()) and any("reopened" in t for t in told())


@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # each example is a whole journey: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(around=st.fixed_dictionaries({f: st.tuples(free_text, free_text) for f in FIELDS}))
def test_no_canary_reaches_slack_or_a_log_line(
    world: SlackWorld, debug_logs: io.StringIO, around: dict[str, tuple[str, str]]
) -> None:
    canary = f"CANARY{secrets.token_hex(6)}"
    texts = {f: f"{pre}{canary}-{f}{post}" for f, (pre, post) in around.items()}
    nhs = fresh_nhs_number()
    ref = _client(world, texts["label"], nhs)
    sent_before = len(world.slack.requests)
    answered_before = len(world.sender.exchanges)

    _flows(world, ref, texts, nhs)
    _seek_advice(world, ref, texts)
    _refused(world, canary)

    world.slack.wait_idle()
    sent = b"\n".join(r.raw() for r in world.slack.requests[sent_before:])
    answered = b"\n".join(e.response for e in world.sender.exchanges[answered_before:])
    assert_no_canary(
        canary_needles(canary, nhs=nhs),
        sent_to_slack=sent,
        answered_to_slack=answered,
        logs=captured_logs(debug_logs),
        audit=audit_text(world.runtime.uow),
    )
    assert b"chat.postMessage" in sent and b"views.publish" in sent  # the flows did run
