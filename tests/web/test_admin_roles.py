"""Admin roles are managed on the web: a partnership admin grants and removes the partnership
admin role (never the last one), an organisation admin names its admins and its data
protection officer; every change is audited with its before and after values, and the wrong
role gets a 403. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from store.models import AuditEvent
from tests.web.browser import Browser, Form, forms
from tests.web.conftest import World
from tests.web.flows import sign_in


def _admin_form(html: str, action: str, person: str | None = None) -> Form:
    """The partnership page's grant form, or the remove form of one admin."""
    return next(
        f
        for f in forms(html)
        if f.action == "/admin/partnership/admins"
        and f.value("action") == action
        and (person is None or f.value("practitioner_id") == person)
    )


def _changes(world: World, subject_end: str) -> list[object]:
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.changed"))
        return [e.detail for e in rows if (e.subject or "").endswith(subject_end)]


def _signed_in(world: World, ref: str) -> Browser:
    browser = world.browser(ref)
    sign_in(world, browser, ref)
    return browser


def test_a_partnership_admin_grants_and_removes_the_role_on_the_web(world: World) -> None:
    femi, erin = world.people["femi"], world.people["erin"]
    admin = _signed_in(world, "femi")
    page = admin.get("/admin/partnership")
    assert "Partnership admins" in page.text and "Erin" in page.text
    granted = admin.submit(_admin_form(page.text, "grant"), set={"practitioner_id": erin})
    assert granted.status_code == 303

    other = _signed_in(world, "erin")
    page = other.get("/admin/partnership")
    assert page.status_code == 200  # the role counts at once
    removed = other.submit(_admin_form(page.text, "remove", femi))
    assert removed.status_code == 303
    assert _signed_in(world, "femi").get("/admin/partnership").status_code == 403
    assert _changes(world, "partnership:admins") == [
        {"before": [femi], "after": sorted([femi, erin])},
        {"before": sorted([femi, erin]), "after": [erin]},
    ]


def test_the_last_partnership_admin_cannot_be_removed_and_bad_choices_are_400s(
    world: World,
) -> None:
    admin = _signed_in(world, "femi")
    page = admin.get("/admin/partnership")
    last = admin.submit(_admin_form(page.text, "remove", world.people["femi"]))
    assert last.status_code == 400
    assert "at least one partnership admin" in last.text
    unknown = admin.submit(_admin_form(page.text, "grant"), set={"practitioner_id": "nobody"})
    assert unknown.status_code == 400 and "Choose an active practitioner" in unknown.text
    odd = admin.submit(_admin_form(page.text, "grant"), set={"action": "promote"})
    assert odd.status_code == 400
    assert _changes(world, "partnership:admins") == []


def test_only_a_partnership_admin_may_grant_the_role(world: World) -> None:
    ben = _signed_in(world, "ben")  # an organisation admin only
    token = next(v for n, v in ben.form(ben.get("/raise").text, "/raise").fields if n == "csrf")
    refused = ben.post(
        "/admin/partnership/admins",
        {"csrf": token, "action": "grant", "practitioner_id": world.people["ben"]},
    )
    assert refused.status_code == 403
    with world.runtime.uow() as uow:
        ben_row = uow.directory.practitioner(world.people["ben"])
        assert ben_row is not None and not ben_row.is_partnership_admin


def test_an_organisation_admin_names_its_admins_and_dpo_on_the_web(world: World) -> None:
    femi, erin = world.people["femi"], world.people["erin"]  # both at the council
    admin = _signed_in(world, "femi")
    roles = admin.form(admin.get("/admin/organisation").text, "/admin/organisation/roles")
    saved = admin.submit(roles, set={"dpo": erin, "admins": [femi, erin]})
    assert saved.status_code == 303

    assert _signed_in(world, "erin").get("/admin/organisation").status_code == 200
    with world.runtime.uow() as uow:
        council = uow.directory.organisation_by_ref("council-cs")
        assert council is not None and council.dpo_id == erin
    assert _changes(world, ":dpo") == [{"before": None, "after": erin}]
    assert _changes(world, ":admins") == [{"before": [femi], "after": sorted([femi, erin])}]

    roles = admin.form(admin.get("/admin/organisation").text, "/admin/organisation/roles")
    none_left = admin.submit(roles, set={"admins": []})
    assert none_left.status_code == 400 and "at least one" in none_left.text


def _admin_links(browser: Browser, path: str) -> list[str]:
    page = browser.get(path)
    assert page.status_code == 200
    return [p for p in ("/admin/organisation", "/admin/partnership") if f'href="{p}"' in page.text]


def test_signed_in_pages_link_to_the_admin_pages_a_person_may_use_and_no_others(
    world: World,
) -> None:
    femi, ben, amara = (_signed_in(world, ref) for ref in ("femi", "ben", "amara"))
    for path in ("/", "/inbox"):
        assert _admin_links(femi, path) == ["/admin/organisation", "/admin/partnership"]
        assert _admin_links(ben, path) == ["/admin/organisation"]
        assert _admin_links(amara, path) == []
    page = femi.get("/admin/partnership")
    granted = femi.submit(
        _admin_form(page.text, "grant"), set={"practitioner_id": world.people["ben"]}
    )
    assert granted.status_code == 303
    assert _admin_links(ben, "/") == ["/admin/organisation", "/admin/partnership"]  # at once
    assert "Partnership admin" not in world.browser("nobody").get("/").text  # signed out
