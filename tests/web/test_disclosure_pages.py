"""Subject access pages: a DPO's export (a printable page with no script, and JSON) and the
who-viewed report, behind a recent sign-in, for officers within reach only, with CSRF."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from handlers.disclosure.exports import EXPORT_HOURS
from store.models import SubjectAccessExport
from tests.directory import Directory
from tests.disclosure import NOT_SHARING, OWN_NHS, PROTECTED, Record, make_officers, make_record
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import sign_in

EXPORT_URL = re.compile(r"^/disclosure/exports/([0-9a-f]{32})$")
EXIT_LINK = 'href="https://www.bbc.co.uk/weather"'


@pytest.fixture
def record(world: World) -> Record:
    d = Directory(world.people, world.clients)
    make_officers(world.runtime.uow, d)
    return make_record(world.runtime.uow, d, world.clock)


def _officer(world: World, ref: str = "dev") -> Browser:
    browser = world.browser(ref)
    assert sign_in(world, browser, ref).status_code == 303
    return browser


def _export(browser: Browser, typed: str = OWN_NHS, **extra: str) -> str:
    page = browser.get("/disclosure")
    assert page.status_code == 200, page.text[:300]
    made = browser.submit(
        browser.form(page.text, "/disclosure/exports"), set={"identifier": typed, **extra}
    )
    assert made.status_code == 303, made.text[:300]
    location = made.headers["location"]
    assert EXPORT_URL.match(location), location
    return location


def _exports(world: World) -> int:
    with world.runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(SubjectAccessExport)) or 0


def test_an_officer_exports_a_record_as_a_printable_page_and_as_json(
    world: World, record: Record
) -> None:
    dev = _officer(world)
    location = _export(dev)
    page = dev.get(location)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text.lower()  # no JavaScript at all
    assert EXIT_LINK in page.text  # the quick exit, as a plain link
    assert "Jamie Rivers" in page.text and NOT_SHARING in page.text
    assert "a decision not to share" in page.text and "Redactions (4)" in page.text
    assert "Neglect" in page.text and "High" in page.text  # labels, not stored values
    assert PROTECTED not in page.text and "C-1002" not in page.text
    assert 'href="/static/export.css"' in page.text

    download = dev.click(page.text, f"{location}.json")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"].startswith("attachment;")
    document = json.loads(download.text)
    assert document["client"]["reference"] == "C-1001" and len(document["concerns"]) == 2
    assert world.audit_details("disclosure.downloaded")[-2:] == [
        {"export": location.rsplit("/", 1)[1], "format": form} for form in ("html", "json")
    ]


def test_protected_identities_come_only_when_the_officer_ticks_the_box(
    world: World, record: Record
) -> None:
    dev = _officer(world)
    page = dev.get(_export(dev, include_protected="yes"))
    assert PROTECTED in page.text and "Included (recorded in the audit trail)" in page.text
    assert world.audit_details("disclosure.exported")[-1]["protected_included"] is True


def test_a_sign_in_20_minutes_old_is_asked_again(world: World, record: Record) -> None:
    dev = _officer(world)
    location = _export(dev)
    csrf = dev.form(dev.get("/disclosure").text, "/disclosure/exports").value("csrf")
    for _ in range(2):  # in use, so the session stays alive
        world.clock.advance(minutes=10)
        assert dev.get("/inbox").status_code == 200
    before = _exports(world)
    for asked in (
        dev.get("/disclosure"),
        dev.get(location),
        dev.get(f"{location}.json"),
        dev.get(f"/disclosure/clients/{world.clients['C-1001']}/viewers"),
        dev.post("/disclosure/exports", {"csrf": csrf or "", "identifier": OWN_NHS}),
    ):
        assert asked.status_code == 303 and asked.headers["location"] == "/signin"
    assert _exports(world) == before
    assert "A child's history needs a recent sign-in" in dev.get("/signin").text


@pytest.mark.parametrize("ref", ["chloe", "amara"])
def test_someone_neither_dpo_nor_admin_is_refused(world: World, record: Record, ref: str) -> None:
    browser = _officer(world, ref)
    refused = browser.get("/disclosure")
    assert refused.status_code == 403
    assert "Only a data protection officer or an administrator" in refused.text
    csrf = browser.form(browser.get("/inbox").text, "/signout").value("csrf") or ""
    for path in ("/disclosure/exports", "/disclosure/viewers"):
        assert browser.post(path, {"csrf": csrf, "identifier": OWN_NHS}).status_code == 403
    viewers = browser.get(f"/disclosure/clients/{world.clients['C-1001']}/viewers")
    assert viewers.status_code == 403 and "Chloe Patel" not in viewers.text
    assert _exports(world) == 0
    assert len(world.audit_details("disclosure.refused")) == 4


def test_a_post_without_its_csrf_token_changes_nothing(world: World, record: Record) -> None:
    dev = _officer(world)
    refused = dev.post("/disclosure/exports", {"identifier": OWN_NHS})
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert _exports(world) == 0


def test_an_identifier_out_of_reach_or_unknown_gets_one_answer_never_echoed(
    world: World, record: Record
) -> None:
    dev = _officer(world)
    for typed in ("C-1003", "C-9999"):  # Oakfield has nobody around C-1003
        for action in ("/disclosure/exports", "/disclosure/viewers"):
            page = dev.submit(
                dev.form(dev.get("/disclosure").text, action), set={"identifier": typed}
            )
            assert page.status_code == 400
            assert "No client your organisation works with has that identifier" in page.text
            assert typed not in page.text
    assert _exports(world) == 0


def test_an_export_is_gone_after_its_hours_and_for_anyone_else(
    world: World, record: Record
) -> None:
    dev = _officer(world)
    location = _export(dev)
    femi = _officer(world, "femi")  # an admin within reach, but not its creator
    assert femi.get(location).status_code == 404
    assert dev.get("/disclosure/exports/not-an-id").status_code == 404
    world.clock.advance(hours=EXPORT_HOURS)
    dev = _officer(world)
    gone = dev.get(location)
    assert gone.status_code == 404 and "no longer available" in gone.text
    assert dev.get(f"{location}.json").status_code == 404
    assert _exports(world) == 0


def test_the_who_viewed_report_names_who_what_and_when(world: World, record: Record) -> None:
    femi = _officer(world, "femi")
    page = femi.get("/disclosure")
    found = femi.submit(femi.form(page.text, "/disclosure/viewers"), set={"identifier": "C-1001"})
    assert found.headers["location"] == f"/disclosure/clients/{world.clients['C-1001']}/viewers"
    report = femi.follow(found)
    assert report.status_code == 200 and EXIT_LINK in report.text
    assert "Chloe Patel, Oakfield Primary School" in report.text
    assert f"Concern {record.shared_id[:8].upper()}" in report.text
    assert "Read the chronology" in report.text
    assert f"Concern {record.other_id[:8].upper()}" not in report.text
