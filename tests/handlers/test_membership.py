"""Networks change, and access follows the change at the very next read.

A lead or deputy adds, re-roles and removes members; a member leaves. Each change is
audited (ids and roles only) and the person concerned is told by a pointer. Removal and
deactivation cut the concern page, the chronology, the network page, follow-ups, links in
old pointers and pointers still in the outbox, and hand follow-ups back to the lead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.concern.opening import (
    Opened,
    Refusal,
    Refused,
    check_token,
    open_link,
    request_fresh_link,
)
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.concern.viewing import NoAccess, view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.follow_ups import (
    FollowUpAdded,
    add_follow_up,
    complete_follow_up,
    list_follow_ups,
)
from handlers.follow_through.membership import (
    Change,
    NetworkChanged,
    NetworkRefused,
    PersonRef,
    add_member,
    change_role,
    hand_back_follow_ups,
    leave_network,
    remove_member,
)
from handlers.follow_through.membership import Refusal as NetworkRefusal
from handlers.follow_through.network_commands import network_command
from handlers.my_work.awaiting import what_awaits
from handlers.network.members import network_of
from handlers.network.routing import NotInNetwork
from handlers.outbox.delivery import deliver_due
from handlers.values import (
    Category,
    FamilyInformed,
    LawfulBasis,
    Platform,
    PointerKind,
    Role,
    Severity,
)
from store.models import AuditEvent, OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, seed_directory
from tests.fakes import FakeNotifier

Factory = Callable[[], UnitOfWork]
C1 = "C-1001"  # chloe leads, erin deputises, amara and dev are members; ben is outside


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _raise(uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, d: Directory) -> str:
    outcome = raise_concern(
        RaiseConcern(
            raiser_id=d.people["amara"],
            client_id=d.clients[C1],
            category=Category.EDUCATION,  # reaches Dev, the school nurse
            severity=Severity.MEDIUM,
            noticed="Hungry again",
            rationale="The lead needs to know",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            family_informed=FamilyInformed.YES,
            submission_key=f"k-{clock.now().isoformat()}",
        ),
        uow_factory(),
        clock,
        calendar,
    )
    assert isinstance(outcome, Raised)
    return outcome.concern_id


def _notices(uow_factory: Factory, recipient: str) -> list[str]:
    with uow_factory() as uow:
        rows = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_id == recipient)
        )
        return [r.kind for r in rows if r.concern_id is None]


def _audits(uow_factory: Factory, action: str) -> list[AuditEvent]:
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        uow.session.expunge_all()
        return rows


def _send(uow_factory: Factory, clock: FakeClock, minter: FakeMinter) -> FakeNotifier:
    notifier = FakeNotifier()
    deliver_due(uow_factory, {Platform.PLAYGROUND: notifier}, minter, clock)
    return notifier


def test_a_lead_adds_someone_from_anywhere_in_the_partnership_who_is_told(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    added = add_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["chloe"],
        person=PersonRef(ref="ben"),
        clock=clock,
    )
    assert added == NetworkChanged(Change.ADDED, d.clients[C1], d.people["ben"], Role.MEMBER)
    assert _notices(uow_factory, d.people["ben"]) == [PointerKind.ADDED_TO_NETWORK.value]
    (event,) = _audits(uow_factory, "network.added")
    assert event.actor_id == d.people["chloe"] and event.subject == d.clients[C1]
    assert event.detail == {"practitioner": d.people["ben"], "role": "member"}
    view = network_of(
        uow_factory(), client_id=d.clients[C1], practitioner_id=d.people["ben"], clock=clock
    )
    assert any(p.is_me for p in view.people)


def test_a_person_is_found_only_by_reference_or_exact_name_and_organisation(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    c2 = d.clients["C-1003"]  # ben leads; chloe is outside
    for person, ok in [
        (PersonRef(name="Chloe", organisation="oakfield-primary"), False),
        (PersonRef(name="Chloe Patel", organisation="Riverside Children's Centre"), False),
        (PersonRef(ref="nobody"), False),
        (PersonRef(name=" chloe patel ", organisation="Oakfield Primary School"), True),
    ]:
        outcome = add_member(
            uow_factory(), client_id=c2, actor_id=d.people["ben"], person=person, clock=clock
        )
        assert isinstance(outcome, NetworkChanged) is ok, person
        if not ok:
            assert outcome == NetworkRefused(NetworkRefusal.NO_SUCH_PERSON)


def test_only_the_lead_or_deputy_may_change_a_network_and_an_unknown_client_looks_the_same(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    refused = NetworkRefused(NetworkRefusal.NOT_STEWARD)
    by_member = add_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["dev"],
        person=PersonRef(ref="ben"),
        clock=clock,
    )
    unknown = add_member(
        uow_factory(),
        client_id="0" * 32,
        actor_id=d.people["dev"],
        person=PersonRef(ref="ben"),
        clock=clock,
    )
    by_outsider = remove_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["ben"],
        practitioner_id=d.people["dev"],
        clock=clock,
    )
    assert by_member == unknown == by_outsider == refused
    assert len(_audits(uow_factory, "network.change_refused")) == 3
    assert _notices(uow_factory, d.people["ben"]) == []
    assert "lead professional or deputy" in refused.words


def test_a_network_always_has_exactly_one_lead(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    client, chloe, erin = d.clients[C1], d.people["chloe"], d.people["erin"]
    one_lead = NetworkRefused(NetworkRefusal.ONE_LEAD)
    assert (
        change_role(
            uow_factory(),
            client_id=client,
            actor_id=erin,
            practitioner_id=chloe,
            role=Role.MEMBER,
            clock=clock,
        )
        == one_lead
    )
    assert (
        remove_member(
            uow_factory(), client_id=client, actor_id=erin, practitioner_id=chloe, clock=clock
        )
        == one_lead
    )
    assert leave_network(uow_factory(), client_id=client, practitioner_id=chloe, clock=clock) == (
        one_lead
    )
    promoted = change_role(
        uow_factory(),
        client_id=client,
        actor_id=chloe,
        practitioner_id=erin,
        role=Role.LEAD,
        clock=clock,
    )
    assert isinstance(promoted, NetworkChanged)
    with uow_factory() as uow:
        roles = {m.practitioner_id: m.role for m in uow.directory.network(client)}
    assert [p for p, r in roles.items() if r == "lead"] == [erin]
    assert roles[chloe] == "deputy"
    for person in (chloe, erin):
        assert _notices(uow_factory, person) == [PointerKind.NETWORK_ROLE_CHANGED.value]
    details = [e.detail for e in _audits(uow_factory, "network.role_changed")]
    assert {"practitioner": erin, "role": "lead", "was": "deputy"} in details
    assert {"practitioner": chloe, "role": "deputy", "was": "lead"} in details


def _dev_can_read(
    uow_factory: Factory, clock: FakeClock, d: Directory, concern_id: str, token: str
) -> dict[str, bool]:
    dev, client = d.people["dev"], d.clients[C1]
    reads: dict[str, bool] = {}
    try:
        view_concern(uow_factory(), concern_id=concern_id, practitioner_id=dev, clock=clock)
        reads["view"] = True
    except NoAccess:
        reads["view"] = False
    for name, read in (
        ("chronology", lambda: chronology(uow_factory(), client_id=client, practitioner_id=dev,
                                          filters=ChronologyFilters(), clock=clock)),
        ("network", lambda: network_of(uow_factory(), client_id=client, practitioner_id=dev,
                                       clock=clock)),
    ):  # fmt: skip
        try:
            read()
            reads[name] = True
        except NotInNetwork:
            reads[name] = False
    reads["follow_ups"] = bool(
        list_follow_ups(uow_factory(), concern_id=concern_id, practitioner_id=dev, clock=clock)
    )
    target = check_token(uow_factory(), token, clock)
    assert not isinstance(target, Refused)
    opened = open_link(uow_factory(), link_id=target.link_id, practitioner_id=dev, clock=clock)
    assert isinstance(opened, Opened) or opened == Refused(Refusal.UNKNOWN)
    reads["link"] = isinstance(opened, Opened)
    return reads


def _world_with_follow_up(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    minter: FakeMinter,
    d: Directory,
) -> tuple[str, str, str]:
    """A concern shared with Dev, a follow-up he owns, and the link in his latest pointer."""
    concern_id = _raise(uow_factory, clock, calendar, d)
    added = add_follow_up(
        uow_factory(),
        concern_id=concern_id,
        created_by_id=d.people["chloe"],
        owner_id=d.people["dev"],
        due=date(2026, 11, 30),
        action="Visit",
        submission_key="fu-1",
        clock=clock,
    )
    assert isinstance(added, FollowUpAdded)
    sent = _send(uow_factory, clock, minter)
    links = [p.link for p in sent.sent if p.recipient_id == d.people["dev"] and p.link]
    assert len(links) == 2  # the new concern, then the follow-up (which revoked the first)
    token = links[-1].rsplit("/", 1)[1]
    return concern_id, token, added.follow_up_id


def test_removal_cuts_every_read_at_once_and_hands_follow_ups_back_to_the_lead(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    minter: FakeMinter,
    directory: Directory,
) -> None:
    d = directory
    concern_id, token, follow_up_id = _world_with_follow_up(uow_factory, clock, calendar, minter, d)
    assert set(_dev_can_read(uow_factory, clock, d, concern_id, token).values()) == {True}

    removed = remove_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["erin"],  # the deputy may remove
        practitioner_id=d.people["dev"],
        clock=clock,
    )
    assert removed == NetworkChanged(Change.REMOVED, d.clients[C1], d.people["dev"], None, 1)
    assert _dev_can_read(uow_factory, clock, d, concern_id, token) == dict.fromkeys(
        ("view", "chronology", "network", "follow_ups", "link"), False
    )
    (handed,) = _audits(uow_factory, "follow_up.handed_back")
    assert handed.detail == {"from": d.people["dev"], "to": d.people["chloe"]}
    (removal,) = _audits(uow_factory, "network.removed")
    assert removal.detail == {"practitioner": d.people["dev"], "role": "member"}
    assert (
        complete_follow_up(
            uow_factory(), follow_up_id=follow_up_id, practitioner_id=d.people["chloe"], clock=clock
        ).__class__.__name__
        == "FollowUpDone"
    )
    sent = _send(uow_factory, clock, minter)
    kinds = {(p.recipient_id, p.kind) for p in sent.sent}
    assert (d.people["dev"], PointerKind.REMOVED_FROM_NETWORK) in kinds
    assert (d.people["chloe"], PointerKind.FOLLOW_UP_ASSIGNED) in kinds
    clock.advance(hours=73)  # the old link expires; a removed member gets no fresh one
    request_fresh_link(uow_factory(), token, clock)
    (refused,) = _audits(uow_factory, "link.reissue_refused")
    assert refused.detail == {"reason": "not_entitled"}
    assert not [
        p for p in _send(uow_factory, clock, minter).sent if p.recipient_id == d.people["dev"]
    ]


def test_no_pointer_about_a_concern_reaches_someone_removed_before_it_was_sent(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    minter: FakeMinter,
    directory: Directory,
) -> None:
    d = directory
    concern_id = _raise(uow_factory, clock, calendar, d)  # pointers queued, not yet sent
    remove_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["chloe"],
        practitioner_id=d.people["dev"],
        clock=clock,
    )
    sent = _send(uow_factory, clock, minter)
    to_dev = [p.kind for p in sent.sent if p.recipient_id == d.people["dev"]]
    assert to_dev == [PointerKind.REMOVED_FROM_NETWORK]
    assert any(p.recipient_id == d.people["chloe"] for p in sent.sent)
    (withdrawn,) = _audits(uow_factory, "pointer.withdrawn")
    assert withdrawn.concern_id == concern_id


def test_deactivation_cuts_every_read_and_the_same_hand_back_re_routes_follow_ups(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    minter: FakeMinter,
    directory: Directory,
) -> None:
    d = directory
    concern_id, token, _ = _world_with_follow_up(uow_factory, clock, calendar, minter, d)
    with uow_factory() as uow:  # what a leaver's deactivation does (handlers.network.leavers)
        person = uow.directory.practitioner(d.people["dev"])
        assert person is not None
        person.active = False
        handed = hand_back_follow_ups(
            uow, practitioner_id=person.id, client_id=None, actor_id=None, at=clock.now()
        )
        uow.commit()
    assert handed == 1
    assert set(_dev_can_read(uow_factory, clock, d, concern_id, token).values()) == {False}


def test_the_raiser_still_reads_what_they_raised_after_leaving_the_network(
    uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, directory: Directory
) -> None:
    d = directory
    concern_id = _raise(uow_factory, clock, calendar, d)
    left = leave_network(
        uow_factory(), client_id=d.clients[C1], practitioner_id=d.people["amara"], clock=clock
    )
    assert isinstance(left, NetworkChanged) and left.change is Change.LEFT
    view = view_concern(
        uow_factory(), concern_id=concern_id, practitioner_id=d.people["amara"], clock=clock
    )
    assert view.rationale == "The lead needs to know" and not view.viewer_in_network
    with pytest.raises(NotInNetwork):
        network_of(
            uow_factory(), client_id=d.clients[C1], practitioner_id=d.people["amara"], clock=clock
        )
    assert len(_audits(uow_factory, "network.left")) == 1


def test_chat_commands_reach_the_same_use_cases_and_never_repeat_what_was_typed(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    chloe, dev = d.people["chloe"], d.people["dev"]
    replies = [
        network_command(uow_factory(), actor_id=chloe, words=words, clock=clock)
        for words in (
            "add C-1001 ben deputy",
            "role C-1001 ben lead",
            "remove C-1001 ben",
            "add C-9999 ben",
            "add C-1001 zz-nobody-zz",
            "explode C-1001",
            "role C-1001 ben captain",
        )
    ]
    assert [r.ok for r in replies] == [True, True, False, False, False, False, False]
    assert "one lead professional" in replies[2].text  # ben leads now; chloe is his deputy
    assert (
        replies[3].text
        == network_command(uow_factory(), actor_id=dev, words="add C-1001 ben", clock=clock).text
    )
    for reply in replies:
        for typed in ("C-1001", "C-9999", "zz-nobody-zz", "captain", "explode"):
            assert typed not in reply.text
    with uow_factory() as uow:
        roles = {m.practitioner_id: m.role for m in uow.directory.network(d.clients[C1])}
    assert roles[d.people["ben"]] == "lead" and roles[chloe] == "deputy"


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_concurrent_promotions_still_leave_exactly_one_lead(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    d = directory
    client = d.clients[C1]
    start = threading.Barrier(3)

    def promote(who: str) -> None:
        start.wait()
        change_role(
            uow_factory(),
            client_id=client,
            actor_id=d.people["chloe"] if who != "chloe" else d.people["erin"],
            practitioner_id=d.people[who],
            role=Role.LEAD,
            clock=clock,
        )

    threads = [threading.Thread(target=promote, args=(w,)) for w in ("erin", "dev", "amara")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with uow_factory() as uow:
        leads = [m for m in uow.directory.network(client) if m.role == "lead"]
    assert len(leads) == 1


def test_a_follow_up_with_no_lead_who_read_the_concern_stays_and_is_audited_as_unowned(
    uow_factory: Factory, clock: FakeClock, calendar: WorkingCalendar, directory: Directory
) -> None:
    d = directory
    outcome = raise_concern(
        RaiseConcern(
            raiser_id=d.people["amara"],
            client_id=d.clients[C1],
            category=Category.EDUCATION,
            severity=Severity.MEDIUM,
            noticed="Late again",
            rationale="Only the nurse needs this",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            family_informed=FamilyInformed.YES,
            submission_key="narrow-1",
            recipients=[d.people["chloe"], d.people["dev"]],  # not Erin, the deputy
            narrowing_reason="Need to know",
        ),
        uow_factory(),
        clock,
        calendar,
    )
    assert isinstance(outcome, Raised)
    added = add_follow_up(
        uow_factory(),
        concern_id=outcome.concern_id,
        created_by_id=d.people["amara"],
        owner_id=d.people["dev"],
        due=date(2026, 11, 30),
        action="Check in",
        submission_key="fu-narrow",
        clock=clock,
    )
    assert isinstance(added, FollowUpAdded)
    client, chloe, ben = d.clients[C1], d.people["chloe"], d.people["ben"]
    # Ben takes over as lead (Chloe deputises), then Chloe steps down to member: neither
    # the new lead nor the deputy received this concern.
    made_lead = add_member(
        uow_factory(), client_id=client, actor_id=chloe, person=PersonRef(ref="ben"),
        role=Role.LEAD, clock=clock,
    )  # fmt: skip
    stepped_down = change_role(
        uow_factory(), client_id=client, actor_id=ben, practitioner_id=chloe,
        role=Role.MEMBER, clock=clock,
    )  # fmt: skip
    assert isinstance(made_lead, NetworkChanged) and isinstance(stepped_down, NetworkChanged)
    removed = remove_member(
        uow_factory(), client_id=client, actor_id=ben, practitioner_id=d.people["dev"],
        clock=clock,
    )  # fmt: skip
    assert isinstance(removed, NetworkChanged) and removed.follow_ups_handed_back == 0
    (unowned,) = _audits(uow_factory, "follow_up.unowned")
    assert unowned.subject == added.follow_up_id  # the lead never received it: not widened


def test_what_awaits_a_removed_member_shows_nothing_of_the_concern_they_lost(
    uow_factory: Factory,
    clock: FakeClock,
    calendar: WorkingCalendar,
    minter: FakeMinter,
    directory: Directory,
) -> None:
    """The inbox, App Home, `/concern inbox`, the Teams inbox and the digest read one model:
    it follows the access rule too, so counts stop with access."""
    d = directory
    concern_id = _raise(uow_factory, clock, calendar, d)
    before = what_awaits(uow_factory(), practitioner_id=d.people["dev"], clock=clock)
    assert concern_id in {line.concern_id for line in before.unread}
    remove_member(
        uow_factory(),
        client_id=d.clients[C1],
        actor_id=d.people["chloe"],
        practitioner_id=d.people["dev"],
        clock=clock,
    )
    after = what_awaits(uow_factory(), practitioner_id=d.people["dev"], clock=clock)
    shown = [*after.to_acknowledge, *after.unread, *after.new_information, *after.raised]
    assert concern_id not in {line.concern_id for line in shown}
    assert after.follow_ups == ()
