"""The network page changes the network: add, change a role, remove, leave (POST + CSRF).

The lead or deputy sees the forms; anyone else gets 403 from the same POSTs. A removed
member is refused on their very next request — concern, chronology, network, the link in
their pointer — and the person concerned is told in chat.
"""

from __future__ import annotations

from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import pointer_path, raise_concern, sign_in

C1 = "C-1001"  # chloe leads, erin deputises, amara and dev are members; ben is outside


def _network(world: World) -> str:
    return f"/clients/{world.clients[C1]}/network"


def _signed_in(world: World, who: str) -> Browser:
    browser = world.browser(who)
    sign_in(world, browser, who)
    return browser


def _kinds(world: World, who: str) -> list[str]:
    world.deliver()
    return [m.kind for m in world.chat(who)]


def test_the_lead_adds_re_roles_and_removes_and_each_person_is_told(world: World) -> None:
    chloe = _signed_in(world, "chloe")
    page = chloe.get(_network(world))
    assert page.status_code == 200 and "Add someone to this network" in page.text
    added = chloe.submit(
        chloe.form(page.text, f"{_network(world)}/add"),
        set={"person": "", "name": "Ben Hughes", "organisation": "Riverside Children's Centre"},
    )
    assert added.status_code == 303
    shown = chloe.follow(added)
    assert "Ben Hughes" in shown.text and "They are in the network now" in shown.text
    assert "added_to_network" in _kinds(world, "ben")

    ben_id = world.people["ben"]
    role_form = chloe.form(shown.text, f"{_network(world)}/role")
    changed = chloe.submit(role_form, set={"practitioner": ben_id, "role": "deputy"})
    assert changed.status_code == 303
    assert "network_role_changed" in _kinds(world, "ben")
    assert world.audit_details("network.role_changed") == [
        {"practitioner": ben_id, "role": "deputy", "was": "member"}
    ]

    remove = chloe.form(chloe.get(_network(world)).text, f"{_network(world)}/remove")
    assert chloe.submit(remove, set={"practitioner": ben_id}).status_code == 303
    assert "removed_from_network" in _kinds(world, "ben")
    ben = _signed_in(world, "ben")
    assert ben.get(_network(world)).status_code == 403


def test_a_member_sees_no_forms_and_is_refused_403(world: World) -> None:
    dev = _signed_in(world, "dev")
    page = dev.get(_network(world))
    assert page.status_code == 200 and "Add someone to this network" not in page.text
    assert "Leave this network" in page.text
    before = world.audit_count()
    csrf = dev.form(page.text, f"{_network(world)}/leave").value("csrf")
    assert csrf
    for action, data in (
        ("add", {"csrf": csrf, "person": "ben"}),
        ("remove", {"csrf": csrf, "practitioner": world.people["amara"]}),
        ("role", {"csrf": csrf, "practitioner": world.people["amara"], "role": "lead"}),
    ):
        refused = dev.post(f"{_network(world)}/{action}", data)
        assert refused.status_code == 403, action
        assert "Only the lead professional or deputy" in refused.text
    assert world.audit_actions()[before:].count("network.change_refused") == 3
    assert dev.post(f"{_network(world)}/add", {"person": "ben"}).status_code == 403  # no CSRF


def test_malformed_changes_are_4xx_and_change_nothing(world: World) -> None:
    chloe = _signed_in(world, "chloe")
    page = chloe.get(_network(world))
    csrf = chloe.form(page.text, f"{_network(world)}/add").value("csrf")
    assert csrf
    for action, data, status in (
        ("remove", {"practitioner": "../../etc"}, 400),
        ("role", {"practitioner": world.people["dev"], "role": "captain"}, 400),
        ("add", {"person": "x" * 5000}, 400),
        ("add", {"person": "no-such-person"}, 400),
        ("remove", {"practitioner": world.people["ben"]}, 400),
        ("remove", {"practitioner": world.people["chloe"]}, 400),
    ):
        answer = chloe.post(f"{_network(world)}/{action}", {"csrf": csrf, **data})
        assert answer.status_code == status, (action, data, answer.status_code)
    assert "network.removed" not in world.audit_actions()
    assert "network.added" not in world.audit_actions()
    bad_client = chloe.post("/clients/not-a-client/network/add", {"csrf": csrf, "person": "ben"})
    assert bad_client.status_code == 403


def test_a_removed_member_is_refused_on_the_next_request_and_their_link_stops_working(
    world: World,
) -> None:
    amara = _signed_in(world, "amara")
    concern_id = raise_concern(world, amara, C1)  # high severity: the whole network
    world.deliver()
    link = pointer_path(world, "dev", concern_id)
    dev = _signed_in(world, "dev")
    client = world.clients[C1]
    reads = (f"/concerns/{concern_id}", f"/clients/{client}/chronology", _network(world))
    assert [dev.get(path).status_code for path in reads] == [200, 200, 200]

    chloe = _signed_in(world, "chloe")
    page = chloe.get(_network(world))
    remove = chloe.form(page.text, f"{_network(world)}/remove")
    assert chloe.submit(remove, set={"practitioner": world.people["dev"]}).status_code == 303

    assert [dev.get(path).status_code for path in reads] == [403, 403, 403]
    opened = dev.submit(dev.form(dev.get(link).text))
    assert opened.status_code == 404 and "expired or is not valid" in opened.text
    assert {"reason": "no_longer_entitled"} in world.audit_details("link.refused")
    # the raiser, still a member, reads on; and Dev gets no further pointer about it
    assert amara.get(f"/concerns/{concern_id}").status_code == 200


def test_a_member_leaves_and_lands_on_their_inbox(world: World) -> None:
    dev = _signed_in(world, "dev")
    page = dev.get(_network(world))
    left = dev.submit(dev.form(page.text, f"{_network(world)}/leave"))
    assert left.status_code == 303 and left.headers["location"] == "/inbox"
    assert dev.get(_network(world)).status_code == 403
    assert world.audit_details("network.left") == [
        {"practitioner": world.people["dev"], "role": "member"}
    ]
    chloe = _signed_in(world, "chloe")
    page = chloe.get(_network(world))
    assert "Leave this network" not in page.text  # the lead hands over first
