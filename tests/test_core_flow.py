"""raise -> deliveries -> pointers -> open -> view -> acknowledge, on a real store."""

from __future__ import annotations

import pytest

from handlers.concern.opening import Opened, Refusal, Refused, check_token, open_link
from handlers.concern.raising import Raised, raise_concern
from handlers.concern.viewing import NoAccess, view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, NotAllowed, acknowledge
from handlers.invalid import Invalid
from handlers.outbox.delivery import deliver_due
from handlers.ports import MessageRef, Pointer, RetryLater
from handlers.values import Platform, PointerKind
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.raising import raise_command


def test_raise_deliver_open_acknowledge(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter, calendar: WorkingCalendar
) -> None:
    d = seed_directory(uow_factory, clock.now())
    outcome = raise_concern(raise_command(d), uow_factory(), clock, calendar)
    assert isinstance(outcome, Raised) and outcome.recipients == 3

    chat = FakeNotifier()
    report = deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert report.sent == 3
    assert {p.recipient_id for p in chat.sent} == {d.people[r] for r in ("chloe", "erin", "dev")}
    lead_pointer = chat.to(d.people["chloe"])[0]
    assert lead_pointer.kind is PointerKind.NEW_CONCERN and lead_pointer.can_acknowledge

    token = lead_pointer.link.rsplit("/", 1)[1]  # type: ignore[union-attr]
    target = check_token(uow_factory(), token, clock)
    assert not isinstance(target, Refused)
    wrong = open_link(
        uow_factory(), link_id=target.link_id, practitioner_id=d.people["dev"], clock=clock
    )
    assert wrong == Refused(Refusal.NOT_YOU)
    opened = open_link(
        uow_factory(), link_id=target.link_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(opened, Opened)
    view = view_concern(
        uow_factory(), concern_id=opened.concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert view.entries[0].text == "Always hungry at pick-up" and view.viewer_can_acknowledge

    assert isinstance(
        acknowledge(
            uow_factory(),
            concern_id=outcome.concern_id,
            practitioner_id=d.people["dev"],
            clock=clock,
        ),
        NotAllowed,
    )
    assert isinstance(
        acknowledge(
            uow_factory(),
            concern_id=outcome.concern_id,
            practitioner_id=d.people["chloe"],
            clock=clock,
        ),
        Acknowledged,
    )
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    kinds = [(p.kind, p.recipient_id) for p in chat.sent[3:]]
    assert (PointerKind.ACK_RECEIPT, d.people["amara"]) in kinds
    assert (PointerKind.ACKNOWLEDGED, d.people["chloe"]) in kinds
    # the forwarded attempt told the real recipient
    assert (PointerKind.FORWARDED_ATTEMPT, d.people["chloe"]) in kinds
    with pytest.raises(NoAccess):
        view_concern(
            uow_factory(),
            concern_id=outcome.concern_id,
            practitioner_id=d.people["femi"],
            clock=clock,
        )


def test_duplicate_submission_is_one_concern(
    uow_factory: UowFactory, clock: FakeClock, calendar: WorkingCalendar
) -> None:
    d = seed_directory(uow_factory, clock.now())
    first = raise_concern(raise_command(d), uow_factory(), clock, calendar)
    again = raise_concern(raise_command(d), uow_factory(), clock, calendar)
    assert isinstance(again, Raised) and again.duplicate and again.concern_id == first.concern_id  # type: ignore[union-attr]


def test_lead_cannot_be_narrowed_out(
    uow_factory: UowFactory, clock: FakeClock, calendar: WorkingCalendar
) -> None:
    d = seed_directory(uow_factory, clock.now())
    outcome = raise_concern(
        raise_command(d, recipients=[d.people["dev"]], narrowing_reason="need"),
        uow_factory(),
        clock,
        calendar,
    )
    assert isinstance(outcome, Invalid) and "recipients" in outcome.errors


class _LookupFails(FakeNotifier):
    """A platform whose history lookup is down (e.g. 429 on conversations.history)."""

    def find(self, pointer: Pointer) -> MessageRef | None:
        raise ConnectionError("lookup unavailable")


def test_a_failing_lookup_after_an_ambiguous_send_keeps_the_sweep_going(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter, calendar: WorkingCalendar
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_concern(raise_command(d), uow_factory(), clock, calendar)
    chat = _LookupFails(failures=[RetryLater("timeout", ambiguous=True)])
    first = deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert (first.sent, first.retried) == (2, 1)
    clock.advance(hours=1)
    second = deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    assert (second.claimed, second.sent, second.retried) == (1, 0, 1)
    assert len(chat.sent) == 2  # never re-sent while it cannot tell whether the first landed
