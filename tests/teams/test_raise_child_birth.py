"""The Teams "Raise about any child" card takes a name and date of birth in its identifier
field: matched, it reaches the network's lead and deputy and closes the dialog with the same
words as when nothing matched; a bad or future date comes back to correct, saying how to
write it, without echoing it. Every card passes the Adaptive Cards renderer."""

from __future__ import annotations

import pytest

from handlers.concern.outsider import SENT
from tests.outsiders import KNOWN_BIRTH_TYPED, UNKNOWN_BIRTH, add_child_known_by_birth
from tests.teams.inbound_world import TeamsWorld
from tests.teams.test_inbound_flows import card_of
from tests.teams.test_raise_child import newest, send, world

__all__ = ["world"]  # the fixture


def test_a_name_and_date_of_birth_reaches_lead_and_deputy_and_looks_like_no_match(
    world: TeamsWorld,
) -> None:
    add_child_known_by_birth(world.runtime.uow, world.clock.now())
    matched = send(world, KNOWN_BIRTH_TYPED)
    p = world.people
    assert newest(world) == {p["chloe"]: "lead", p["erin"]: "deputy", p["gail"]: "outsider"}
    world.clock.advance(minutes=1)
    unmatched = send(world, UNKNOWN_BIRTH)
    assert matched == unmatched == {"task": {"type": "message", "value": SENT + "."}}
    assert newest(world) == {p["hana"]: "duty", p["ivan"]: "duty", p["gail"]: "outsider"}
    world.deliver()  # the pointers to the lead, deputy and safeguarding people
    assert world.teams.connector.activity_requests
    sent = b"".join(r.raw for r in world.teams.connector.requests)
    assert b"Brien" not in sent and b"2019-04-2" not in sent  # pointers only


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Kit Secretname, 2019-02-30", "Write the date of birth as YYYY-MM-DD"),
        ("Kit Secretname, 2099-01-01", "cannot be in the future"),
    ],
)
def test_a_bad_date_of_birth_comes_back_to_correct_without_it(
    world: TeamsWorld, typed: str, says: str
) -> None:
    again = card_of(send(world, typed))
    assert says in str(again) and "Secretname" not in str(again)
    field = next(i for i in again["body"] if i.get("id") == "identifier")
    assert "name and date of birth" in field["label"]
