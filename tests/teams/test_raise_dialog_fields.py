"""The Teams raise dialog asks the questions `handlers.concern.answers` describes, with their
labels and messages, and a submit sent twice at once is one concern."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.teams.dialog import RaiseDialog
from handlers.concern.answers import BY_NAME, RaiseAnswers
from store.crypto import KeyRing
from store.models import Concern
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory
from tests.fakes import surface_dependencies
from tests.racing import RacingClock, postgres_units_of_work

Factory = Callable[[], UnitOfWork]
ADVICE = "https://flare.test/raise/advice"
ANSWERS = {
    "noticed": "Arrived hungry again",
    "family_informed": "yes",
    "rationale": "The lead needs to know",
    "lawful_basis": "public_task",
}


def card(answer: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = answer["task"]["value"]["card"]["content"]
    return content


def inputs(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in shown["body"] if i["type"].startswith("Input.")}


def submit_data(shown: dict[str, Any]) -> dict[str, Any]:
    # the first submit (Next, Send); card 2 also has "Ask for advice first"
    action = next(a for a in shown["actions"] if a["type"] == "Action.Submit")
    return dict(action["data"])


def test_both_cards_ask_the_answers_fields_with_their_labels_and_messages(
    uow_factory: Factory,
) -> None:
    clock = FakeClock()
    d = seed_directory(uow_factory, clock.now())
    dialog = RaiseDialog(surface_dependencies(uow_factory, clock), ADVICE)
    first = card(dialog.open(d.people["amara"]))
    routing = {"client": d.clients["C-1001"], "category": "neglect", "severity": "high"}
    second = card(dialog.submit(d.people["amara"], submit_data(first) | routing))
    asked = inputs(first) | inputs(second)
    carried = set(submit_data(first)) - {"flare_step"}  # the submission key, minted at open
    assert set(asked) | carried == {f.name for f in fields(RaiseAnswers)}
    assert {name: i["label"] for name, i in asked.items()} == {
        name: BY_NAME[name].label for name in asked
    }
    for name, shown in asked.items():
        if shown.get("isRequired"):
            assert shown["errorMessage"] == BY_NAME[name].missing, name


def test_a_bad_category_or_severity_gets_the_one_message(uow_factory: Factory) -> None:
    clock = FakeClock()
    d = seed_directory(uow_factory, clock.now())
    dialog = RaiseDialog(surface_dependencies(uow_factory, clock), ADVICE)
    data = submit_data(card(dialog.open(d.people["amara"])))
    bad = data | {"client": d.clients["C-1001"], "category": "bogus", "severity": ""}
    again = str(card(dialog.submit(d.people["amara"], bad)))
    assert BY_NAME["category"].missing in again and BY_NAME["severity"].missing in again
    send = data | {"flare_step": "send", "client": d.clients["C-1001"], "category": "neglect"}
    again = str(card(dialog.submit(d.people["amara"], send | ANSWERS | {"severity": "urgent"})))
    assert BY_NAME["severity"].missing in again


@pytest.fixture
def pg_uow_factory(pg_url: str, ring: KeyRing) -> Iterator[Factory]:
    with postgres_units_of_work(pg_url, ring) as factory:
        yield factory


@pytest.mark.postgres
def test_a_submit_sent_twice_at_once_is_one_concern(pg_uow_factory: Factory) -> None:
    d = seed_directory(pg_uow_factory, FakeClock().now())
    amara = d.people["amara"]
    opened = RaiseDialog(surface_dependencies(pg_uow_factory, FakeClock()), ADVICE).open(amara)
    routing = {"client": d.clients["C-1001"], "category": "neglect", "severity": "high"}
    step = submit_data(card(opened)) | routing
    second = card(
        RaiseDialog(surface_dependencies(pg_uow_factory, FakeClock()), ADVICE).submit(amara, step)
    )
    send = submit_data(second) | ANSWERS | {"recipients": inputs(second)["recipients"]["value"]}

    clock = RacingClock()
    racing = RaiseDialog(surface_dependencies(pg_uow_factory, clock), ADVICE)
    other = RaiseDialog(surface_dependencies(pg_uow_factory, FakeClock()), ADVICE)
    clock.races.append(lambda: other.submit(amara, send))
    answer = racing.submit(amara, send)
    (first,) = clock.outcomes
    assert answer == first and answer["task"]["type"] == "message"
    with pg_uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Concern)) == 1
