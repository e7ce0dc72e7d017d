"""Follow-ups, the client chronology, the network page and the inbox, over HTTP.

Runs on SQLite and PostgreSQL. Amara raises about C-1001 (Chloe leads, Erin deputises,
Dev is a member); Ben is in other networks but not C-1001's.
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from store.models import AuditEvent, FollowUp, OutboxMessage
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import raise_concern, send, sign_in, step_two

ACTION = "Home visit with the health visitor to check food in the house"
DUE = {"due_day": "1", "due_month": "12", "due_year": "2026"}  # the fake clock: 24 Nov 2026


def _signed_in(world: World, ref: str) -> Browser:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    return browser


def _add_follow_up(browser: Browser, concern_id: str, **fields: str) -> httpx.Response:
    page = browser.get(f"/concerns/{concern_id}")
    assert page.status_code == 200
    form = browser.form(page.text, f"/concerns/{concern_id}/follow-ups")
    return browser.submit(form, set=dict(fields))


def _audits(world: World, action: str) -> list[AuditEvent]:
    with world.runtime.uow() as uow:
        rows = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_follow_up_is_added_encrypted_audited_and_its_owner_told(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    world.deliver()
    chloe = _signed_in(world, "chloe")
    added = _add_follow_up(chloe, concern_id, owner=world.people["erin"], action=ACTION, **DUE)
    assert added.status_code == 303, added.text[:500]
    page = chloe.follow(added)
    assert "The follow-up was added. Its owner has been told in chat." in page.text
    assert ACTION in page.text and "Erin Walsh" in page.text
    assert "Due by 1 December 2026 at 17:00" in page.text

    with world.runtime.uow() as uow:
        (row,) = uow.session.scalars(select(FollowUp)).all()
        assert row.owner_id == world.people["erin"] and row.state == "open"
        assert row.note_ct is not None and ACTION.encode() not in row.note_ct
    (audit,) = _audits(world, "follow_up.added")
    assert audit.actor_id == world.people["chloe"] and audit.concern_id == concern_id
    assert ACTION not in str(audit.detail)

    world.deliver()
    told = [m for m in world.chat("erin") if m.kind == "follow_up_assigned"]
    assert len(told) == 1 and told[0].link and told[0].concern_id == concern_id
    assert ACTION not in told[0].title + " ".join(told[0].lines)

    erin = _signed_in(world, "erin")
    inbox = erin.get("/inbox")
    assert inbox.status_code == 200 and ACTION in inbox.text
    assert "Follow-up on a concern about C-1001" in inbox.text


def test_follow_up_form_errors_are_summarised_and_nothing_is_stored(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    chloe = _signed_in(world, "chloe")
    empty = _add_follow_up(chloe, concern_id)
    assert empty.status_code == 400
    assert 'class="error-summary"' in empty.text
    for anchor in ("#owner", "#due", "#action"):
        assert f'href="{anchor}"' in empty.text
    assert 'aria-describedby="due-hint due-error"' in empty.text
    past = _add_follow_up(
        chloe,
        concern_id,
        owner=world.people["erin"],
        action=ACTION,
        due_day="1",
        due_month="1",
        due_year="2026",
    )
    assert past.status_code == 400 and "must be today or in the future" in past.text
    assert ACTION in past.text  # the answer is kept
    stranger = _add_follow_up(chloe, concern_id, owner=world.people["ben"], action=ACTION, **DUE)
    assert stranger.status_code == 400 and "Choose someone this concern was shared with" in (
        stranger.text
    )
    not_a_date = _add_follow_up(
        chloe,
        concern_id,
        owner=world.people["erin"],
        action=ACTION,
        due_day="31",
        due_month="2",
        due_year="2027",
    )
    assert not_a_date.status_code == 400 and "Enter the date it is due by" in not_a_date.text
    with world.runtime.uow() as uow:
        assert uow.session.scalars(select(FollowUp)).all() == []
    assert _audits(world, "follow_up.added") == []


def test_a_double_submit_is_one_follow_up(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    chloe = _signed_in(world, "chloe")
    page = chloe.get(f"/concerns/{concern_id}")
    form = chloe.form(page.text, f"/concerns/{concern_id}/follow-ups")
    fields = {"owner": world.people["chloe"], "action": ACTION, **DUE}
    first = chloe.submit(form, set=dict(fields))
    second = chloe.submit(form, set=dict(fields))
    assert first.status_code == second.status_code == 303
    assert "You own it" in chloe.follow(first).text
    with world.runtime.uow() as uow:
        assert len(uow.session.scalars(select(FollowUp)).all()) == 1
        kinds = uow.session.scalars(select(OutboxMessage.kind)).all()
    assert "follow_up_assigned" not in kinds  # her own follow-up: no pointer to herself


def test_follow_up_needs_csrf_and_a_recipient(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    ben = _signed_in(world, "ben")
    page = ben.get("/inbox")
    csrf = ben.form(page.text, "/signout").value("csrf") or ""
    refused = ben.post(
        f"/concerns/{concern_id}/follow-ups",
        {"csrf": csrf, "owner": world.people["ben"], "action": ACTION, "submission_key": "k1"}
        | DUE,
    )
    assert refused.status_code == 403 and "You cannot see this concern" in refused.text
    forged = ben.post(f"/concerns/{concern_id}/follow-ups", {"csrf": "nope", **DUE})
    assert forged.status_code == 403 and "This form has expired" in forged.text
    with world.runtime.uow() as uow:
        assert uow.session.scalars(select(FollowUp)).all() == []


def test_chronology_lists_everything_newest_first_with_filters(world: World) -> None:
    amara = _signed_in(world, "amara")
    first = raise_concern(world, amara, "C-1001", noticed="First thing noticed")
    world.clock.advance(days=2)
    amara = _signed_in(world, "amara")  # the first session has gone idle
    raise_concern(
        world,
        amara,
        "C-1001",
        severity="low",
        category="health",
        special_category="health_social_care",
        noticed="Second thing noticed",
    )
    world.clock.advance(minutes=1)
    chloe = _signed_in(world, "chloe")
    _add_follow_up(chloe, first, owner=world.people["erin"], action=ACTION, **DUE)
    client = world.clients["C-1001"]
    page = chloe.get(f"/concerns/{first}")
    assert f'href="/clients/{client}/chronology"' in page.text
    assert f'href="/clients/{client}/network"' in page.text

    whole = chloe.get(f"/clients/{client}/chronology")
    assert whole.status_code == 200 and whole.headers["cache-control"] == "no-store"
    text = whole.text
    assert "3 entries" in text
    order = [text.index(s) for s in (ACTION, "Second thing noticed", "First thing noticed")]
    assert order == sorted(order), "newest first"

    low = chloe.get(f"/clients/{client}/chronology?severity=low")
    assert "Second thing noticed" in low.text and "First thing noticed" not in low.text
    assert "1 of 3 entries" in low.text
    neglect = chloe.get(f"/clients/{client}/chronology?category=neglect")
    assert "First thing noticed" in neglect.text and "Second thing noticed" not in neglect.text
    dated = chloe.get(f"/clients/{client}/chronology?from_day=25&from_month=11&from_year=2026")
    assert "Second thing noticed" in dated.text and "First thing noticed" not in dated.text
    council = re.search(r'<option value="([0-9a-f]{32})">Council Children', whole.text)
    assert council  # Erin (council) owns the follow-up; Amara (children's centre) raised
    owned = chloe.get(f"/clients/{client}/chronology?organisation={council.group(1)}")
    assert ACTION in owned.text and "First thing noticed" not in owned.text
    bad = chloe.get(f"/clients/{client}/chronology?from_day=40&from_month=1&from_year=2026")
    assert bad.status_code == 400 and 'href="#from"' in bad.text
    assert _audits(world, "client.chronology_viewed")


def test_chronology_keeps_a_narrowed_concern_narrow(world: World) -> None:
    amara = _signed_in(world, "amara")
    step2 = step_two(
        world,
        amara,
        "C-1001",
        severity="low",
        category="other",
        noticed="Only the lead should read this",
    )
    sent = send(
        amara,
        step2,
        set={"recipients": [world.people["chloe"]], "narrowing_reason": "Need to know only"},
    )
    assert "Concern sent" in sent.text
    dev = _signed_in(world, "dev")
    page = dev.get(f"/clients/{world.clients['C-1001']}/chronology")
    assert page.status_code == 200
    assert "Only the lead should read this" not in page.text
    assert "This concern was not shared with you" in page.text


def test_chronology_and_network_refuse_non_members_and_audit(world: World) -> None:
    ben = _signed_in(world, "ben")
    client = world.clients["C-1001"]
    for path in (f"/clients/{client}/chronology", f"/clients/{client}/network"):
        refused = ben.get(path)
        assert refused.status_code == 403
        assert "You are not in this client&#39;s network" in refused.text
        assert "Jamie" not in refused.text and "Chloe" not in refused.text
    refusals = _audits(world, "client.access_refused")
    assert [r.detail["page"] for r in refusals] == ["chronology", "network"]
    assert all(r.actor_id == world.people["ben"] and r.subject == client for r in refusals)
    assert ben.get("/clients/not-an-id/network").status_code == 403
    signed_out = world.browser("nobody").get(f"/clients/{client}/network")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin"


def test_network_page_shows_who_is_around_the_client(world: World) -> None:
    dev = _signed_in(world, "dev")
    page = dev.get(f"/clients/{world.clients['C-1001']}/network")
    assert page.status_code == 200
    for text in (
        "Chloe Patel",
        "Lead professional",
        "Erin Walsh",
        "Deputy lead",
        "Council Children&#39;s Services",
        "Dev Sharma (you)",
        "Flare playground (demo)",
        "mailto:amara@demo.flare.invalid",
    ):
        assert text in page.text, text
    assert page.text.index("Chloe Patel") < page.text.index("Erin Walsh")
    assert "Ben Hughes" not in page.text
    assert _audits(world, "client.network_viewed")


def test_inbox_shows_acknowledgements_unread_and_new_information(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    chloe = _signed_in(world, "chloe")
    inbox = chloe.get("/inbox")
    assert inbox.status_code == 200 and inbox.headers["cache-control"] == "no-store"
    to_ack = inbox.text.split("To acknowledge")[1].split("Your follow-ups")[0]
    assert f"/concerns/{concern_id}" in to_ack
    unread = inbox.text.split("Not read yet")[1].split("New information")[0]
    assert f"/concerns/{concern_id}" not in unread  # it waits for her acknowledgement: once, above

    erin = _signed_in(world, "erin")  # the deputy acknowledges it; Chloe has still not read it
    page = erin.get(f"/concerns/{concern_id}")
    acked = erin.submit(erin.form(page.text, f"/concerns/{concern_id}/acknowledge"))
    assert acked.status_code == 303
    inbox = chloe.get("/inbox")
    assert f"/concerns/{concern_id}" not in inbox.text.split("To acknowledge")[1].split("Your")[0]
    unread = inbox.text.split("Not read yet")[1].split("New information")[0]
    assert f"/concerns/{concern_id}/open" in unread

    chloe.get(f"/concerns/{concern_id}")  # a GET reads; it does not mark the concern read
    assert f"/concerns/{concern_id}/open" in chloe.get("/inbox").text.split("Not read yet")[1]
    opened = chloe.submit(chloe.form(inbox.text, f"/concerns/{concern_id}/open"))
    assert opened.status_code == 303 and opened.headers["location"] == f"/concerns/{concern_id}"
    assert "You have read everything shared with you." in chloe.get("/inbox").text
    world.clock.advance(minutes=5)
    page = erin.get(f"/concerns/{concern_id}")
    erin.submit(
        erin.form(page.text, f"/concerns/{concern_id}/information"),
        set={"information": "Missed the last two appointments"},
    )
    news = chloe.get("/inbox").text.split("New information")[1]
    assert f"/concerns/{concern_id}/open" in news and "1 new entry" in news
    chloe.submit(chloe.form(chloe.get("/inbox").text, f"/concerns/{concern_id}/open"))
    assert f"/concerns/{concern_id}" not in chloe.get("/inbox").text.split("New information")[1]
    assert world.browser("nobody").get("/inbox").status_code == 303


def test_only_the_owner_marks_a_follow_up_done(world: World) -> None:
    concern_id = raise_concern(world, _signed_in(world, "amara"), "C-1001")
    chloe = _signed_in(world, "chloe")
    _add_follow_up(chloe, concern_id, owner=world.people["erin"], action=ACTION, **DUE)
    with world.runtime.uow() as uow:
        (follow_up_id,) = uow.session.scalars(select(FollowUp.id)).all()
    done_path = f"/concerns/{concern_id}/follow-ups/{follow_up_id}/done"
    assert done_path not in chloe.get(f"/concerns/{concern_id}").text  # not hers
    csrf = chloe.form(chloe.get("/inbox").text, "/signout").value("csrf") or ""
    refused = chloe.post(done_path, {"csrf": csrf})
    assert refused.status_code == 403 and "Only the owner" in refused.text
    assert [a.actor_id for a in _audits(world, "follow_up.done_refused")] == [world.people["chloe"]]

    erin = _signed_in(world, "erin")
    page = erin.get(f"/concerns/{concern_id}")
    done = erin.submit(erin.form(page.text, done_path))
    assert done.status_code == 303
    assert "The follow-up is marked as done." in erin.follow(done).text
    assert ACTION not in erin.get("/inbox").text
    chronology = erin.get(f"/clients/{world.clients['C-1001']}/chronology").text
    assert "Done" in chronology and ACTION in chronology
    with world.runtime.uow() as uow:
        row = uow.session.get(FollowUp, follow_up_id)
        assert row is not None and row.state == "done" and row.done_at == world.clock.now()
    assert len(_audits(world, "follow_up.done")) == 1


def test_sign_in_returns_to_the_client_page_asked_for(world: World) -> None:
    dev = world.browser("dev")
    path = f"/clients/{world.clients['C-1001']}/chronology"
    asked = dev.get(path)
    assert asked.status_code == 303 and asked.headers["location"] == "/signin"
    signed = sign_in(world, dev, "dev")
    assert signed.status_code == 303 and signed.headers["location"] == path
    later = world.browser("dev-later")
    assert later.get("/inbox").headers["location"] == "/signin"
    assert sign_in(world, later, "dev").headers["location"] == "/inbox"
