"""Admin pages change behaviour (duty contact, retention, bank holidays, routing) and refuse
the wrong role."""

from __future__ import annotations

from sqlalchemy import select

from bot.web.admin_partnership import form_values
from handlers.partnership import PartnershipSettings
from handlers.retention.concerns import run_retention
from store.models import AuditEvent, Concern, Practitioner
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in, step_two


def _saved(response_status: int) -> None:
    assert response_status == 303, response_status


def _partnership(world: World, browser: Browser, **changes: str) -> int:
    """A partnership admin changes some settings on the partnership page."""
    page = browser.get("/admin/partnership")
    assert page.status_code == 200
    form = browser.form(page.text, "/admin/partnership")
    return browser.submit(form, set=dict(changes)).status_code


def _shredded(world: World) -> int:
    return sum(r.shredded for r in run_retention(world.runtime.uow, world.runtime.clock))


def _audited(world: World, action: str) -> list[AuditEvent]:
    with world.runtime.uow() as uow:
        rows = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_a_duty_contact_set_on_the_web_receives_the_escalation(world: World) -> None:
    femi = world.browser("femi")  # an admin of Council Children's Services
    sign_in(world, femi, "femi")
    page = femi.get("/admin/organisation")
    assert page.status_code == 200 and "Council Children&#39;s Services" in page.text
    added = femi.submit(
        femi.form(page.text, "/admin/organisation/practitioners"),
        set={"name": "Gita Rao", "job_title": "Duty social worker", "platform": "playground"},
    )
    _saved(added.status_code)
    with world.runtime.uow() as uow:
        gita = uow.session.scalars(
            select(Practitioner).where(Practitioner.name == "Gita Rao")
        ).one()
        world.people["gita"] = gita.id
    page = femi.get("/admin/organisation")
    roles = femi.form(page.text, "/admin/organisation/roles")
    _saved(femi.submit(roles, set={"duty_contact": world.people["gita"]}).status_code)
    before_after = [
        e.detail for e in _audited(world, "admin.changed") if "duty" in (e.subject or "")
    ]
    assert before_after == [{"before": world.people["femi"], "after": world.people["gita"]}]

    ben = world.browser("ben")  # a member of C-1002's network; Erin (council) leads it
    sign_in(world, ben, "ben")
    concern_id = raise_concern(world, ben, "C-1002", severity="immediate")
    world.deliver()
    world.clock.advance(minutes=61)
    assert world.runtime.escalate().levels == {1: 1}  # the deputy
    world.clock.advance(minutes=61)
    assert world.runtime.escalate().levels == {2: 1}  # the duty contact set on the web
    world.deliver()
    assert [m.kind for m in world.chat("gita") if m.concern_id == concern_id] == ["escalation"]
    assert not [m for m in world.chat("femi") if m.concern_id == concern_id]


def test_a_retention_period_set_on_the_web_changes_what_the_sweep_shreds(world: World) -> None:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    form = amara.form(step_two(world, amara, "C-1001").text, "/raise/send")
    recorded = amara.submit(
        form, button="decision=not_share", set={"not_sharing_reason": "We will watch for now"}
    )
    assert recorded.status_code in (200, 303), recorded.status_code
    with world.runtime.uow() as uow:
        assert [c.status for c in uow.session.scalars(select(Concern))] == ["not_shared"]
    world.clock.advance(days=40)
    assert _shredded(world) == 0  # kept for the organisation's six years

    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    _saved(_partnership(world, femi, retention_not_shared_days="30"))
    assert _shredded(world) == 1
    with world.runtime.uow() as uow:
        assert uow.session.scalars(select(Concern)).all() == []
    change = [e for e in _audited(world, "partnership.setting_changed")]
    assert [(e.subject, e.detail) for e in change] == [
        ("retention_not_shared_days", {"before": None, "after": 30})
    ]


def test_the_bank_holiday_region_changes_a_deadline(world: World) -> None:
    world.clock.advance(days=3)  # Friday 27 November 2026; Monday 30th is St Andrew's Day
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    in_england = raise_concern(world, amara, "C-1001", severity="medium")
    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    _saved(_partnership(world, femi, bank_holiday_region="scotland"))
    in_scotland = raise_concern(world, amara, "C-1001", severity="medium")
    with world.runtime.uow() as uow:
        england = uow.session.get(Concern, in_england)
        scotland = uow.session.get(Concern, in_scotland)
        assert england is not None and scotland is not None
        assert england.acknowledge_by is not None and scotland.acknowledge_by is not None
        assert england.acknowledge_by.date().isoformat() == "2026-12-01"
        assert scotland.acknowledge_by.date().isoformat() == "2026-12-02"


def test_the_routing_policy_set_on_the_web_is_what_the_raise_form_previews(world: World) -> None:
    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    _saved(_partnership(world, femi, routing_neglect_high="none"))
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    preview = step_two(world, amara, "C-1001", severity="high")
    checked = amara.form(preview.text, "/raise/send").fields
    recipients = {value for name, value in checked if name == "recipients"}
    assert recipients == {world.people["chloe"], world.people["erin"]}  # not Dev (a member)
    _saved(_partnership(world, femi, routing_neglect_high="school"))
    preview = step_two(world, amara, "C-1001", severity="high")
    recipients = {v for n, v in amara.form(preview.text, "/raise/send").fields if n == "recipients"}
    assert world.people["dev"] in recipients


def test_bad_partnership_answers_are_field_errors_and_change_nothing(world: World) -> None:
    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    before = world.audit_count()
    page = femi.get("/admin/partnership")
    answer = femi.submit(
        femi.form(page.text, "/admin/partnership"),
        set={"deadline_high": "soon", "routing_other_low": "police", "pattern_window_days": "-3"},
    )
    assert answer.status_code == 400 and "There is a problem" in answer.text
    assert world.audit_count() == before
    assert form_values(PartnershipSettings())["deadline_high"] == "eod"


def test_only_the_right_role_may_see_or_submit_each_page_and_refusals_are_audited(
    world: World,
) -> None:
    amara = world.browser("amara")  # no admin role
    sign_in(world, amara, "amara")
    for path in ("/admin/organisation", "/admin/partnership"):
        assert amara.get(path).status_code == 403
    csrf = amara.form(amara.get("/raise").text, "/raise").fields
    token = next(v for n, v in csrf if n == "csrf")
    refused = amara.post("/admin/partnership", {"csrf": token, "bank_holiday_region": "scotland"})
    assert refused.status_code == 403
    refused = amara.post("/admin/organisation/roles", {"csrf": token, "admins": "x"})
    assert refused.status_code == 403

    ben = world.browser("ben")  # an organisation admin, but not a partnership admin
    sign_in(world, ben, "ben")
    assert ben.get("/admin/organisation").status_code == 200
    assert ben.get("/admin/partnership").status_code == 403
    # another organisation's practitioner is not Ben's to change
    assert ben.get(f"/admin/organisation/practitioners/{world.people['erin']}").status_code == 403
    page = ben.get(f"/admin/organisation/practitioners/{world.people['amara']}")
    assert page.status_code == 200
    # without the form's CSRF token nothing changes
    assert ben.post(
        f"/admin/organisation/practitioners/{world.people['amara']}/deactivate", {}
    ).status_code in (400, 403)
    refusals = _audited(world, "admin.refused")
    assert len(refusals) == 6
    assert {e.actor_id for e in refusals} == {world.people["amara"], world.people["ben"]}
    with world.runtime.uow() as uow:
        settings = uow.partnership.values()
        person = uow.directory.practitioner(world.people["amara"])
        assert settings == {} and person is not None and person.active


def test_an_admin_deactivates_a_leaver_and_their_access_stops(world: World) -> None:
    ben = world.browser("ben")
    sign_in(world, ben, "ben")
    page = ben.get(f"/admin/organisation/practitioners/{world.people['amara']}")
    form = ben.form(
        page.text, f"/admin/organisation/practitioners/{world.people['amara']}/deactivate"
    )
    _saved(ben.submit(form).status_code)
    with world.runtime.uow() as uow:
        person = uow.directory.practitioner(world.people["amara"])
        assert person is not None and not person.active
    changes = [e.detail for e in _audited(world, "admin.changed")]
    assert changes == [{"before": {"active": True}, "after": {"active": False}}]


def test_an_admin_declares_workspaces_and_bad_ids_are_refused(world: World) -> None:
    ben = world.browser("ben")
    sign_in(world, ben, "ben")
    page = ben.get("/admin/organisation")
    form = ben.form(page.text, "/admin/organisation/workspaces")
    bad = ben.submit(form, set={"slack_workspaces": "not-a-team"})
    assert bad.status_code == 400 and "slack_workspaces must be" in bad.text
    good = ben.submit(form, set={"slack_workspaces": "T0DEMO T0OTHER"})
    _saved(good.status_code)
    with world.runtime.uow() as uow:
        org = uow.directory.organisation_by_ref("riverside-cc")
        assert org is not None
        assert sorted(uow.directory.declared_workspaces(org.id, "slack")) == ["T0DEMO", "T0OTHER"]
