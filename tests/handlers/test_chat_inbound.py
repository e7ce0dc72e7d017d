"""Handlers the chat adapters share: answers parsing, conversation references, retries, inbox."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from handlers.concern.answers import parse_answers
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import acknowledge
from handlers.follow_through.acknowledged_card import acknowledged_pointer
from handlers.my_work.resend import resend_pending
from handlers.outbox.conversations import ConversationReference, remember_conversation
from handlers.retention.inbound_keys import first_delivery, inbound_key
from handlers.values import (
    FamilyInformed,
    Platform,
    PointerKind,
    Severity,
)
from store.models import OutboxMessage
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.raising import raise_for_test

REFERENCE = ConversationReference(
    service_url="https://smba.trafficmanager.net/uk/",
    conversation_id="a:1xYz-_abc",
    tenant_id="11111111-1111-1111-1111-111111111111",
    user_id="29:1abc",
    bot_id="28:00000000-0000-0000-0000-00000000b07a",
)


def test_parse_answers_turns_bad_choices_into_field_errors() -> None:
    cmd, errors = parse_answers(
        {"client": "", "category": "nonsense", "severity": "high", "recipients": "a,b,"},
        "p1",
        with_recipients=True,
        via="teams",
    )
    assert set(errors) == {"client", "category", "family_informed", "lawful_basis"}
    assert cmd.severity is Severity.HIGH and cmd.via == "teams"
    assert list(cmd.recipients or []) == ["a", "b"]
    cmd, _ = parse_answers({"recipients": ["x", 3, ""]}, "p1", with_recipients=True)
    assert list(cmd.recipients or []) == ["x"]
    cmd, _ = parse_answers({"recipients": ["x"]}, "p1", with_recipients=False)
    assert cmd.recipients is None


@pytest.mark.parametrize(
    "change",
    [
        {"service_url": "https://evil.example/?q=Jamie Rivers"},
        {"service_url": "ftp://smba.example/"},
        {"conversation_id": "a:1 Jamie Rivers"},
        {"user_id": ""},
        {"tenant_id": "x" * 300},
    ],
)
def test_a_conversation_reference_holds_ids_only(change: dict[str, str]) -> None:
    values = {**REFERENCE.__dict__, **change}
    with pytest.raises(ValueError):
        ConversationReference(**values)


def test_remember_conversation_stores_once_and_audits(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    chloe = d.people["chloe"]
    assert remember_conversation(
        uow_factory(), practitioner_id=chloe, reference=REFERENCE, clock=clock
    )
    assert not remember_conversation(
        uow_factory(), practitioner_id=chloe, reference=REFERENCE, clock=clock
    )
    with uow_factory() as uow:
        person = uow.directory.practitioner(chloe)
        assert person is not None and person.teams_conversation == {
            "id": "a:1xYz-_abc",
            "serviceUrl": "https://smba.trafficmanager.net/uk/",
            "tenantId": "11111111-1111-1111-1111-111111111111",
            "userId": "29:1abc",
            "botId": "28:00000000-0000-0000-0000-00000000b07a",
        }


def test_first_delivery_is_true_once(uow_factory: UowFactory) -> None:
    key = "activity:" + "f" * 300  # longer than the column: hashed
    assert len(inbound_key(key)) <= 200
    assert first_delivery(uow_factory(), platform=Platform.TEAMS, key=key)
    assert not first_delivery(uow_factory(), platform=Platform.TEAMS, key=key)
    assert first_delivery(uow_factory(), platform=Platform.SLACK, key=key)


def _raise(d: Directory, uow_factory: UowFactory, clock: FakeClock, client: str) -> str:
    raised = raise_for_test(
        uow_factory,
        d,
        clock,
        WorkingCalendar(),
        raiser="dev",
        client=client,
        key=secrets.token_hex(8),
        noticed="n",
        rationale="r",
        family_informed=FamilyInformed.YES,
        family_reason="",
    )
    return raised.concern_id


def test_resend_pending_queues_fresh_pointers_once_per_window(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    first = _raise(d, uow_factory, clock, "C-1001")  # Chloe leads
    _raise(d, uow_factory, clock, "C-1002")  # Chloe deputises
    chloe = d.people["chloe"]
    acknowledge(uow_factory(), concern_id=first, practitioner_id=chloe, clock=clock)

    summary = resend_pending(
        uow_factory(), practitioner_id=chloe, platform=Platform.TEAMS, clock=clock
    )
    assert (summary.counts.to_acknowledge, summary.counts.unread, summary.queued) == (1, 1, 2)
    with uow_factory() as uow:
        fresh = [
            m for m in uow.session.query(OutboxMessage).filter_by(kind=PointerKind.FRESH_LINK.value)
        ]
        assert {m.platform for m in fresh} == {"teams"} and len(fresh) == 2
    again = resend_pending(
        uow_factory(), practitioner_id=chloe, platform=Platform.TEAMS, clock=clock
    )
    assert again.queued == 0 and again.total == 2
    clock.advance(minutes=11)
    later = resend_pending(
        uow_factory(), practitioner_id=chloe, platform=Platform.TEAMS, clock=clock
    )
    assert later.queued == 2


def test_acknowledged_pointer_only_after_acknowledgement(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern = _raise(d, uow_factory, clock, "C-1001")
    args: dict[str, Any] = {"concern_id": concern, "platform": Platform.TEAMS}
    assert acknowledged_pointer(uow_factory(), practitioner_id=d.people["chloe"], **args) is None
    acknowledge(uow_factory(), concern_id=concern, practitioner_id=d.people["chloe"], clock=clock)
    mine = acknowledged_pointer(uow_factory(), practitioner_id=d.people["chloe"], **args)
    theirs = acknowledged_pointer(uow_factory(), practitioner_id=d.people["erin"], **args)
    assert mine is not None and mine.kind is PointerKind.ACKNOWLEDGED and mine.by_recipient
    assert theirs is not None and not theirs.by_recipient and theirs.link is None


def test_long_ids_that_share_a_prefix_get_different_keys() -> None:
    prefix = "activity:" + "a" * 300
    assert inbound_key(prefix + "1") != inbound_key(prefix + "2")
    assert inbound_key(prefix + "1") == inbound_key(prefix + "1")
