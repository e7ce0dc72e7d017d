"""/slack/events over real HTTP: signatures, replays, retries, identity, Acknowledge in place."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from bot.slack.blocks import ACKNOWLEDGE_ACTION, CLOSE_ACTION, OPEN_ACTION
from handlers.concern.raising import Raised
from handlers.network.identity import UNKNOWN_MESSAGE, WORKSPACE_MESSAGE
from handlers.values import FamilyInformed, Severity
from store.models import AuditEvent, Concern, InboundEvent, OutboxMessage, Practitioner
from tests.directory import declare, make_lead
from tests.raising import raise_for_test
from tests.slack.conftest import BOT_TOKEN, TEAM, SlackWorld, running_world, slack_user
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SIGNING_SECRET, signed_headers
from tests.web.flows import sign_in

CANARY = "CANARY-slack-events-91c2"


def _raise_and_deliver(world: SlackWorld) -> str:
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        key="slack-events-1",
        noticed=f"{CANARY} noticed",
        rationale=f"{CANARY} rationale",
        family_reason=f"{CANARY} family",
    )
    assert runtime.deliver().sent == 3
    return outcome.concern_id


def _ack_payload(world: SlackWorld, concern_id: str, ref: str = "chloe", **over: str) -> dict:  # type: ignore[type-arg]
    channel = world.slack.dm_channel(slack_user(ref))
    messages = world.slack.messages(channel)
    ts = messages[0].ts if messages else "1700000000.000001"
    fields = dict(team=TEAM, user=slack_user(ref), action_id=ACKNOWLEDGE_ACTION, value=concern_id)
    fields.update(channel=channel, message_ts=ts)
    fields.update(over)
    return world.sender.block_action(**fields)


def _state(world: SlackWorld) -> tuple[int, int, int, int]:
    """Audit rows, acknowledged concerns, linked Slack identities, Slack Web API calls."""
    with world.runtime.uow() as uow:
        audit = uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        acked = uow.session.scalar(
            select(func.count()).select_from(Concern).where(Concern.acknowledged_at.is_not(None))
        )
        linked = uow.session.scalar(
            select(func.count())
            .select_from(Practitioner)
            .where(Practitioner.slack_user_id.is_not(None))
        )
    return audit, acked or 0, linked or 0, len(world.slack.requests)


def test_lead_acknowledges_from_slack_and_the_message_changes_in_place(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with running_world(engine, tmp_path, slack, inline=False) as world:
        _acknowledge_in_place(world)


def test_acknowledging_sends_that_concerns_messages_and_leaves_the_rest_to_the_worker(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with running_world(engine, tmp_path, slack, inline=False) as world:
        concern_id = _raise_and_deliver(world)
        runtime = world.runtime
        outcome = _raise_medium(world, "slack-events-2")  # due, not yet swept
        answer = world.sender.action(_ack_payload(world, concern_id))
        assert answer.status_code == 200
        world.slack.wait_for("chat.update", 2)
        world.slack.wait_for("chat.postMessage", 4)  # the receipt for the acknowledged one
        # the whole network by default: lead, deputy and the other member
        assert _pending(world, outcome.concern_id) == outcome.recipients == 3, outcome
        assert runtime.deliver().sent == 3  # the worker's sweep still sends them
        assert _pending(world, outcome.concern_id) == 0


def _pending(world: SlackWorld, concern_id: str) -> int:
    with world.runtime.uow() as uow:
        found = uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.concern_id == concern_id, OutboxMessage.state == "pending")
        )
    return found or 0


def _acknowledge_in_place(world: SlackWorld) -> None:
    """Production's executor: bolt answers at ack(), the listener finishes afterwards."""
    concern_id = _raise_and_deliver(world)
    world.clock.advance(minutes=4)
    started = time.monotonic()
    answer = world.sender.action(_ack_payload(world, concern_id))
    assert answer.status_code == 200 and time.monotonic() - started < 3

    updates = world.slack.wait_for("chat.update", 2)
    (chloe,) = world.slack.messages("DUCHLOE")
    assert chloe.text == "Acknowledged by you at 10:04." and chloe.edited == 1
    buttons = [
        e["action_id"] for b in chloe.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [CLOSE_ACTION]  # no Acknowledge any more; the lead may close it from here
    (erin,) = world.slack.messages("DUERIN")
    assert erin.text == "Acknowledged by the lead professional at 10:04."
    world.slack.wait_for("chat.postMessage", 4)  # the raiser's receipt
    (receipt,) = world.slack.messages("DUAMARA")
    assert receipt.text.startswith("The lead professional has acknowledged")
    assert {u.args["channel"] for u in updates} == {"DUCHLOE", "DUERIN"}
    assert "concern.acknowledged" in world.audit_actions()
    assert CANARY.encode() not in world.slack.sent_bytes()


def test_slack_retries_and_repeated_actions_do_nothing_twice(slack_world: SlackWorld) -> None:
    world = slack_world
    concern_id = _raise_and_deliver(world)
    payload = _ack_payload(world, concern_id)
    assert world.sender.action(payload).status_code == 200
    world.slack.wait_for("chat.update", 2)
    world.slack.wait_for("chat.postMessage", 4)
    before = _state(world)

    # Slack retries seconds later, signed afresh, with X-Slack-Retry-Num; a repeat without it too.
    for seconds, retry in ((3, 1), (60, 2), (120, None)):
        again = world.sender.action(payload, retry=retry, at=time.time() + seconds)
        assert again.status_code == 200 and again.text == ""
    time.sleep(0.3)  # a listener that wrongly ran would call Slack within this
    assert _state(world) == before
    assert world.audit_actions().count("concern.acknowledged") == 1

    # Events are de-duplicated on event_id the same way.
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["UX"]}}
    first = world.sender.event(event, team=TEAM, event_id="Ev0DUP")
    retried = world.sender.event(event, team=TEAM, event_id="Ev0DUP", retry=1, at=time.time() + 3)
    assert first.status_code == retried.status_code == 200
    with world.runtime.uow() as uow:
        keys = list(
            uow.session.scalars(select(InboundEvent.key).where(InboundEvent.platform == "slack"))
        )
    assert keys.count("event:Ev0DUP") == 1


def _forged_requests(world: SlackWorld, body: bytes) -> dict[str, Callable[[], httpx.Response]]:
    form = "application/x-www-form-urlencoded"
    good = signed_headers(body, content_type=form)
    sender = world.sender

    def missing(*names: str) -> Callable[[], httpx.Response]:
        headers = {k: v for k, v in good.items() if k not in names}
        return lambda: sender.post_raw(body, headers)

    return {
        "wrong secret": lambda: sender.post(body, content_type=form, secret="not-the-secret"),
        "tampered body": lambda: sender.post_raw(body + b"&x=1", good),
        "no signature": missing("X-Slack-Signature"),
        "no timestamp": missing("X-Slack-Request-Timestamp"),
        "no headers": missing("X-Slack-Signature", "X-Slack-Request-Timestamp"),
        "six minutes old": lambda: sender.post(body, content_type=form, at=time.time() - 360),
        "from the future": lambda: sender.post(body, content_type=form, at=time.time() + 360),
    }


def test_forged_stale_and_replayed_requests_get_401_and_change_nothing(
    slack_world: SlackWorld,
) -> None:
    world = slack_world
    concern_id = _raise_and_deliver(world)
    body = world.sender.interaction_body(_ack_payload(world, concern_id))
    before = _state(world)
    for name, request in _forged_requests(world, body).items():
        answer = request()
        assert answer.status_code == 401, name
    time.sleep(0.3)
    assert _state(world) == before

    # A genuine request works once; the very same bytes and headers again are a replay.
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
    assert world.sender.post_raw(body, headers).status_code == 200
    world.slack.wait_for("chat.update", 2)
    world.slack.wait_for("chat.postMessage", 4)
    after_first = _state(world)
    replay = world.sender.post_raw(body, headers)
    assert replay.status_code == 401
    time.sleep(0.3)
    assert _state(world) == after_first


def test_unregistered_user_is_told_whom_to_ask_and_nothing_is_stored(
    slack_world: SlackWorld,
) -> None:
    world = slack_world
    concern_id = _raise_and_deliver(world)
    world.slack.add_user(TEAM, "UNOBODY", email="nobody@elsewhere.invalid")
    before = _state(world)
    payload = _ack_payload(world, concern_id, user="UNOBODY", channel="DUNOBODY")
    assert world.sender.action(payload).status_code == 200
    (ephemeral,) = world.slack.wait_for("chat.postEphemeral")
    assert ephemeral.args["user"] == "UNOBODY" and ephemeral.args["text"] == UNKNOWN_MESSAGE
    audit, acked, linked, _calls = _state(world)
    assert (audit, acked, linked) == (before[0] + 1, *before[1:3])  # only the refusal
    assert world.audit_actions()[-1] == "identity.refused"
    assert [r.args["user"] for r in world.slack.calls("users.info")] == ["UNOBODY"]


def test_first_contact_links_by_verified_email_only(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with running_world(engine, tmp_path, slack, linked=False) as world:
        concern = _raise_medium(world).concern_id
        # An unconfirmed email is not vouched for: refused, and not linked.
        world.slack.add_user(
            TEAM, "UCHLOE", email="chloe@demo.flare.invalid", email_confirmed=False
        )
        world.sender.action(_ack_payload(world, concern, channel="DUCHLOE"))
        (refused,) = world.slack.wait_for("chat.postEphemeral")
        assert refused.args["text"] == UNKNOWN_MESSAGE
        assert _state(world)[1:3] == (0, 0)

        world.slack.add_user(TEAM, "UCHLOE", email="chloe@demo.flare.invalid")
        world.sender.action(_ack_payload(world, concern, channel="DUCHLOE"))
        world.slack.wait_for("users.info", 2)
        _wait(lambda: _state(world)[1] == 1)
        with world.runtime.uow() as uow:
            chloe = uow.directory.practitioner(world.people["chloe"])
            assert chloe is not None and (chloe.slack_team_id, chloe.slack_user_id) == (
                TEAM,
                "UCHLOE",
            )
        assert "identity.linked" in world.audit_actions()


def _raise_medium(world: SlackWorld, key: str = "unlinked-1") -> Raised:
    """A concern nobody has been sent anything about yet."""
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        key=key,
        severity=Severity.MEDIUM,
        noticed="noticed",
        rationale="rationale",
        family_informed=FamilyInformed.YES,
        family_reason="",
    )
    return outcome


def _wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_someone_from_another_workspace_outside_the_network_gets_nowhere(
    slack_world: SlackWorld,
) -> None:
    world = slack_world
    concern_id = _raise_and_deliver(world)
    # Ben is registered, in workspace T2 (which his centre declares), and not in client
    # C-1001's network.
    world.slack.add_team("T2", token="xoxb-test-t2")
    declare(world.runtime.uow, "riverside-cc", slack=(TEAM, "T2"), at=world.runtime.clock.now())
    with world.runtime.uow() as uow:
        ben = uow.directory.practitioner(world.people["ben"])
        assert ben is not None
        ben.slack_team_id, ben.slack_user_id = "T2", "UBEN2"
        uow.commit()
    payload = world.sender.block_action(
        team="T2", user="UBEN2", action_id=ACKNOWLEDGE_ACTION, value=concern_id, channel="DBEN2"
    )
    assert world.sender.action(payload).status_code == 200
    (told,) = world.slack.wait_for("chat.postEphemeral")
    assert told.args["user"] == "UBEN2"
    assert "lead professional or deputy" in told.args["text"]
    assert _state(world)[1] == 0
    assert "concern.acknowledge_refused" in world.audit_actions()

    # Chloe's link, forwarded to Ben: signed in as himself, he sees no content.
    chloe_post = next(
        p for p in world.slack.calls("chat.postMessage") if p.args["channel"] == "DUCHLOE"
    )
    button = next(
        b for b in chloe_post.args["blocks"][-1]["elements"] if b["action_id"] == OPEN_ACTION
    )
    link = httpx.URL(button["url"]).path
    browser = world.web.browser("ben")
    sign_in(world.web, browser, "ben")
    page = browser.get(link)
    refused = browser.submit(browser.form(page.text))
    assert refused.status_code == 403 and CANARY not in refused.text
    assert "link.refused" in world.audit_actions()
    direct = browser.get(f"/concerns/{concern_id}")
    assert direct.status_code == 403 and CANARY not in direct.text


def test_url_verification_and_open_button_are_answered(slack_world: SlackWorld) -> None:
    world = slack_world
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
    answer = world.sender.post(challenge.encode(), content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"challenge": "c-123"}
    opened = world.sender.action(
        world.sender.block_action(team=TEAM, user="UCHLOE", action_id=OPEN_ACTION)
    )
    assert opened.status_code == 200
    time.sleep(0.2)
    assert not world.slack.requests or all(r.method == "auth.test" for r in world.slack.requests)


def test_logs_carry_no_content_and_no_tokens_even_at_debug(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI, debug_logs: io.StringIO
) -> None:
    with running_world(engine, tmp_path, slack) as world:
        concern_id = _raise_and_deliver(world)
        slack.fail("chat.postMessage", status=500, apply=True)  # an ambiguous receipt
        world.sender.action(_ack_payload(world, concern_id))
        world.runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
        world.runtime.deliver()
        links = [
            b["url"]
            for p in slack.calls("chat.postMessage")
            for b in p.args["blocks"][-1].get("elements", [])
            if "url" in b
        ]
    stream = debug_logs
    logs = stream.getvalue()
    assert "slack.acknowledged" in logs and "slack.send_failed" in logs
    assert CANARY not in logs
    assert BOT_TOKEN not in logs and SIGNING_SECRET not in logs
    assert links and not any(httpx.URL(link).path.rsplit("/", 1)[1] in logs for link in links)


def test_concurrent_retries_of_one_press_acknowledge_once(slack_world: SlackWorld) -> None:
    world = slack_world
    concern_id = _raise_and_deliver(world)
    payload = _ack_payload(world, concern_id)
    now = time.time()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda i: world.sender.action(payload, retry=i or None, at=now + i), range(6))
        )
    assert [a.status_code for a in answers] == [200] * 6
    assert world.audit_actions().count("concern.acknowledged") == 1
    assert len(world.slack.calls("chat.update")) == 2
    with world.runtime.uow() as uow:
        keys = list(
            uow.session.scalars(select(InboundEvent.key).where(InboundEvent.platform == "slack"))
        )
    assert keys.count(f"trigger:{payload['trigger_id']}") == 1


def test_a_foreign_workspace_with_the_victims_email_gets_nowhere_and_is_audited(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with running_world(engine, tmp_path, slack, linked=False) as world:
        concern = _raise_medium(world).concern_id
        # Mallory's profile carries Chloe's address (Slack would even confirm it: she owns
        # her workspace), but no organisation declares her workspace.
        world.slack.add_user(TEAM, "UMALLORY", email="chloe@demo.flare.invalid")
        payload = world.sender.block_action(
            team="T0FOREIGN", user="UMALLORY", action_id=ACKNOWLEDGE_ACTION, value=concern
        )
        assert world.sender.action(payload).status_code == 200
        (told,) = world.slack.wait_for("chat.postEphemeral")
        assert told.args["user"] == "UMALLORY" and told.args["text"] == WORKSPACE_MESSAGE
        event = {"type": "app_home_opened", "user": "UMALLORY", "tab": "home"}
        assert world.sender.event(event, team="T0FOREIGN").status_code == 200
        _wait(lambda: len(world.web.audit_details("identity.refused")) == 2)
        assert world.slack.calls("users.info") == []  # refused before asking for an e-mail
        assert _state(world)[1:3] == (0, 0)  # nothing acknowledged, nobody linked
        refusals = world.web.audit_details("identity.refused")
        assert (
            refusals
            == [
                {
                    "platform": "slack",
                    "workspace": "T0FOREIGN",
                    "user": "UMALLORY",
                    "reason": "workspace_unknown",
                }
            ]
            * 2
        )
        assert "@" not in str(refusals)


def test_an_enterprise_grid_org_declared_by_the_council_lets_its_workspaces_in(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with running_world(engine, tmp_path, slack, linked=False) as world:
        declare(world.runtime.uow, "council-cs", slack=("E0GRID",), at=world.runtime.clock.now())
        world.slack.add_user(TEAM, "WERIN", email="erin@demo.flare.invalid")
        concern = _raise_medium(world).concern_id
        action = world.sender.block_action(
            team="T0GRIDWS", user="WERIN", action_id=ACKNOWLEDGE_ACTION, value=concern
        )
        on_grid = action | {"enterprise": {"id": "E0GRID", "name": "Council grid"}}
        assert world.sender.action(on_grid).status_code == 200
        _wait(lambda: "identity.linked" in world.audit_actions())
        with world.runtime.uow() as uow:
            erin = uow.directory.practitioner(world.people["erin"])
            assert erin is not None
            assert (erin.slack_team_id, erin.slack_user_id) == ("T0GRIDWS", "WERIN")
        # Without the grid's id, the same workspace is not declared by anyone.
        bare = world.sender.block_action(
            team="T0GRIDWS", user="WERIN", action_id=ACKNOWLEDGE_ACTION, value=concern
        )
        assert world.sender.action(bare).status_code == 200
        _wait(lambda: len(world.web.audit_details("identity.refused")) == 1)
        (refusal,) = world.web.audit_details("identity.refused")
        assert refusal["reason"] == "workspace_not_allowed"


def test_a_lead_the_concern_was_not_delivered_to_cannot_acknowledge_from_slack(
    slack_world: SlackWorld,
) -> None:
    """The raiser left Erin off; she leads C-1001 since: a forged button press is refused."""
    world = slack_world
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        key="slack-left-off-1",
        noticed="noticed",
        rationale="rationale",
        family_informed=FamilyInformed.YES,
        recipients=[world.people["chloe"]],
        narrowing_reason="Only the lead",
        family_reason="",
    )
    runtime.deliver()
    make_lead(runtime.uow, world.clients["C-1001"], world.people["erin"])
    payload = _ack_payload(world, outcome.concern_id, "erin")
    assert world.sender.action(payload).status_code == 200
    (told,) = world.slack.wait_for("chat.postEphemeral")
    assert told.args["user"] == slack_user("erin")
    assert "lead professional or deputy" in told.args["text"]
    assert _state(world)[1] == 0
    assert "concern.acknowledge_refused" in world.audit_actions()
