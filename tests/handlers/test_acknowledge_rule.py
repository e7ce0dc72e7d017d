"""Who may acknowledge: a lead or deputy the concern was delivered to, or whom it escalated to.

One rule (`handlers.acknowledge_rule`), asked by every surface: the acknowledge use case
(web page, Slack button, Teams card), the web inbox, App Home and `/concern inbox`
(`my_work.linked`), the Teams inbox (`resend_pending`), the pointers' Acknowledge button and the
digest. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, NotAllowed, acknowledge
from handlers.follow_through.escalation import escalate_due
from handlers.my_work.awaiting import what_awaits
from handlers.my_work.digest import send_digests
from handlers.my_work.linked import awaiting_with_links
from handlers.my_work.resend import resend_pending
from handlers.outbox.delivery import deliver_due
from handlers.retention.concerns import retention_due
from handlers.values import (
    Category,
    FamilyInformed,
    LawfulBasis,
    Platform,
    PointerKind,
    Severity,
)
from store.models import AuditEvent, Concern, OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, make_lead, seed_directory
from tests.fakes import FakeNotifier

UowFactory = Callable[[], UnitOfWork]


def _command(d: Directory, raiser: str, client: str, **over: object) -> RaiseConcern:
    fields: dict[str, object] = dict(
        raiser_id=d.people[raiser],
        client_id=d.clients[client],
        category=Category.NEGLECT,
        severity=Severity.HIGH,
        noticed="noticed",
        rationale="rationale",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        family_informed=FamilyInformed.YES,
        submission_key=secrets.token_hex(8),
    )
    fields.update(over)
    return RaiseConcern(**fields)  # type: ignore[arg-type]


def raise_without_erin(d: Directory, uow_factory: UowFactory, clock: FakeClock) -> str:
    """Dev raises about C-1001 and narrows it to Chloe (lead) and Amara: Erin, the deputy,
    is left off."""
    cmd = _command(
        d,
        "dev",
        "C-1001",
        recipients=[d.people["chloe"], d.people["amara"]],
        narrowing_reason="Only the lead and the school need to know",
    )
    outcome = raise_concern(cmd, uow_factory(), clock, WorkingCalendar())
    assert isinstance(outcome, Raised) and outcome.recipients == 2
    return outcome.concern_id


def waiting_everywhere(
    uow_factory: UowFactory, clock: FakeClock, practitioner_id: str
) -> dict[str, int]:
    """What each list surface says waits for this person's acknowledgement."""
    awaits = what_awaits(uow_factory(), practitioner_id=practitioner_id, clock=clock)
    work = awaiting_with_links(
        uow_factory(),
        practitioner_id=practitioner_id,
        minter=FakeMinter(),
        clock=clock,
        via="slack_home",
    )
    pending = resend_pending(
        uow_factory(), practitioner_id=practitioner_id, platform=Platform.TEAMS, clock=clock
    )
    send_digests(uow_factory, clock)
    with uow_factory() as uow:
        digest = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == PointerKind.DIGEST.value,
                OutboxMessage.recipient_id == practitioner_id,
                OutboxMessage.created_at == clock.now(),  # today's, if any
            )
        ).first()
        digest_count = int(digest.detail.get("awaiting", 0)) if digest else 0
    return {
        "web inbox": len(awaits.to_acknowledge),
        "app home": len(work.awaiting.to_acknowledge),
        "teams inbox": pending.counts.to_acknowledge,
        "digest": digest_count,
    }


NOTHING = {"web inbox": 0, "app home": 0, "teams inbox": 0, "digest": 0}
ONE = {"web inbox": 1, "app home": 1, "teams inbox": 1, "digest": 1}


def _refusals(uow_factory: UowFactory) -> list[str | None]:
    with uow_factory() as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent.actor_id).where(
                    AuditEvent.action == "concern.acknowledge_refused"
                )
            )
        )


def test_a_lead_the_concern_was_not_delivered_to_cannot_acknowledge_it_anywhere(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_without_erin(d, uow_factory, clock)
    make_lead(uow_factory, d.clients["C-1001"], d.people["erin"])
    erin = d.people["erin"]

    assert waiting_everywhere(uow_factory, clock, erin) == NOTHING
    for via in ("web", "slack", "teams"):
        outcome = acknowledge(
            uow_factory(), concern_id=concern_id, practitioner_id=erin, clock=clock, via=via
        )
        assert isinstance(outcome, NotAllowed)
    assert _refusals(uow_factory) == [erin, erin, erin]
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.status == "open"
        assert concern.acknowledged_at is None
    # Chloe, who received it as lead, still may (her network role is now deputy).
    assert waiting_everywhere(uow_factory, clock, d.people["chloe"])["web inbox"] == 1
    done = acknowledge(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(done, Acknowledged)


def test_a_deputy_left_off_is_not_counted_in_the_digest_nor_any_inbox(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_without_erin(d, uow_factory, clock)
    erin = d.people["erin"]
    assert waiting_everywhere(uow_factory, clock, erin) == NOTHING
    refused = acknowledge(uow_factory(), concern_id=concern_id, practitioner_id=erin, clock=clock)
    assert isinstance(refused, NotAllowed)
    assert waiting_everywhere(uow_factory, clock, d.people["chloe"]) == ONE


def test_the_person_it_escalated_to_can_acknowledge_and_sees_it_in_every_inbox(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    femi = d.people["femi"]  # in no network; the lead's organisation names her duty contact
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None
        chloe.organisation.duty_contact_id = femi
        uow.commit()
    concern_id = raise_without_erin(d, uow_factory, clock)
    calendar = WorkingCalendar()
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.acknowledge_by is not None
        deadline = concern.acknowledge_by
    clock.at = deadline + timedelta(minutes=1)
    assert escalate_due(uow_factory, clock, calendar).levels == {1: 1}  # to Erin, the deputy
    assert waiting_everywhere(uow_factory, clock, d.people["erin"])["web inbox"] == 1
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.escalate_at is not None
        clock.at = concern.escalate_at + timedelta(minutes=1)
    assert escalate_due(uow_factory, clock, calendar).levels == {2: 1}  # the duty contact
    assert waiting_everywhere(uow_factory, clock, femi) == ONE
    notifier = FakeNotifier()
    deliver_due(uow_factory, dict.fromkeys(Platform, notifier), FakeMinter(), clock)
    (escalation,) = [
        p for p in notifier.sent if p.recipient_id == femi and p.kind is PointerKind.ESCALATION
    ]
    assert escalation.can_acknowledge
    done = acknowledge(uow_factory(), concern_id=concern_id, practitioner_id=femi, clock=clock)
    assert isinstance(done, Acknowledged)
    clock.advance(days=1)
    assert waiting_everywhere(uow_factory, clock, femi) == NOTHING


def test_a_decision_not_to_share_cannot_be_acknowledged_and_stays_in_retention(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    recorded = record_decision_not_to_share(
        _command(d, "dev", "C-1001"), reason="Not needed yet", uow=uow_factory(), clock=clock
    )
    assert isinstance(recorded, DecisionRecorded)
    for who in ("chloe", "erin", "dev"):  # the lead, the deputy, the person who decided
        outcome = acknowledge(
            uow_factory(),
            concern_id=recorded.concern_id,
            practitioner_id=d.people[who],
            clock=clock,
        )
        assert isinstance(outcome, NotAllowed), who
        assert waiting_everywhere(uow_factory, clock, d.people[who]) == NOTHING
    with uow_factory() as uow:
        concern = uow.session.get(Concern, recorded.concern_id)
        assert concern is not None
        assert (concern.status, concern.acknowledged_at) == ("not_shared", None)
    clock.advance(days=365 * 7)
    due = retention_due(uow_factory, clock)
    assert sum(count.due for count in due) == 1
