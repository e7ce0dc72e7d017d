"""Protected identities: withheld from everyone but the client's lead and the raiser, who
reveal them with an audited request; the chronology never shows them. SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from sqlalchemy import select

from handlers.concern.answers import RaiseAnswers
from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.concern.outsider import SentAboutChild, raise_about_child
from handlers.concern.viewing import (
    ConcernView,
    MayNotReveal,
    NoAccess,
    view_concern,
    view_concern_page,
)
from handlers.deadlines import WorkingCalendar
from handlers.protected_rule import (
    count_identities,
    may_see_protected_identities,
    withheld_sentence,
)
from store.models import AuditEvent
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.no_leak import assert_no_canary, audit_text
from tests.outsiders import KNOWN_NHS, add_outside_organisation
from tests.raising import raise_for_test

UowFactory = Callable[[], UnitOfWork]
CANARY = f"PROTECTEDCANARY{secrets.token_hex(4)}"
NAMES = f"{CANARY} the neighbour\nher sister, {CANARY}"  # three people
SEES = {"chloe": True, "amara": True, "erin": False, "dev": False}  # lead, raiser, deputy, member


def _raised(uow_factory: UowFactory, clock: FakeClock) -> tuple[Directory, str]:
    d = seed_directory(uow_factory, clock.now())
    raised = raise_for_test(
        uow_factory,
        d,
        clock,
        WorkingCalendar(),
        raiser="amara",
        recipients=[d.people[ref] for ref in ("chloe", "erin", "dev")],
        protected_identities=NAMES,
    )
    return d, raised.concern_id


def _view(uow_factory: UowFactory, d: Directory, clock: FakeClock, who: str, concern: str, *,
          reveal: bool = False) -> ConcernView:  # fmt: skip
    return view_concern(
        uow_factory(),
        concern_id=concern,
        practitioner_id=d.people[who],
        clock=clock,
        reveal_identities=reveal,
    )


def _actions(uow_factory: UowFactory, action: str) -> list[AuditEvent]:
    with uow_factory() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        found = list(rows)
        for row in found:
            uow.session.expunge(row)
        return found


@pytest.mark.parametrize("who", sorted(SEES))
def test_every_reader_sees_them_withheld_and_only_the_lead_and_raiser_may_reveal(
    uow_factory: UowFactory, clock: FakeClock, who: str
) -> None:
    d, concern_id = _raised(uow_factory, clock)
    view = _view(uow_factory, d, clock, who, concern_id)
    assert CANARY not in repr(view)  # hidden by default, even from the lead and the raiser
    assert view.protected_count == 3
    assert view.viewer_may_reveal is SEES[who]
    if SEES[who]:
        revealed = _view(uow_factory, d, clock, who, concern_id, reveal=True)
        assert revealed.protected_identities == NAMES
        (row,) = _actions(uow_factory, "concern.identities_revealed")
        assert row.actor_id == d.people[who] and row.concern_id == concern_id
        assert row.detail == {"via": "web"}
    else:
        with pytest.raises(MayNotReveal):
            _view(uow_factory, d, clock, who, concern_id, reveal=True)
        assert _actions(uow_factory, "concern.identities_revealed") == []
    assert_no_canary([CANARY], audit=audit_text(uow_factory))


def test_someone_outside_the_network_sees_nothing_and_may_not_reveal(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d, concern_id = _raised(uow_factory, clock)
    for reveal in (False, True):
        with pytest.raises(NoAccess):
            _view(uow_factory, d, clock, "femi", concern_id, reveal=reveal)
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        assert not may_see_protected_identities(uow, concern, d.people["femi"])
    assert _actions(uow_factory, "concern.identities_revealed") == []


def test_the_rule_follows_the_present_a_lead_made_deputy_loses_it_the_new_lead_has_it(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d, concern_id = _raised(uow_factory, clock)
    with uow_factory() as uow:  # the directory makes Erin the lead, Chloe her deputy
        for who, role in (("chloe", "deputy"), ("erin", "lead")):
            membership = uow.directory.membership(d.clients["C-1001"], d.people[who])
            assert membership is not None
            membership.role = role
        uow.commit()
    with pytest.raises(MayNotReveal):
        _view(uow_factory, d, clock, "chloe", concern_id, reveal=True)
    page = view_concern_page(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert page.view.viewer_may_reveal is False and page.view.protected_count == 3
    revealed = _view(uow_factory, d, clock, "erin", concern_id, reveal=True)
    assert revealed.protected_identities == NAMES


def test_a_raiser_from_outside_the_network_may_not_see_them(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    seed_directory(uow_factory, clock.now())
    outsiders = add_outside_organisation(uow_factory, clock.now())
    answers = RaiseAnswers(
        category="neglect",
        severity="high",
        noticed="Always hungry",
        rationale="A pattern the school should see",
        lawful_basis="public_task",
        family_informed="not_safe",
        family_reason="Could raise the risk",
        protected_identities=NAMES,
        submission_key="outside-1",
    )
    sent = raise_about_child(
        uow_factory(),
        answers,
        identifier=KNOWN_NHS,
        raiser_id=outsiders["gail"],
        clock=clock,
        calendar=WorkingCalendar(),
    )
    assert isinstance(sent, SentAboutChild)
    with uow_factory() as uow:
        concern = uow.concerns.get(sent.concern_id)
        assert concern is not None
        assert not may_see_protected_identities(uow, concern, outsiders["gail"])


def test_the_chronology_never_shows_them(uow_factory: UowFactory, clock: FakeClock) -> None:
    d, _concern_id = _raised(uow_factory, clock)
    for who in SEES:
        seen = chronology(
            uow_factory(),
            client_id=d.clients["C-1001"],
            practitioner_id=d.people[who],
            filters=ChronologyFilters(),
            clock=clock,
        )
        assert seen.events and CANARY not in repr(seen), who


def test_entries_are_counted_by_line_comma_or_semicolon_never_by_length() -> None:
    assert count_identities("") == 0
    assert count_identities(" \n , ;") == 0
    assert count_identities("the neighbour") == 1
    assert count_identities("A, B; C\nD\r\n\nE") == 5
    assert count_identities("x" * 500) == count_identities("x") == 1
    assert withheld_sentence(1) == "1 person's identity is withheld"
    assert withheld_sentence(3) == "3 people's identities are withheld"
