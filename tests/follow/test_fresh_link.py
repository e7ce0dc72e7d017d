"""Re-issuing an expired link: once per cooldown, to its recipient's chat, never to a leaver."""

from __future__ import annotations

from handlers.concern.opening import Refusal, Refused, check_token, request_fresh_link
from handlers.outbox.delivery import deliver_due
from handlers.ports import Pointer
from handlers.values import Platform, PointerKind
from tests.conftest import FakeClock, FakeMinter, UowFactory
from tests.directory import seed_directory
from tests.fakes import FakeNotifier
from tests.follow.flows import raise_one


def _token(pointer: Pointer) -> str:
    return str(pointer.link).rsplit("/", 1)[1]


def test_expired_link_is_reissued_once_per_cooldown_and_not_to_a_leaver(
    uow_factory: UowFactory, clock: FakeClock, minter: FakeMinter
) -> None:
    d = seed_directory(uow_factory, clock.now())
    raise_one(uow_factory, clock, d)
    chat = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    chloe = _token(chat.to(d.people["chloe"])[0])
    dev = _token(chat.to(d.people["dev"])[0])
    clock.advance(hours=73)
    assert check_token(uow_factory(), chloe, clock) == Refused(Refusal.EXPIRED)

    request_fresh_link(uow_factory(), chloe, clock)
    request_fresh_link(uow_factory(), chloe, clock)  # a double click: one fresh link
    with uow_factory() as uow:
        leaver = uow.directory.practitioner(d.people["dev"])
        assert leaver is not None
        leaver.active = False
        uow.commit()
    request_fresh_link(uow_factory(), dev, clock)
    start = len(chat.sent)
    deliver_due(uow_factory, {Platform.PLAYGROUND: chat}, minter, clock)
    fresh = chat.sent[start:]
    assert [(p.kind, p.recipient_id) for p in fresh] == [
        (PointerKind.FRESH_LINK, d.people["chloe"])
    ]
    assert check_token(uow_factory(), _token(fresh[0]), clock) != Refused(Refusal.EXPIRED)
    assert fresh[0].concern_id is not None
    with uow_factory() as uow:
        actions = [
            e.action for e in uow.audit_events(fresh[0].concern_id, action="link.reissue_refused")
        ]
        assert actions == ["link.reissue_refused"]
