"""A data protection officer sets and lifts a client's legal hold on the web: found by an
exact identifier (nothing listed), with a reason from a closed list, audited with before and
after, behind a recent sign-in and CSRF. The hold stops the retention sweep shredding the
client's concerns; lifting it lets them go. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.retention.concerns import sweep_retention
from tests.directory import Directory
from tests.follow.flows import close_one, raise_one
from tests.no_leak import assert_no_canary, audit_text, canary_needles
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import sign_in

PATH = "/admin/legal-hold"
NHS = "9434765919"  # C-1001's, in the demo directory
PAST_RETENTION = timedelta(days=6 * 365 + 1)  # the default period is six years


def _make_dpo(world: World, ref: str) -> None:
    with world.runtime.uow() as uow:
        person = uow.directory.practitioner_by_ref(ref)
        assert person is not None
        person.organisation.dpo_id = person.id
        uow.commit()


def _signed_in(world: World, ref: str) -> Browser:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    return browser


def _find(browser: Browser, identifier: str) -> str:
    page = browser.get(PATH)
    assert page.status_code == 200, page.status_code
    found = browser.submit(browser.form(page.text, f"{PATH}/find"), set={"identifier": identifier})
    assert found.status_code == 200, found.text[:300]
    return found.text


def _change(browser: Browser, page: str, reason: str) -> str:
    changed = browser.submit(browser.form(page, f"{PATH}/change"), set={"reason": reason})
    assert changed.status_code == 200, changed.text[:300]
    return changed.text


def _shredded(world: World, concern_id: str) -> bool:
    with world.runtime.uow() as uow:
        concern = uow.concerns.get(concern_id)
        return concern is None or concern.data_key_id is None


def test_a_hold_set_on_the_web_stops_the_sweep_and_lifting_it_lets_the_concerns_go(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _make_dpo(world, "femi")
    d = Directory(world.people, world.clients)
    uow_factory, clock = world.runtime.uow, world.clock
    concern_id = raise_one(uow_factory, clock, d, key="held")
    close_one(uow_factory, clock, d, concern_id)

    femi = _signed_in(world, "femi")
    found = _find(femi, NHS)
    assert "C-1001" in found and NHS not in found and "Not under a legal hold" in found
    missing = femi.submit(femi.form(found, f"{PATH}/change"))  # no reason chosen
    assert missing.status_code == 400 and "Choose why the legal hold is set" in missing.text
    held = _change(femi, found, "litigation")
    assert "C-1001 is now under a legal hold" in held and "Lift the legal hold" in held
    assert world.audit_details("client.legal_hold_set") == [
        {"via": "web", "reason": "litigation", "before": {"held": False}, "after": {"held": True}}
    ]
    assert world.audit_details("client.legal_hold_looked_up") == [{"found": True}]

    clock.advance(days=PAST_RETENTION.days)
    assert sweep_retention(uow_factory, clock).shredded == 0
    assert not _shredded(world, concern_id)

    femi = _signed_in(world, "femi")  # a new day, a new sign-in
    lifted = _change(femi, _find(femi, "c-1001"), "concluded")
    assert "C-1001 is no longer under a legal hold" in lifted
    (released,) = world.audit_details("client.legal_hold_released")
    assert released["before"] == {"held": True} and released["after"] == {"held": False}
    assert sweep_retention(uow_factory, clock).shredded == 1
    assert _shredded(world, concern_id)
    # The identifier the DPO typed is in no page after the form, no audit row, no log line.
    captured = capsys.readouterr()
    assert_no_canary(
        canary_needles(nhs=NHS),
        audit=audit_text(uow_factory),
        logs=captured.out + captured.err,
        pages="".join(v.response.text for v in world.visits if v.method == "POST"),
    )


def test_someone_who_is_not_the_dpo_is_refused_and_the_refusal_audited(world: World) -> None:
    _make_dpo(world, "femi")
    for ref in ("ben", "chloe"):  # an organisation admin, the client's lead
        browser = _signed_in(world, ref)
        assert browser.get(PATH).status_code == 403
        csrf = browser.form(browser.get("/inbox").text, "/signout").value("csrf") or ""
        found = browser.post(f"{PATH}/find", {"csrf": csrf, "identifier": NHS})
        assert found.status_code == 403 and "C-1001" not in found.text
        client_id = world.clients["C-1001"]
        change = {"csrf": csrf, "client_id": client_id, "action": "set", "reason": "police"}
        assert browser.post(f"{PATH}/change", change).status_code == 403
    assert world.audit_actions().count("admin.refused") == 6
    assert "client.legal_hold_set" not in world.audit_actions()
    with world.runtime.uow() as uow:
        client = uow.directory.client(world.clients["C-1001"])
        assert client is not None and client.legal_hold_at is None


def test_the_page_needs_a_recent_sign_in_and_the_form_token(world: World) -> None:
    _make_dpo(world, "femi")
    femi = _signed_in(world, "femi")
    page = femi.get(PATH)
    form = femi.form(page.text, f"{PATH}/find")
    forged = femi.post(f"{PATH}/find", {"csrf": "forged", "identifier": NHS})
    assert forged.status_code == 403 and "C-1001" not in forged.text
    unknown = femi.submit(form, set={"identifier": "9434765927"})  # valid, nobody's
    assert unknown.status_code == 400 and "No client in Flare has that identifier" in unknown.text
    assert "9434765927" not in unknown.text
    assert world.audit_details("client.legal_hold_looked_up") == [{"found": False}]
    for _ in range(2):  # 20 minutes, in use: the session lives, the sign-in is old
        world.clock.advance(minutes=10)
        assert femi.get("/inbox").status_code == 200
    asked = femi.get(PATH)
    assert asked.status_code == 303 and asked.headers["location"] == "/signin"
