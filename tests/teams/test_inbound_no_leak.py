"""The no-leak canary for every inbound Teams flow, over real HTTP (hypothesis).

A unique canary goes into every sensitive field the Teams dialog takes (what was noticed,
family reason, rationale, protected identities, narrowing reason), into the client's label
and NHS number, and into the Teams message the raiser started from ("..." menu). Then the
whole Teams journey runs: install, help, open the dialog, a submit that needs correcting,
the raise, a redelivered submit, pointers delivered, inbox with fresh links, acknowledge
from the card (refreshed in place), the receipt, closing from the card and reopening (their
pointers to the raiser and the network), asking to join by the NHS number (`join`, its
dialog) declined and approved from the lead's cards (with their pointers); then the
answers are posted the ways Flare must refuse (no, expired or foreign token, oversized,
not UTF-8). Not one canary byte may reach the fake Bot Connector or its login (any
request, headers and body), nor any log line; and the lead's decrypted view must hold them
all (so the test looks in the right place).
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.teams.package import RAISE_COMMAND_ID
from handlers.concern.viewing import view_concern
from handlers.follow_through.closing import Reopened, reopen_concern
from handlers.network.directory import DirectoryRow, find_client, import_directory
from tests.identifiers import fresh_nhs_number
from tests.no_leak import assert_no_canary, audit_text, canary_needles, captured_logs
from tests.refused_requests import TEAMS_EXPECTED, teams_refusals
from tests.teams.fake_connector import APP_ID, FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world
from tests.teams.test_inbound_flows import (
    acknowledge_value,
    card_of,
    close_value,
    inputs,
    submit,
    submit_data,
)
from tests.teams.test_join_flow import ask_by_identifier, decide, executes, last_card

FIELDS = (
    "noticed",
    "family_reason",
    "rationale",
    "protected_identities",
    "narrowing_reason",
    "not_sharing_reason",
)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


def _refused(world: TeamsWorld, texts: dict[str, str], mark: str) -> None:
    """The dialog's answers in an activity posted the ways Flare must refuse (no, expired or
    foreign token; oversized; not UTF-8), and once more as a redelivery that changes nothing."""
    data = {"commandId": RAISE_COMMAND_ID, "data": dict(texts)}
    activity = world.activity("dev", "invoke", name="composeExtension/submitAction", value=data)
    body = json.dumps(activity).encode()
    url = f"{world.url}/api/messages"

    def post(raw: bytes, headers: dict[str, str]) -> int:
        return httpx.post(url, content=raw, headers=headers, timeout=20).status_code

    issuer, service_url = world.issuer, world.teams.connector.url
    assert teams_refusals(post, body, mark, issuer, service_url) == TEAMS_EXPECTED


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("chloe", "erin", "amara", "dev", "ben")
        yield w


def _client(world: TeamsWorld, label: str, nhs: str) -> str:
    ref = f"C-{secrets.token_hex(4)}"
    rows = [
        DirectoryRow(2, "client", ref, name=label, nhs_number=nhs),
        DirectoryRow(3, "membership", "chloe", client=ref, role="lead"),
        DirectoryRow(4, "membership", "erin", client=ref, role="deputy"),
        DirectoryRow(5, "membership", "amara", client=ref, role="member"),
        DirectoryRow(6, "membership", "dev", client=ref, role="member"),
    ]
    assert import_directory(world.runtime.uow(), rows, at=world.clock.now()).ok
    with world.runtime.uow() as uow:
        client = find_client(uow, raw=nhs, kinds=["nhs_number"])
        assert client is not None
        return client.id


def _journey(world: TeamsWorld, client_id: str, texts: dict[str, str], message: str) -> str:
    world.post(world.activity("chloe", "conversationUpdate", membersAdded=[{"id": f"28:{APP_ID}"}]))
    world.say("dev", "help")
    opened = world.invoke(
        "dev",
        "composeExtension/fetchTask",
        {
            "commandId": RAISE_COMMAND_ID,
            "commandContext": "message",
            "messagePayload": {"id": "1", "body": {"contentType": "html", "content": message}},
        },
    ).json()
    step = submit_data(card_of(opened)) | {
        "client": client_id,
        "category": "neglect",
        "severity": "medium",
    }
    second = card_of(submit(world, "dev", step))
    # The lead and deputy only, not the whole network the routing policy recommends: a
    # change that needs a reason.
    choices = {c["value"] for c in inputs(second)["recipients"]["choices"]}
    narrowed = [world.people[p] for p in ("chloe", "erin")]
    assert set(narrowed) < choices
    everyone = ",".join(narrowed)
    send = submit_data(second) | {
        "noticed": texts["noticed"],
        "family_informed": "not_safe",
        "family_reason": texts["family_reason"],
        "rationale": texts["rationale"],
        "lawful_basis": "public_task",
        "protected_identities": texts["protected_identities"],
        "narrowing_reason": "",
        "recipients": everyone,
    }
    # Changed without a reason: the card comes back to the raiser's own dialog.
    world.invoke(
        "dev", "composeExtension/submitAction", {"commandId": RAISE_COMMAND_ID, "data": send}
    )
    send["narrowing_reason"] = texts["narrowing_reason"]
    done = world.invoke(
        "dev", "composeExtension/submitAction", {"commandId": RAISE_COMMAND_ID, "data": send}
    ).json()
    assert done["task"]["type"] == "message", done
    world.invoke(
        "dev", "composeExtension/submitAction", {"commandId": RAISE_COMMAND_ID, "data": send}
    )  # redelivered
    world.deliver()
    world.say("chloe", "inbox")
    world.say("erin", "inbox")
    world.deliver()
    concern_id: str = next(
        a["data"]["concern"]
        for m in world.messages("chloe")
        for att in m.activity.get("attachments", [])
        for a in att["content"].get("actions", [])
        if a["type"] == "Action.Execute" and "concern" in a["data"]  # not a join request's
    )
    ack = world.invoke("chloe", "adaptiveCard/action", acknowledge_value(concern_id))
    assert "Acknowledged by you" in ack.text
    world.deliver()
    closed = world.invoke("chloe", "adaptiveCard/action", close_value(concern_id, "monitoring"))
    assert "The concern is closed" in closed.text
    world.deliver()
    reopened = reopen_concern(
        world.runtime.uow(), concern_id=concern_id, practitioner_id=world.people["erin"],
        clock=world.clock,
    )  # fmt: skip
    assert isinstance(reopened, Reopened)
    world.deliver()
    told = [m.activity.get("summary", "") for m in world.messages("dev")]
    assert any("been closed" in t for t in told) and any("been reopened" in t for t in told)
    _decide_not_to_share(world, client_id, texts)
    return concern_id


def _join(world: TeamsWorld, nhs: str) -> None:
    """Ben asks to join by the NHS number (`join`, its dialog); Chloe declines from her card,
    Ben asks again and Erin approves; Ben is told each time."""
    for decider, verb in (("chloe", "join_decline"), ("erin", "join_approve")):
        asked = ask_by_identifier(world, "ben", nhs)
        assert asked["task"]["type"] == "message"
        request = executes(last_card(world, decider))[verb]
        assert not decide(world, decider, verb, request).get("actions")  # refreshed, buttonless
    told = [m.activity.get("summary", "") for m in world.messages("ben")]
    assert any("not approved" in t for t in told) and any(t.endswith("was approved.") for t in told)


def _decide_not_to_share(world: TeamsWorld, client_id: str, texts: dict[str, str]) -> None:
    """Golden rule 7 from the same dialog: a decision not to share, its reasons a canary."""
    opened = world.invoke("dev", "composeExtension/fetchTask", {"commandId": RAISE_COMMAND_ID})
    step = submit_data(card_of(opened.json())) | {
        "client": client_id,
        "category": "neglect",
        "severity": "medium",
    }
    second = card_of(submit(world, "dev", step))
    decide = submit_data(second) | {
        "noticed": texts["noticed"],
        "family_informed": "yes",
        "lawful_basis": "public_task",
        "rationale": texts["rationale"],  # typed, then not shared: not kept
        "decision": "not_share",
        "not_sharing_reason": texts["not_sharing_reason"],
    }
    messages = len(world.teams.connector.requests)
    done = world.invoke(
        "dev", "composeExtension/submitAction", {"commandId": RAISE_COMMAND_ID, "data": decide}
    ).json()
    assert done["task"]["value"].startswith("Your decision not to share was recorded"), done
    world.deliver()
    assert len(world.teams.connector.requests) == messages  # nobody is told


@settings(
    max_examples=4,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(extra=st.fixed_dictionaries({f: free_text for f in (*FIELDS, "label", "message")}))
def test_no_canary_reaches_teams_or_the_logs(
    world: TeamsWorld, debug_logs: io.StringIO, extra: dict[str, str]
) -> None:
    mark = secrets.token_hex(6)
    texts = {f: f"qz{mark}{f}zq {extra[f]}" for f in FIELDS}
    label = f"qz{mark}labelzq {extra['label']}"
    nhs = fresh_nhs_number()
    client_id = _client(world, label, nhs)
    sent_before = len(world.teams.connector.requests)

    concern_id = _journey(world, client_id, texts, f"qz{mark}messagezq {extra['message']}")
    _join(world, nhs)
    _refused(world, texts, mark)

    # The positive control: the lead's decrypted view holds every canary.
    view = view_concern(
        world.runtime.uow(),
        concern_id=concern_id,
        practitioner_id=world.people["chloe"],
        clock=world.clock,
        reveal_identities=True,
    )
    assert view.client_label == label and view.rationale == texts["rationale"]
    assert view.entries[0].text == texts["noticed"]
    assert view.narrowing_reason == texts["narrowing_reason"]
    assert view.protected_identities == texts["protected_identities"]
    with world.runtime.uow() as uow:
        (decision,) = [c.id for c in uow.concerns.for_client(client_id) if c.status == "not_shared"]
    kept = view_concern(
        world.runtime.uow(),
        concern_id=decision,
        practitioner_id=world.people["dev"],
        clock=world.clock,
    )
    assert (kept.not_sharing_reason, kept.rationale) == (texts["not_sharing_reason"], "")

    requests = world.teams.all_requests
    assert len(world.teams.connector.requests) - sent_before >= 8  # the journey did talk
    needles = canary_needles(mark, nhs=nhs)
    for request in requests:
        assert_no_canary(needles, **{f"teams {request.method} {request.path}": request.raw})
    assert_no_canary(
        needles,
        logs=captured_logs(debug_logs, expect="teams.keys_refreshed"),
        audit=audit_text(world.runtime.uow),
    )
