"""An organisation admin names the safeguarding lead on the web, and a raise from outside that
matches no child reaches that lead (and the duty contact), not the one before, nor the
admins. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from store.models import AuditEvent, Practitioner
from tests.outsiders import UNKNOWN_NHS, add_outside_admin
from tests.web.conftest import World
from tests.web.flows import sign_in
from tests.web.test_raise_child import newest_concern, outsider, raise_child, recipients


def test_a_safeguarding_lead_set_on_the_web_receives_an_unmatched_raise(world: World) -> None:
    gail = outsider(world)
    world.people["jun"] = add_outside_admin(world.runtime.uow, world.clock.now())
    jun = world.browser("jun")
    sign_in(world, jun, "jun")
    page = jun.get("/admin/organisation")
    assert page.status_code == 200 and "Library Service" in page.text
    added = jun.submit(
        jun.form(page.text, "/admin/organisation/practitioners"),
        set={"name": "Kay Obi", "job_title": "Safeguarding lead", "platform": "playground"},
    )
    assert added.status_code == 303
    with world.runtime.uow() as uow:
        kay = uow.session.scalars(select(Practitioner).where(Practitioner.name == "Kay Obi"))
        world.people["kay"] = kay.one().id
    roles = jun.form(jun.get("/admin/organisation").text, "/admin/organisation/roles")
    saved = jun.submit(roles, set={"safeguarding_lead": world.people["kay"]})
    assert saved.status_code == 303

    raise_child(gail, UNKNOWN_NHS)

    assert recipients(world, newest_concern(world)) == {
        world.people["kay"]: "duty",  # the safeguarding lead named on the web
        world.people["hana"]: "duty",  # the duty contact
        world.people["gail"]: "outsider",
    }
    with world.runtime.uow() as uow:
        changes = [
            e.detail
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "admin.changed")
            )
            if (e.subject or "").endswith(":safeguarding_lead")
        ]
    assert changes == [{"before": world.people["ivan"], "after": world.people["kay"]}]
