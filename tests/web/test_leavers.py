"""Deactivating a leaver (handlers.network.leavers) takes effect on the very next request.

Each effect has its test: the leaver's browser is signed out for good, the links in their
pointers stop opening, no further pointer reaches them, and their follow-ups go to the lead.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from handlers.concern.information import InformationAdded, add_information
from handlers.concern.opening import Refused, check_token
from handlers.follow_through.follow_ups import FollowUpAdded, add_follow_up
from handlers.network.leavers import Deactivated, deactivate_practitioner
from store.leavers import WITHDRAWN
from store.models import FollowUp, Membership, OutboxMessage, WebSession, new_id
from tests.directory import make_lead
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in


def _leave(world: World, ref: str) -> Deactivated:
    outcome = deactivate_practitioner(
        world.runtime.uow(),
        practitioner_id=world.people[ref],
        actor_id=None,
        clock=world.runtime.clock,
        via="test",
    )
    assert outcome is not None
    return outcome


def _reinstate(world: World, ref: str) -> None:
    with world.runtime.uow() as uow:
        person = uow.directory.practitioner(world.people[ref])
        assert person is not None
        person.active = True
        uow.commit()


def _signed_in(browser: Browser) -> bool:
    return "Signed in as" in browser.get("/").text


def test_a_leaver_is_refused_on_the_next_request_and_their_sessions_stay_ended(
    world: World,
) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    laptop, phone = world.browser("laptop"), world.browser("phone")
    sign_in(world, laptop, "chloe")
    sign_in(world, phone, "chloe")
    assert laptop.get(f"/concerns/{concern_id}").status_code == 200

    outcome = _leave(world, "chloe")

    assert outcome.sessions_ended == 2
    page = laptop.get(f"/concerns/{concern_id}")
    assert page.status_code != 200 or "Signed in as" not in page.text
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(amara)  # nobody else is signed out
    _reinstate(world, "chloe")  # coming back later does not revive an old session
    assert not _signed_in(laptop)
    with world.runtime.uow() as uow:
        sessions = uow.session.scalars(
            select(WebSession).where(WebSession.practitioner_id == world.people["chloe"])
        ).all()
        assert len(sessions) == 2 and all(s.revoked_at is not None for s in sessions)
    [detail] = world.audit_details("practitioner.deactivated")
    assert detail["sessions_ended"] == 2 and detail["via"] == "test"


def test_the_links_in_a_leavers_pointers_stop_opening(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    world.deliver()
    path = pointer_path(world, "chloe", concern_id)
    token = path.rsplit("/", 1)[1]
    assert not isinstance(check_token(world.runtime.uow(), token, world.runtime.clock), Refused)

    assert _leave(world, "chloe").links_revoked == 1

    assert isinstance(check_token(world.runtime.uow(), token, world.runtime.clock), Refused)
    _reinstate(world, "chloe")  # even reinstated and signed in again, the old link is dead
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    unknown_path = f"/l/{secrets.token_urlsafe(32)}"
    unknown = chloe.submit(chloe.form(chloe.get(unknown_path).text))
    revoked = chloe.submit(chloe.form(chloe.get(path).text))
    assert revoked.status_code == unknown.status_code == 404
    fake = unknown_path.rsplit("/", 1)[1]
    assert revoked.text.replace(token, "T") == unknown.text.replace(fake, "T")


def test_no_pointer_reaches_a_leaver_whether_queued_before_or_after(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")  # queued for chloe, not yet sent

    assert _leave(world, "chloe").pointers_withdrawn == 1
    world.deliver()
    added = add_information(  # queued for every recipient, chloe's delivery included
        world.runtime.uow(),
        concern_id=concern_id,
        author_id=world.people["erin"],
        text="Seen again without a coat",
        submission_key=secrets.token_hex(8),
        clock=world.runtime.clock,
    )
    assert isinstance(added, InformationAdded)
    world.deliver()

    assert world.chat("chloe") == []
    assert [m.kind for m in world.chat("erin")] == ["new_concern"]
    with world.runtime.uow() as uow:
        states = uow.session.scalars(
            select(OutboxMessage.state).where(OutboxMessage.recipient_id == world.people["chloe"])
        ).all()
    assert sorted(states) == [WITHDRAWN, WITHDRAWN]
    assert "pointer.dead_letter" not in world.audit_actions()  # no alert to admins either


def _follow_up(world: World, concern_id: str, *, by: str, owner: str) -> str:
    added = add_follow_up(
        world.runtime.uow(),
        concern_id=concern_id,
        created_by_id=world.people[by],
        owner_id=world.people[owner],
        due=(world.runtime.clock.now() + timedelta(days=3)).date(),
        action="Ring the family on Friday",
        submission_key=secrets.token_hex(8),
        clock=world.runtime.clock,
    )
    assert isinstance(added, FollowUpAdded), added
    return added.follow_up_id


def _owner(world: World, follow_up_id: str) -> str:
    with world.runtime.uow() as uow:
        row = uow.session.get(FollowUp, follow_up_id)
        assert row is not None
        return row.owner_id


def test_a_leavers_follow_ups_go_to_the_clients_lead_or_to_the_deputy_if_they_led(
    world: World,
) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")  # lead chloe, deputy erin, member dev
    devs = _follow_up(world, concern_id, by="chloe", owner="dev")
    chloes = _follow_up(world, concern_id, by="erin", owner="chloe")

    assert _leave(world, "dev").follow_ups_handed_back == 1
    assert _owner(world, devs) == world.people["chloe"]
    assert _leave(world, "chloe").follow_ups_handed_back == 2
    assert _owner(world, devs) == _owner(world, chloes) == world.people["erin"]
    handed = world.audit_details("follow_up.handed_back")
    assert [(d["from"], d["to"]) for d in handed] == [
        (world.people["dev"], world.people["chloe"]),
        (world.people["chloe"], world.people["erin"]),
        (world.people["chloe"], world.people["erin"]),
    ]


def test_a_follow_up_never_goes_to_a_lead_the_concern_was_not_shared_with(
    world: World,
) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    devs = _follow_up(world, concern_id, by="chloe", owner="dev")
    with world.runtime.uow() as uow:  # Ben takes the lead after the concern was raised
        uow.directory.add(
            Membership(
                id=new_id(),
                client_id=world.clients["C-1001"],
                practitioner_id=world.people["ben"],
                role="lead",
                created_at=world.runtime.clock.now(),
            )
        )
        uow.commit()
    make_lead(world.runtime.uow, world.clients["C-1001"], world.people["ben"])

    _leave(world, "dev")

    assert _owner(world, devs) == world.people["chloe"]  # now the deputy, and a recipient
    _leave(world, "chloe")
    assert _leave(world, "erin").follow_ups_without_lead == 1  # nobody left who may read it
    assert _owner(world, devs) == world.people["erin"]


def test_deactivating_twice_changes_nothing_the_second_time(world: World) -> None:
    _leave(world, "dev")
    again = deactivate_practitioner(
        world.runtime.uow(),
        practitioner_id=world.people["dev"],
        actor_id=None,
        clock=world.runtime.clock,
        via="test",
    )
    assert again is None
    assert world.audit_actions().count("practitioner.deactivated") == 1
