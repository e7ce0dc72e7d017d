"""Every inbound Teams flow over real HTTP: install, help, inbox, the raise dialog, acknowledge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.teams.dialog import CARD_CONTENT_TYPE
from bot.teams.package import RAISE_COMMAND_ID
from handlers.concern.answers import SPECIAL_CATEGORY_NEEDED
from store.models import Concern
from tests.directory import make_lead
from tests.teams.fake_connector import APP_ID, TENANT_ID, FakeTeams
from tests.teams.inbound_world import TeamsWorld, teams_world


@pytest.fixture
def world(
    engine: Engine, tmp_path: Path, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsWorld]:
    with teams_world(engine, tmp_path, teams, monkeypatch) as w:
        w.put_on_teams("chloe", "dev")
        yield w


def card_of(task: dict[str, Any]) -> dict[str, Any]:
    value = task["task"]["value"]
    assert value["card"]["contentType"] == CARD_CONTENT_TYPE
    content: dict[str, Any] = value["card"]["content"]
    return content


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("type", "").startswith("Input."):
                found[item["id"]] = item
            walk(item.get("items", []))

    walk(card["body"])
    return found


def submit_data(card: dict[str, Any]) -> dict[str, Any]:
    # the first submit (Next, Send); card 2 also has "Ask for advice first"
    action = next(a for a in card["actions"] if a["type"] == "Action.Submit")
    return dict(action["data"])


def open_dialog(world: TeamsWorld, ref: str, *, from_chat: bool = False) -> dict[str, Any]:
    value: dict[str, Any]
    if from_chat:
        value = {"data": {"msteams": {"type": "task/fetch"}, "flare_step": "open"}}
        answer = world.invoke(ref, "task/fetch", value)
    else:
        value = {"commandId": RAISE_COMMAND_ID, "commandContext": "message"}
        answer = world.invoke(ref, "composeExtension/fetchTask", value)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def submit(
    world: TeamsWorld, ref: str, data: dict[str, Any], *, from_chat: bool = False
) -> dict[str, Any]:
    name = "task/submit" if from_chat else "composeExtension/submitAction"
    value = {"data": data} if from_chat else {"commandId": RAISE_COMMAND_ID, "data": data}
    answer = world.invoke(ref, name, value)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


ANSWERS = {
    "noticed": "Arrived hungry again, third time this week",
    "family_informed": "not_safe",
    "family_reason": "Telling them could put the child at risk",
    "rationale": "Pattern of neglect; the lead needs to know",
    "lawful_basis": "public_task",
    "protected_identities": "",
    "narrowing_reason": "",
}


def raise_in_dialog(
    world: TeamsWorld, ref: str, client: str, *, from_chat: bool = False, **answers: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    first = card_of(open_dialog(world, ref, from_chat=from_chat))
    step = submit_data(first) | {
        "client": world.clients[client],
        "category": "neglect",
        "severity": "high",
    }
    second = card_of(submit(world, ref, step, from_chat=from_chat))
    send = submit_data(second) | {"recipients": inputs(second)["recipients"]["value"]}
    send |= ANSWERS | answers
    return send, submit(world, ref, send, from_chat=from_chat)


def concerns(world: TeamsWorld) -> list[Concern]:
    with world.runtime.uow() as uow:
        rows = list(uow.session.scalars(select(Concern)))
        for row in rows:
            uow.session.expunge(row)
        return rows


# Installing the bot, identity, help


@pytest.mark.parametrize("kind", ["conversationUpdate", "installationUpdate"])
def test_installing_the_bot_links_the_user_and_stores_the_conversation(
    world: TeamsWorld, kind: str
) -> None:
    fields: dict[str, Any] = (
        {"membersAdded": [{"id": f"28:{APP_ID}"}]} if kind == "conversationUpdate" else {}
    )
    if kind == "installationUpdate":
        fields["action"] = "add"
    assert world.post(world.activity("chloe", kind, **fields)).status_code == 200
    tenant, aad, conversation = world.linked("chloe")
    assert (tenant, aad) == (TENANT_ID, world.aad["chloe"])
    assert conversation == {
        "id": f"a:{world.aad['chloe']}",
        "serviceUrl": world.teams.connector.url,
        "tenantId": TENANT_ID,
        "userId": f"29:{world.aad['chloe']}",
        "botId": f"28:{APP_ID}",
    }
    (welcome,) = world.messages("chloe")
    card = welcome.activity["attachments"][0]["content"]
    assert "Raise a concern" in str(card["actions"])
    # The member lookup went to the Bot Connector with the bot's token.
    lookups = [r for r in world.teams.connector.requests if "/members/" in r.path]
    assert len(lookups) == 1 and lookups[0].method == "GET"


def test_an_unknown_user_is_told_to_ask_their_admin_and_nothing_is_stored(
    world: TeamsWorld,
) -> None:
    world.put_on_teams("femi", upn="someone.else@elsewhere.invalid")
    before = world.counts()
    assert world.say("femi", "help").status_code == 200
    assert world.linked("femi") == (None, None, None)
    (reply,) = world.messages("femi")
    assert "not registered in Flare" in reply.activity["text"]
    assert world.counts()["audit"] == before["audit"] + 1  # the refusal, and nothing else
    (refusal,) = world.audit_details("identity.refused")
    assert refusal["reason"] == "no_match" and refusal["user"] == world.aad["femi"]


def test_once_linked_the_member_lookup_is_not_repeated(world: TeamsWorld) -> None:
    for _ in range(3):
        assert world.say("chloe", "help").status_code == 200
    assert len([r for r in world.teams.connector.requests if "/members/" in r.path]) == 1
    assert len(world.messages("chloe")) == 3


def test_a_redelivered_message_is_answered_once(world: TeamsWorld) -> None:
    activity = world.activity("chloe", "message", text="help")
    assert world.post(activity).status_code == 200
    assert world.post(activity).status_code == 200
    assert len(world.messages("chloe")) == 1


def test_help_is_also_the_answer_to_anything_else(world: TeamsWorld) -> None:
    world.say("chloe", "<at>Flare</at> what can you do?")
    (reply,) = world.messages("chloe")
    assert reply.activity["summary"] == "How to use Flare"


# The raise dialog


def test_raise_from_the_message_extension_in_two_cards(world: TeamsWorld) -> None:
    first = card_of(open_dialog(world, "dev"))
    fields = inputs(first)
    assert set(fields) == {"client", "category", "severity"}
    refs = {c["title"] for c in fields["client"]["choices"]}
    assert refs == {"C-1001", "C-1002"}  # Dev's networks, by reference only
    assert "Jamie" not in str(first) and "Sky" not in str(first)

    send, done = raise_in_dialog(world, "dev", "C-1001")
    assert done["task"]["type"] == "message"
    assert done["task"]["value"].startswith("Concern sent to 3 people")
    (concern,) = concerns(world)
    assert concern.raiser_id == world.people["dev"]
    assert concern.submission_key == send["submission_key"]
    # Nothing was posted to any conversation by raising.
    assert world.teams.connector.activity_requests == []


def test_the_second_card_recommends_and_lets_the_raiser_narrow(world: TeamsWorld) -> None:
    first = card_of(open_dialog(world, "dev"))
    step = submit_data(first) | {
        "client": world.clients["C-1001"],
        "category": "health",
        "severity": "low",
    }
    second = card_of(submit(world, "dev", step))
    recipients = inputs(second)["recipients"]
    chosen = set(recipients["value"].split(","))
    # the routing policy's default: the whole network (the raiser aside)
    assert chosen == {world.people[p] for p in ("chloe", "erin", "amara")}
    assert world.people["amara"] in {c["value"] for c in recipients["choices"]}
    # Narrowing to the lead alone without a reason is refused, with the answers kept.
    send = submit_data(second) | ANSWERS | {"recipients": world.people["chloe"]}
    # A health concern is special category data: an Article 9 condition is asked first.
    assert SPECIAL_CATEGORY_NEEDED in str(card_of(submit(world, "dev", send)))
    send["special_category"] = "safeguarding"
    again = submit(world, "dev", send)
    card = card_of(again)
    assert "Say why you changed who it goes to" in str(card)
    assert inputs(card)["noticed"]["value"] == ANSWERS["noticed"]
    assert concerns(world) == []
    send["narrowing_reason"] = "Only the school needs this"
    done = submit(world, "dev", send)
    assert done["task"]["value"].startswith("Concern sent to 1 person")


def test_raise_from_the_personal_chat(world: TeamsWorld) -> None:
    _, done = raise_in_dialog(world, "dev", "C-1002", from_chat=True)
    assert done["task"]["value"].startswith("Concern sent to")
    assert len(concerns(world)) == 1


def test_a_redelivered_submit_raises_one_concern(world: TeamsWorld) -> None:
    send, done = raise_in_dialog(world, "dev", "C-1001")
    again = submit(world, "dev", send)  # a new activity id, the same submission key
    assert again == done
    assert len(concerns(world)) == 1


def test_missing_answers_come_back_as_errors(world: TeamsWorld) -> None:
    first = card_of(open_dialog(world, "dev"))
    back = card_of(submit(world, "dev", submit_data(first)))
    assert "Choose what kind of concern it is" in str(back)
    step = submit_data(first) | {
        "client": world.clients["C-1003"],
        "category": "neglect",
        "severity": "low",
    }
    back = card_of(submit(world, "dev", step))  # Dev is not in C-1003's network
    assert "Choose a client whose network you are in" in str(back)
    _, done = raise_in_dialog(world, "dev", "C-1001", rationale="")
    assert "Enter why sharing is necessary and proportionate" in str(card_of(done))
    assert concerns(world) == []


def test_another_command_or_invoke_is_answered_empty(world: TeamsWorld) -> None:
    before = world.counts()
    other = world.invoke("dev", "composeExtension/fetchTask", {"commandId": "somethingElse"})
    assert (other.status_code, other.json()) == (200, {})
    unknown = world.invoke("dev", "composeExtension/queryLink", {"url": "https://x.test"})
    assert (unknown.status_code, unknown.json()) == (200, {})
    assert world.counts() == before


def test_a_stranger_cannot_open_the_dialog(world: TeamsWorld) -> None:
    world.put_on_teams("femi", upn="nobody@elsewhere.invalid")
    answer = open_dialog(world, "femi")
    assert answer["task"]["type"] == "message"
    assert "not registered in Flare" in answer["task"]["value"]


# Pointers, acknowledge from the card, inbox


def acknowledge_value(concern_id: str) -> dict[str, Any]:
    return {
        "action": {
            "type": "Action.Execute",
            "verb": "acknowledge",
            "data": {"concern": concern_id},
        },
        "trigger": "manual",
    }


def test_the_lead_acknowledges_from_the_card_and_the_raiser_gets_a_receipt(
    world: TeamsWorld,
) -> None:
    world.say("chloe", "help")  # Chloe has the bot; her conversation is stored
    raise_in_dialog(world, "dev", "C-1001")
    world.deliver()
    (pointer,) = [
        m
        for m in world.messages("chloe")
        if "attachments" in m.activity and "new concern" in m.activity["summary"]
    ]
    card = pointer.activity["attachments"][0]["content"]
    (execute,) = [a for a in card["actions"] if a["type"] == "Action.Execute"]
    assert execute["verb"] == "acknowledge"

    answer = world.invoke(
        "chloe", "adaptiveCard/action", acknowledge_value(execute["data"]["concern"])
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["statusCode"] == 200 and body["type"] == CARD_CONTENT_TYPE
    assert "Acknowledged by you" in str(body["value"])
    assert "'verb': 'acknowledge'" not in str(body["value"])  # Close stays, for the lead
    assert "'verb': 'close'" in str(body["value"])
    (concern,) = concerns(world)
    assert concern.acknowledged_by_id == world.people["chloe"]

    # Pressing it again (or a redelivery) gives the same refreshed card and changes nothing.
    again = world.invoke("chloe", "adaptiveCard/action", acknowledge_value(concern.id))
    assert "Acknowledged by you" in str(again.json()["value"])

    world.deliver()
    receipts = [
        m
        for m in world.messages("dev")
        if "acknowledged the concern you raised" in m.activity.get("summary", "")
    ]
    assert len(receipts) == 1
    # The original card was also updated in place through the outbox.
    assert pointer.versions or world.teams.connector.messages[pointer.activity_id].versions


def close_value(concern_id: str, outcome: str | None) -> dict[str, Any]:
    data = {"concern": concern_id} | ({"outcome": outcome} if outcome is not None else {})
    return {"action": {"type": "Action.Execute", "verb": "close", "data": data}}


def test_the_lead_closes_from_the_card_and_the_raiser_and_network_are_told(
    world: TeamsWorld,
) -> None:
    world.say("chloe", "help")
    world.say("dev", "help")
    raise_in_dialog(world, "dev", "C-1001")
    world.deliver()
    (pointer,) = [m for m in world.messages("chloe") if "new concern" in m.activity["summary"]]
    card = pointer.activity["attachments"][0]["content"]
    (close,) = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
    (execute,) = close["card"]["actions"]
    assert execute["verb"] == "close"
    choices = [c["value"] for c in close["card"]["body"][0]["choices"]]
    assert "other" not in choices and "police" in choices  # a note is typed on the page
    concern_id = execute["data"]["concern"]

    for outcome in (None, "other", "finished"):
        answer = world.invoke("chloe", "adaptiveCard/action", close_value(concern_id, outcome))
        assert "Choose how the concern was resolved" in answer.json()["value"]
    member = world.invoke("dev", "adaptiveCard/action", close_value(concern_id, "police"))
    assert "Only the lead professional" in member.json()["value"]
    assert concerns(world)[0].status == "open"
    done = world.invoke("chloe", "adaptiveCard/action", close_value(concern_id, "early_help"))
    assert done.status_code == 200 and "The concern is closed" in done.json()["value"]
    (concern,) = concerns(world)
    assert (concern.status, concern.outcome) == ("closed", "early_help")
    world.deliver()
    (told,) = [m for m in world.messages("dev") if "has been closed" in m.activity["summary"]]
    assert "early" not in str(told.activity).lower()


def test_a_member_cannot_acknowledge(world: TeamsWorld) -> None:
    world.say("dev", "help")
    raise_in_dialog(world, "chloe", "C-1002")  # Dev is a member of C-1002's network
    (concern,) = concerns(world)
    answer = world.invoke("dev", "adaptiveCard/action", acknowledge_value(concern.id))
    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "Only the lead professional" in body["value"]
    assert concerns(world)[0].acknowledged_at is None


def test_a_lead_the_concern_was_not_delivered_to_cannot_acknowledge_from_teams(
    world: TeamsWorld,
) -> None:
    """Dev narrowed the concern to Chloe; Erin leads C-1001 since: the card action is refused."""
    world.put_on_teams("erin")
    world.say("erin", "help")
    raise_in_dialog(
        world,
        "dev",
        "C-1001",
        recipients=world.people["chloe"],
        narrowing_reason="Only the lead needs this",
    )
    (concern,) = concerns(world)
    make_lead(world.runtime.uow, world.clients["C-1001"], world.people["erin"])
    with world.runtime.uow() as uow:
        assert uow.concerns.delivery_for(concern.id, world.people["erin"]) is None
    answer = world.invoke("erin", "adaptiveCard/action", acknowledge_value(concern.id))
    assert "Only the lead professional" in answer.json()["value"]
    assert concerns(world)[0].acknowledged_at is None
    before = len(world.messages("erin"))
    world.say("erin", "inbox")
    assert world.messages("erin")[before].activity["text"] == (
        "Nothing is waiting for you in Flare."
    )


def test_inbox_sends_fresh_links_for_what_is_waiting(world: TeamsWorld) -> None:
    world.say("chloe", "help")
    raise_in_dialog(world, "dev", "C-1001")
    raise_in_dialog(world, "dev", "C-1002")  # Chloe is deputy there
    world.deliver()
    before = len(world.messages("chloe"))
    assert world.say("chloe", "inbox").status_code == 200
    reply = world.messages("chloe")[before]
    assert reply.activity["text"] == (
        "Waiting for you: 2 to acknowledge. Fresh links follow, one message each."
    )
    world.deliver()
    fresh = [m for m in world.messages("chloe") if "fresh link" in m.activity.get("summary", "")]
    assert len(fresh) == 2
    links = {
        a["url"]
        for m in fresh
        for a in m.activity["attachments"][0]["content"]["actions"]
        if a["type"] == "Action.OpenUrl"
    }
    assert len(links) == 2 and all(u.startswith("https://flare.test/l/") for u in links)
    # Asking again straight away queues nothing new.
    world.say("chloe", "inbox")
    world.deliver()
    assert (
        len([m for m in world.messages("chloe") if "fresh link" in m.activity.get("summary", "")])
        == 2
    )


def test_inbox_with_nothing_waiting(world: TeamsWorld) -> None:
    world.say("chloe", "inbox")
    (reply,) = world.messages("chloe")
    assert reply.activity["text"] == "Nothing is waiting for you in Flare."


def test_inbox_in_a_channel_points_to_the_personal_chat(world: TeamsWorld) -> None:
    world.say("chloe", "help")
    before = world.counts()["outbox"]
    activity = world.activity("chloe", "message", text="<at>Flare</at> inbox")
    activity["conversation"]["conversationType"] = "channel"
    world.post(activity)
    reply = world.messages("chloe")[-1]
    assert reply.activity["text"] == "Ask for your inbox in your personal chat with Flare."
    assert world.counts()["outbox"] == before


def test_a_decision_not_to_share_is_recorded_from_the_dialog_and_told_to_no_one(
    world: TeamsWorld,
) -> None:
    first = card_of(open_dialog(world, "dev"))
    step = submit_data(first) | {
        "client": world.clients["C-1001"],
        "category": "neglect",
        "severity": "low",
    }
    second = card_of(submit(world, "dev", step))
    decision = inputs(second)["decision"]
    assert decision["value"] == "share" and "isRequired" not in inputs(second)["rationale"]
    send = submit_data(second) | ANSWERS | {"rationale": "", "decision": "not_share"}
    card = card_of(submit(world, "dev", send))
    assert "Say why you decided not to share" in str(card) and concerns(world) == []
    send["not_sharing_reason"] = "The family is already getting help from us"
    done = submit(world, "dev", send)
    assert done["task"]["value"].startswith("Your decision not to share was recorded")
    (concern,) = concerns(world)
    assert concern.status == "not_shared" and concern.rationale_ct is None
    world.deliver()
    assert world.teams.connector.activity_requests == []  # nobody is told
