"""The concern page shows each recipient the sharing rationale in full: the lawful basis, the
Article 9 condition, why sharing is necessary and why they were chosen; a decision not to
share opens for the raiser's organisation's DPO and safeguarding lead, not for the network."""

from __future__ import annotations

from store.models import Organisation
from tests.web.conftest import World
from tests.web.flows import raise_concern, sign_in, step_two


def test_a_recipient_sees_the_lawful_basis_the_article_9_condition_and_why_they_were_chosen(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(
        world, amara, "C-1001", category="health", special_category="safeguarding"
    )
    chloe = world.browser("chloe")
    sign_in(world, chloe, "chloe")
    page = chloe.get(f"/concerns/{concern_id}")
    assert page.status_code == 200
    assert "Lawful basis (UK GDPR Article 6)" in page.text and "Public task" in page.text
    assert "9(2)(g), DPA 2018 Sch 1 para 18" in page.text
    assert "A pattern that the school and social care need to see" in page.text
    assert "Why you were chosen" in page.text
    assert "Lead professional for this client" in page.text


def test_a_health_concern_asks_for_its_article_9_condition_on_the_web(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    page = step_two(world, amara, "C-1001", category="health")
    assert page.status_code == 400 and 'href="#special_category"' in page.text


def test_a_decision_not_to_share_opens_for_the_dpo_and_not_for_the_network(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    with world.runtime.uow() as uow:
        riverside = uow.directory.organisation_by_ref("riverside-cc")
        assert isinstance(riverside, Organisation)
        riverside.dpo_id = world.people["ben"]
        uow.commit()
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    step2 = step_two(world, amara, "C-1001")
    recorded = amara.submit(
        amara.form(step2.text, "/raise/send"),
        button="decision=not_share",
        set={"not_sharing_reason": "Already known to our family support team"},
    )
    assert "Decision not to share recorded" in recorded.text
    concern_id = recorded.text.split('href="/concerns/', 1)[1][:32]
    ben, chloe = world.browser("ben"), world.browser("chloe")
    sign_in(world, ben, "ben")
    sign_in(world, chloe, "chloe")
    seen = ben.get(f"/concerns/{concern_id}")
    assert seen.status_code == 200
    assert "Already known to our family support team" in seen.text
    assert "Why it was not shared" in seen.text and "Why sharing is necessary" not in seen.text
    assert chloe.get(f"/concerns/{concern_id}").status_code == 403  # the network's lead
