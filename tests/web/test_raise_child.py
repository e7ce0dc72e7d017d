"""The web page for raising about any child: an outsider raises by NHS number, the concern
reaches the network's lead and deputy only (or the raiser's own safeguarding people when no
child matched), and the outsider's pages are the same either way and show nothing of the
child or the network. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.outsiders import KNOWN_NHS, UNKNOWN_NHS, add_outside_organisation
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import ANSWERS, sign_in

TOKENS = re.compile(r'name="(?:csrf|submission_key|concern)" value="[^"]*"')


def outsider(world: World) -> Browser:
    world.people |= add_outside_organisation(world.runtime.uow, world.clock.now())
    gail = world.browser("gail")
    sign_in(world, gail, "gail")
    return gail


def raise_child(gail: Browser, identifier: str) -> tuple[httpx.Response, httpx.Response]:
    start = gail.get("/raise/child")
    assert start.status_code == 200
    sent = gail.submit(
        gail.form(start.text, "/raise/child"), set={**ANSWERS, "identifier": identifier}
    )
    return start, sent


def recipients(world: World, concern_id: str) -> dict[str, str]:
    with world.runtime.uow() as uow:
        return {d.recipient_id: d.role for d in uow.concerns.deliveries(concern_id)}


def newest_concern(world: World) -> str:
    with world.runtime.uow() as uow:
        raised = uow.concerns.raised_by(world.people["gail"])
        return raised[0].id


def test_an_outsider_raises_by_nhs_number_and_it_reaches_lead_and_deputy_only(
    world: World,
) -> None:
    gail = outsider(world)
    _, sent = raise_child(gail, KNOWN_NHS)

    assert sent.status_code == 200
    assert "Sent to the people responsible for this child&#39;s safety" in sent.text
    concern_id = newest_concern(world)
    assert recipients(world, concern_id) == {
        world.people["chloe"]: "lead",
        world.people["erin"]: "deputy",
        world.people["gail"]: "outsider",
    }
    client = world.clients["C-1001"]
    for path in (
        f"/concerns/{concern_id}",
        f"/clients/{client}/chronology",
        f"/clients/{client}/network",
    ):
        page = gail.get(path)
        assert page.status_code in (403, 404), path
        assert "Jamie" not in page.text and "C-1001" not in page.text
    world.deliver()
    assert world.chat("gail") == []  # nothing until it is acknowledged


def test_an_unknown_nhs_number_reaches_the_outsiders_own_safeguarding_people(
    world: World,
) -> None:
    gail = outsider(world)
    _, sent = raise_child(gail, UNKNOWN_NHS)

    assert sent.status_code == 200
    assert recipients(world, newest_concern(world)) == {
        world.people["hana"]: "duty",
        world.people["ivan"]: "duty",
        world.people["gail"]: "outsider",
    }


def test_matched_and_unmatched_give_the_outsider_the_same_pages(world: World) -> None:
    gail = outsider(world)
    matched = raise_child(gail, KNOWN_NHS)
    world.clock.advance(minutes=1)
    unmatched = raise_child(gail, UNKNOWN_NHS)
    for one, other in zip(matched, unmatched, strict=True):
        assert one.status_code == other.status_code
        assert TOKENS.sub("", one.text) == TOKENS.sub("", other.text)


def test_a_bad_identifier_is_a_400_that_does_not_echo_it(world: World) -> None:
    gail = outsider(world)
    _, refused = raise_child(gail, "not-a-valid-reference-" + "x" * 120)
    assert refused.status_code == 400
    assert "not-a-valid-reference" not in refused.text
    assert "Enter the child&#39;s NHS number" in refused.text


def test_the_outsiders_own_duty_contact_confirms_the_child_and_leads_its_network(
    world: World,
) -> None:
    gail = outsider(world)
    raise_child(gail, UNKNOWN_NHS)
    concern_id = newest_concern(world)
    with world.runtime.uow() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        client_id = concern.client_id
    assert gail.get(f"/clients/{client_id}/confirm").status_code == 403
    hana = world.browser("hana")
    sign_in(world, hana, "hana")
    page = hana.get(f"/concerns/{concern_id}")
    assert page.status_code == 200 and f"/clients/{client_id}/confirm" in page.text
    form_page = hana.get(f"/clients/{client_id}/confirm")
    assert form_page.status_code == 200 and UNKNOWN_NHS in form_page.text
    form = hana.form(form_page.text, f"/clients/{client_id}/confirm")
    assert hana.submit(form, set={"label": ""}).status_code == 400
    done = hana.submit(form, set={"label": "Alex Doe (age 6)"})

    assert done.status_code == 303 and done.headers["location"].endswith("/network")
    with world.runtime.uow() as uow:
        network = {m.practitioner_id: m.role for m in uow.directory.network(client_id)}
    assert network == {world.people["hana"]: "lead", world.people["ivan"]: "deputy"}
    assert "client.confirmed" in world.audit_actions()
    assert f"/clients/{client_id}/confirm" not in hana.get(f"/concerns/{concern_id}").text


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_the_join_round_trip_from_the_receipt(world: World, decision: str) -> None:
    gail = outsider(world)
    _, receipt = raise_child(gail, KNOWN_NHS)
    asked = gail.submit(gail.form(receipt.text, "/join/from-receipt"))
    assert asked.status_code == 200
    assert "Your request was sent to the people responsible" in asked.text
    assert "C-1001" not in asked.text and "Jamie" not in asked.text
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    listed = chloe.get("/join-requests")
    assert "Gail Burns" in listed.text and "C-1001" in listed.text
    form = chloe.form(listed.text, re.compile(r"^/join-requests/"))
    done = chloe.submit(form, set={"decision": decision})
    assert done.status_code == 303
    assert "No one is waiting" in chloe.get("/join-requests").text
    assert world.audit_actions()[-1] == f"join.{decision}d"
    world.deliver()
    words = "approved" if decision == "approve" else "not approved"
    assert any(words in str(m) for m in world.chat("gail"))


def test_asking_by_identifier_looks_the_same_known_or_not(world: World) -> None:
    gail = outsider(world)
    pages = []
    for identifier in (KNOWN_NHS, UNKNOWN_NHS):
        start = gail.get("/join")
        pages.append(gail.submit(gail.form(start.text, "/join"), set={"identifier": identifier}))
    assert [p.status_code for p in pages] == [200, 200]
    assert TOKENS.sub("", pages[0].text) == TOKENS.sub("", pages[1].text)
