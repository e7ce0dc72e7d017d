"""The platform-agnostic rules chat surfaces share: client choice, answers, my work with links."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.concern.answers import RaiseAnswers, to_command
from handlers.concern.opening import Opened, Refusal, Refused, check_token, open_link
from handlers.concern.raising import Raised, raise_concern
from handlers.follow_through.acknowledge import acknowledge
from handlers.invalid import Invalid
from handlers.my_work.linked import awaiting_with_links
from handlers.network.client_lookup import client_options, match_client, resolve_client
from handlers.values import Category, Severity
from store.models import FollowUp, new_id
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, seed_directory

Factory = Callable[[], UnitOfWork]
NHS_C1001 = "943 476 5919"


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def test_options_are_references_of_my_networks_only(
    uow_factory: Factory, directory: Directory
) -> None:
    options = client_options(uow_factory(), directory.people["dev"])
    assert [o.reference for o in options] == ["C-1001", "C-1002"]
    assert client_options(uow_factory(), directory.people["femi"]) == ()


def test_typed_reference_or_identifier_matches_only_my_clients(
    uow_factory: Factory, directory: Directory
) -> None:
    amara, ben = directory.people["amara"], directory.people["ben"]
    c1001 = directory.clients["C-1001"]
    assert match_client(uow_factory(), amara, "c-1001") == c1001
    assert match_client(uow_factory(), amara, NHS_C1001) == c1001
    assert match_client(uow_factory(), ben, NHS_C1001) is None  # not in Ben's networks
    assert match_client(uow_factory(), amara, "Jamie Rivers") is None  # no plaintext search
    assert match_client(uow_factory(), amara, "") is None


def test_resolve_client_never_echoes_what_was_typed(
    uow_factory: Factory, directory: Directory
) -> None:
    amara = directory.people["amara"]
    c1001, c1003 = directory.clients["C-1001"], directory.clients["C-1003"]
    assert resolve_client(uow_factory(), amara, chosen=c1001, identifier="") == c1001
    assert resolve_client(uow_factory(), amara, chosen="", identifier=NHS_C1001) == c1001
    for chosen, typed, field in [
        ("", "", "client"),
        (directory.clients["C-1002"], "", "client"),  # not Amara's
        ("", "9434765870", "identifier"),  # C-1002's number: not hers either
        (c1003, NHS_C1001, "identifier"),  # two different clients
    ]:
        outcome = resolve_client(uow_factory(), amara, chosen=chosen, identifier=typed)
        assert isinstance(outcome, Invalid) and set(outcome.errors) == {field}
        assert not typed or all(typed not in m for m in outcome.errors.values())


def test_answers_parse_choices_into_field_errors() -> None:
    cmd, errors = to_command(
        RaiseAnswers(client="x", category="neglect", severity="bogus"),
        "p",
        with_recipients=False,
        via="slack",
    )
    assert cmd.category is Category.NEGLECT and cmd.via == "slack" and cmd.recipients is None
    assert set(errors) == {"severity", "family_informed", "lawful_basis"}
    cmd, _ = to_command(RaiseAnswers(recipients=("a",)), "p", with_recipients=True)
    assert cmd.recipients == ["a"] and cmd.severity is Severity.LOW


def test_my_work_lists_with_fresh_links_of_my_own(
    uow_factory: Factory,
    directory: Directory,
    clock: FakeClock,
    minter: FakeMinter,
    calendar: object,
) -> None:
    amara, chloe = directory.people["amara"], directory.people["chloe"]
    answers = RaiseAnswers(
        client=directory.clients["C-1001"],
        category="neglect",
        severity="high",
        noticed="seen",
        family_informed="yes",
        rationale="why",
        lawful_basis="public_task",
        submission_key="k1",
    )
    cmd, _ = to_command(answers, amara, with_recipients=False)
    raised = raise_concern(cmd, uow_factory(), clock, calendar)  # type: ignore[arg-type]
    assert isinstance(raised, Raised)
    with uow_factory() as uow:
        uow.concerns.add(
            FollowUp(
                id=new_id(),
                concern_id=raised.concern_id,
                owner_id=chloe,
                created_by_id=chloe,
                due_at=clock.now(),
            )
        )
        uow.commit()

    mine = awaiting_with_links(
        uow_factory(), practitioner_id=chloe, minter=minter, clock=clock, via="test"
    )
    assert len(mine.awaiting.to_acknowledge) == 1 and len(mine.awaiting.follow_ups) == 1
    assert len(mine.awaiting.raised) == 0
    item = mine.awaiting.to_acknowledge[0]
    link = mine.links.get(item.concern_id)
    assert item.severity is Severity.HIGH and link is not None
    token = link.rsplit("/", 1)[1]
    target = check_token(uow_factory(), token, clock)
    assert not isinstance(target, Invalid)
    opened = open_link(
        uow_factory(),
        link_id=target.link_id,  # type: ignore[union-attr]
        practitioner_id=chloe,
        clock=clock,
    )
    assert isinstance(opened, Opened)

    theirs = awaiting_with_links(
        uow_factory(), practitioner_id=amara, minter=minter, clock=clock, via="t"
    )
    assert len(theirs.awaiting.raised) == 1
    assert theirs.links.get(theirs.awaiting.raised[0].concern_id) is not None
    assert len(theirs.awaiting.to_acknowledge) == 0
    pending = awaiting_with_links(
        uow_factory(), practitioner_id=amara, minter=minter, clock=clock, via="t", raised=False
    )
    assert pending.links == {}  # `/concern inbox` shows no raised list, so mints no link

    acknowledge(uow_factory(), concern_id=raised.concern_id, practitioner_id=chloe, clock=clock)
    clock.advance(hours=2)  # the first home link has lapsed (short-lived)
    assert check_token(uow_factory(), token, clock) == Refused(Refusal.EXPIRED)
    again = awaiting_with_links(
        uow_factory(), practitioner_id=chloe, minter=minter, clock=clock, via="t"
    )
    assert len(again.awaiting.to_acknowledge) == 0
