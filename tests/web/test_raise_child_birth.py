"""The web raise form takes a child's name and date of birth in its one identifier field
(`Name, YYYY-MM-DD`): matched, it reaches the network's lead and deputy; the pages are the
same whether or not it matched; a bad or future date is a 400 that says how to write it and
never echoes it. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.outsiders import KNOWN_BIRTH_TYPED, UNKNOWN_BIRTH, add_child_known_by_birth
from tests.web.conftest import World
from tests.web.flows import sign_in
from tests.web.test_raise_child import TOKENS, newest_concern, outsider, raise_child, recipients


def test_the_form_asks_for_a_name_and_date_of_birth_in_the_identifier_field(
    world: World,
) -> None:
    page = outsider(world).get("/raise/child")
    assert "name and date of birth" in page.text and "Jane Smith, 2019-04-23" in page.text
    assert "cannot be used yet" not in page.text


def test_a_known_name_and_date_of_birth_reaches_lead_and_deputy_and_looks_like_any_other(
    world: World,
) -> None:
    add_child_known_by_birth(world.runtime.uow, world.clock.now())
    gail = outsider(world)
    matched = raise_child(gail, KNOWN_BIRTH_TYPED)
    assert recipients(world, newest_concern(world)) == {
        world.people["chloe"]: "lead",
        world.people["erin"]: "deputy",
        world.people["gail"]: "outsider",
    }
    world.clock.advance(minutes=1)
    unmatched = raise_child(gail, UNKNOWN_BIRTH)
    for one, other in zip(matched, unmatched, strict=True):
        assert one.status_code == other.status_code == 200
        assert TOKENS.sub("", one.text) == TOKENS.sub("", other.text)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("Kit Secretname, 2019-02-30", "Write the date of birth as YYYY-MM-DD"),
        ("Kit Secretname, 2099-01-01", "The date of birth cannot be in the future"),
        (", 2019-04-23", "the child&#39;s name, a comma, then their date of birth"),
    ],
)
def test_a_bad_name_or_date_of_birth_is_a_400_that_says_how_and_does_not_echo_it(
    world: World, typed: str, says: str
) -> None:
    _, refused = raise_child(outsider(world), typed)
    assert refused.status_code == 400
    assert says in refused.text
    assert "Secretname" not in refused.text and "2019-02-30" not in refused.text


def test_the_safeguarding_people_see_the_reported_name_and_date_of_birth_to_confirm(
    world: World,
) -> None:
    raise_child(outsider(world), UNKNOWN_BIRTH)
    with world.runtime.uow() as uow:
        concern = uow.concerns.get(newest_concern(world))
        assert concern is not None
        client_id = concern.client_id
    hana = world.browser("hana")
    sign_in(world, hana, "hana")
    page = hana.get(f"/clients/{client_id}/confirm")
    assert page.status_code == 200
    assert "Name and date of birth" in page.text and "2019-04-24" in page.text
