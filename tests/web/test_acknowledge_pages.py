"""The concern page keeps to the acknowledge rule, and a GET of it changes nothing."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store.models import AuditEvent, Concern
from tests.directory import make_lead
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import pointer_path, sign_in

NOTICED = "Bruises on both arms, said she fell"


def _command(world: World, **over: object) -> RaiseConcern:
    fields: dict[str, object] = dict(
        raiser_id=world.people["dev"],
        client_id=world.clients["C-1001"],
        category=Category.NEGLECT,
        severity=Severity.HIGH,
        noticed=NOTICED,
        rationale="The lead needs to know",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        family_informed=FamilyInformed.YES,
        submission_key=secrets.token_hex(8),
    )
    fields.update(over)
    return RaiseConcern(**fields)  # type: ignore[arg-type]


def _raise(world: World, **over: object) -> str:
    runtime = world.runtime
    cmd = _command(world, **over)
    outcome = raise_concern(cmd, runtime.uow(), runtime.clock, WorkingCalendar())
    assert isinstance(outcome, Raised)
    world.deliver()
    return outcome.concern_id


def _signed_in(world: World, ref: str) -> tuple[Browser, str]:
    """A signed-in browser and a CSRF token of its session."""
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    csrf = browser.form(browser.get("/inbox").text, "/signout").value("csrf") or ""
    return browser, csrf


def _concern(world: World, concern_id: str) -> Concern:
    with world.runtime.uow() as uow:
        concern = uow.session.get(Concern, concern_id)
        assert concern is not None
        uow.session.expunge(concern)
        return concern


def test_a_lead_it_was_not_delivered_to_is_refused_by_the_page(world: World) -> None:
    concern_id = _raise(
        world,
        recipients=[world.people["chloe"], world.people["amara"]],
        narrowing_reason="Only the lead and the school",
    )
    make_lead(world.runtime.uow, world.clients["C-1001"], world.people["erin"])
    erin, csrf = _signed_in(world, "erin")  # left off as deputy, C-1001's lead since
    refused = erin.post(f"/concerns/{concern_id}/acknowledge", {"csrf": csrf})
    assert refused.status_code == 403
    assert NOTICED not in refused.text
    concern = _concern(world, concern_id)
    assert (concern.status, concern.acknowledged_at) == ("open", None)
    assert "To acknowledge" in (inbox := erin.get("/inbox").text)
    assert concern_id not in inbox

    chloe, csrf = _signed_in(world, "chloe")
    assert f"/concerns/{concern_id}/open" in chloe.get("/inbox").text.split("Your follow-ups")[0]
    page = chloe.get(f"/concerns/{concern_id}")
    acked = chloe.submit(chloe.form(page.text, f"/concerns/{concern_id}/acknowledge"))
    assert acked.status_code == 303
    assert _concern(world, concern_id).acknowledged_by_id == world.people["chloe"]


def test_a_decision_not_to_share_cannot_be_acknowledged_from_the_page(world: World) -> None:
    runtime = world.runtime
    recorded = record_decision_not_to_share(
        _command(world), reason="Not needed yet", uow=runtime.uow(), clock=runtime.clock
    )
    assert isinstance(recorded, DecisionRecorded)
    chloe, csrf = _signed_in(world, "chloe")  # the client's lead
    refused = chloe.post(f"/concerns/{recorded.concern_id}/acknowledge", {"csrf": csrf})
    assert refused.status_code == 403
    dev, csrf = _signed_in(world, "dev")  # who decided: sees the record, no Acknowledge
    page = dev.get(f"/concerns/{recorded.concern_id}")
    assert page.status_code == 200 and "Not shared" in page.text
    assert "Acknowledge this concern" not in page.text
    assert (
        dev.post(f"/concerns/{recorded.concern_id}/acknowledge", {"csrf": csrf}).status_code == 403
    )
    concern = _concern(world, recorded.concern_id)
    assert (concern.status, concern.acknowledged_at) == ("not_shared", None)


def test_a_get_of_the_concern_page_audits_the_access_and_changes_nothing(world: World) -> None:
    concern_id = _raise(world)
    chloe, csrf = _signed_in(world, "chloe")
    before = world.delivery(concern_id, "chloe")
    for _ in range(2):
        page = chloe.get(f"/concerns/{concern_id}")
        assert page.status_code == 200 and NOTICED in page.text
    assert chloe.head(f"/concerns/{concern_id}").status_code in (200, 405)
    after = world.delivery(concern_id, "chloe")
    fields = ("opened_at", "viewed_at", "last_viewed_at", "acknowledged_at")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    assert after.viewed_at is None
    assert _concern(world, concern_id).status == "open"
    with world.runtime.uow() as uow:
        actions = list(
            uow.session.scalars(
                select(AuditEvent.action).where(AuditEvent.concern_id == concern_id)
            )
        )
    assert actions.count("concern.viewed") == 2 and "concern.seen" not in actions

    # Reading is recorded by a POST with the session's CSRF token, and only with it.
    assert chloe.post(f"/concerns/{concern_id}/open", {"csrf": "forged"}).status_code == 403
    assert world.delivery(concern_id, "chloe").viewed_at is None
    opened = chloe.post(f"/concerns/{concern_id}/open", {"csrf": csrf})
    assert opened.status_code == 303
    assert world.delivery(concern_id, "chloe").viewed_at == world.clock.now()


def test_opening_the_link_records_it_as_read(world: World) -> None:
    concern_id = _raise(world)
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    link = pointer_path(world, "chloe", concern_id)
    opened = chloe.submit(chloe.form(chloe.get(link).text))
    assert opened.status_code == 303
    delivery = world.delivery(concern_id, "chloe")
    assert delivery.opened_at == delivery.viewed_at == world.clock.now()
