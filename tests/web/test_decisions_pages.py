"""The decisions not to share page and the client's record, per role (SQLite and PostgreSQL):
the raiser and their organisation's safeguarding lead or DPO find a decision from the header,
even from outside the network; the network sees no link, no list entry and no record of it."""

from __future__ import annotations

import re

import pytest

from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from store.models import Organisation
from tests.raising import raise_command
from tests.web.conftest import World
from tests.web.flows import sign_in

NOTICED = "Bruises on both arms on Tuesday"
ROLES = ("safeguarding_lead_id", "dpo_id")
HEADER_LINK = '<a href="/decisions" class="header__nav">'


def _oversee(world: World, role: str) -> None:
    """Ben (Riverside, not in C-1001's network) holds exactly `role` for Riverside."""
    with world.runtime.uow() as uow:
        org = uow.directory.organisation_by_ref("riverside-cc")
        assert isinstance(org, Organisation)
        org.safeguarding_lead_id = world.people["ben"] if role == "safeguarding_lead_id" else None
        org.dpo_id = world.people["ben"] if role == "dpo_id" else None
        uow.commit()


def _decide(world: World) -> str:
    """Amara (Riverside) records a decision not to share about C-1001."""
    cmd = raise_command(
        world, client="C-1001", key="web-not", noticed=NOTICED, not_sharing_reason="Advised"
    )
    outcome = record_decision_not_to_share(cmd, uow=world.runtime.uow(), clock=world.clock)
    assert isinstance(outcome, DecisionRecorded), outcome
    return outcome.concern_id


@pytest.mark.parametrize("role", ROLES)
def test_a_safeguarding_lead_or_dpo_outside_the_network_finds_the_decision(
    world: World, role: str
) -> None:
    _oversee(world, role)
    decision = _decide(world)
    ben = world.browser("ben")
    sign_in(world, ben, "ben")
    home = ben.get("/")
    assert HEADER_LINK in home.text and "Decisions not to share" in home.text
    listed = ben.get("/decisions")
    assert listed.status_code == 200 and "Exit this page" in listed.text
    assert re.findall(r'href="/concerns/([0-9a-f]{32})"', listed.text) == [decision]
    assert "C-1001" in listed.text and "Amara Okafor" in listed.text
    assert NOTICED not in listed.text  # the list points; the words stay on the concern page
    assert "C-1002" not in listed.text and "C-1003" not in listed.text
    record = ben.get(f"/clients/{world.clients['C-1001']}/chronology")
    assert record.status_code == 200 and "Exit this page" in record.text
    assert NOTICED in record.text and "You are not in this client" in record.text
    assert f"/clients/{world.clients['C-1001']}/network" not in record.text
    assert re.findall(r'href="/concerns/([0-9a-f]{32})"', record.text) == [decision]
    concern = ben.get(f"/concerns/{decision}")
    assert concern.status_code == 200
    assert f"/clients/{world.clients['C-1001']}/chronology" in concern.text


def test_the_raiser_lists_their_own_decision(world: World) -> None:
    decision = _decide(world)
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    home = amara.get("/")
    assert HEADER_LINK in home.text
    listed = amara.get("/decisions")
    assert re.findall(r'href="/concerns/([0-9a-f]{32})"', listed.text) == [decision]
    assert "by you" in listed.text


@pytest.mark.parametrize("ref", ["erin", "chloe", "dev"])
def test_the_network_gets_no_link_no_list_and_no_record_of_it(world: World, ref: str) -> None:
    _oversee(world, "dpo_id")
    decision = _decide(world)
    member = world.browser(ref)
    sign_in(world, member, ref)
    home = member.get("/")
    assert home.status_code == 200 and HEADER_LINK not in home.text
    listed = member.get("/decisions")
    assert listed.status_code == 200 and "There are no decisions not to share" in listed.text
    record = member.get(f"/clients/{world.clients['C-1001']}/chronology")
    assert record.status_code == 200 and decision not in record.text
    assert NOTICED not in record.text
    assert member.get(f"/concerns/{decision}").status_code in (403, 404)


def test_outside_the_network_and_overseeing_nothing_the_record_is_refused(world: World) -> None:
    _decide(world)
    femi = world.browser("femi")  # Council: not in C-1001's network, oversees nothing
    sign_in(world, femi, "femi")
    refused = femi.get(f"/clients/{world.clients['C-1001']}/chronology")
    assert refused.status_code == 403 and NOTICED not in refused.text


def test_the_list_asks_for_sign_in(world: World) -> None:
    response = world.browser("nobody").get("/decisions")
    assert response.status_code in (200, 303, 401) and NOTICED not in response.text
    assert "Decisions not to share" not in response.text or "Sign in" in response.text
