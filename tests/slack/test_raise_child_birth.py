"""`/concern child` takes a name and date of birth in its identifier field: matched, it reaches
the network's lead and deputy, and the raiser's view is the same as when nothing matched; a
bad or future date is a field error that says how to write it and never echoes it."""

from __future__ import annotations

import pytest

from bot.slack.raise_child import child_view
from bot.slack.raise_views import Context
from store.models import Concern
from tests.outsiders import KNOWN_BIRTH_TYPED, UNKNOWN_BIRTH, add_child_known_by_birth
from tests.slack.block_kit_check import view_problems
from tests.slack.raise_world import SlackWorld
from tests.slack.test_raise_child import as_seen, newest, send, world

__all__ = ["world"]  # the fixture


def test_a_name_and_date_of_birth_reaches_lead_and_deputy_and_looks_like_no_match(
    world: SlackWorld,
) -> None:
    add_child_known_by_birth(world.runtime.uow, world.clock.now())
    matched = send(world, KNOWN_BIRTH_TYPED)
    p = world.people
    assert newest(world) == {p["chloe"]: "lead", p["erin"]: "deputy", p["gail"]: "outsider"}
    world.clock.advance(minutes=1)
    unmatched = send(world, UNKNOWN_BIRTH)
    assert as_seen(matched) == as_seen(unmatched)
    assert matched["view"]["title"]["text"] == "Concern sent"
    assert newest(world) == {p["hana"]: "duty", p["ivan"]: "duty", p["gail"]: "outsider"}
    assert all(b"Brien" not in r.body for r in world.slack.requests)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Kit Secretname, 2019-02-30", "Write the date of birth as YYYY-MM-DD"),
        ("Kit Secretname, 2099-01-01", "cannot be in the future"),
    ],
)
def test_a_bad_date_of_birth_is_a_field_error_that_does_not_echo_it(
    world: SlackWorld, typed: str, says: str
) -> None:
    answer = send(world, typed)
    assert answer["response_action"] == "errors"
    assert says in answer["errors"]["identifier"]
    assert "Secretname" not in str(answer)
    assert world.count(Concern) == 0


def test_the_modal_says_how_to_give_a_name_and_date_of_birth() -> None:
    view = child_view(Context())
    assert view_problems(view, kind="modal") == []
    field = next(b for b in view["blocks"] if b.get("block_id") == "identifier")
    assert "name and date of birth" in field["label"]["text"]
    assert "Jane Smith, 2019-04-23" in field["hint"]["text"]
