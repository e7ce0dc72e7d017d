# ruff: noqa: F811 - the fake providers' fixtures are imported from test_signin_oidc
"""Step-up: a child's chronology and network need a sign-in within FLARE_STEP_UP_MINUTES.

The single concern a link points to opens with the ordinary sign-in. For the history, an
older authentication sends the browser to sign in again; the provider is asked to
authenticate the person anew (Entra: prompt=login and max_age; Slack: max_age, with the
`auth_time` it signs checked), and an answer from an old authentication is refused.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from store.models import WebSession
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.test_signin_oidc import (  # noqa: F401 - the fake providers and their fixtures
    PROVIDERS,
    Idps,
    _raised_for_chloe,
    at_provider,
    idps,
    oidc_sign_in,
    oidc_world,
    refusals,
)


def _signed_in_chloe(world: World, idps: Idps, name: str) -> tuple[Browser, str, str]:
    """Chloe signs in through `name` by opening her pointer; 20 minutes pass, in use."""
    concern_id, link = _raised_for_chloe(world)
    idps.as_person(name, "chloe")
    chloe = world.browser("chloe")
    chloe.submit(chloe.form(chloe.get(link).text))
    opened = oidc_sign_in(world, idps, chloe, name)
    assert opened.headers["location"] == f"/concerns/{concern_id}"
    for _ in range(2):  # within the idle timeout, so the session stays alive
        world.clock.advance(minutes=10)
        assert chloe.get("/inbox").status_code == 200
    return chloe, concern_id, world.clients["C-1001"]


def _step_up_query(idps: Idps, name: str) -> dict[str, str]:
    return idps.by_name(name).authorize_queries[-1]


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_sign_in_20_minutes_old_is_asked_again_for_the_chronology_not_the_concern(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    chloe, concern_id, client_id = _signed_in_chloe(world, idps, name)
    first = _step_up_query(idps, name)
    assert "max_age" not in first and "prompt" not in first  # an ordinary sign-in

    assert chloe.get(f"/concerns/{concern_id}").status_code == 200  # the link's concern: no
    for page in ("chronology", "network"):
        asked = chloe.get(f"/clients/{client_id}/{page}")
        assert asked.status_code == 303 and asked.headers["location"] == "/signin", page
    signin = chloe.get("/signin")
    assert "A child's history needs a recent sign-in" in signin.text

    back = at_provider(idps, name, chloe.click(signin.text, f"/signin/{name}"))
    query = _step_up_query(idps, name)
    assert query["max_age"] == "900"  # FLARE_STEP_UP_MINUTES, 15 by default
    assert query.get("prompt") == ("login" if name == "microsoft" else None)
    done = chloe.get(back)
    assert done.status_code == 303 and done.headers["location"] == f"/clients/{client_id}/network"
    assert "C-1001" in chloe.follow(done).text
    assert chloe.get(f"/clients/{client_id}/chronology").status_code == 200
    with world.runtime.uow() as uow:  # the old session ended; the new one is freshly proven
        live = uow.session.scalars(select(WebSession).where(WebSession.revoked_at.is_(None)))
        chloes = [s for s in live if s.practitioner_id == world.people["chloe"]]
        assert len(chloes) == 1 and chloes[0].authenticated_at is not None
        assert world.clock.now() - chloes[0].authenticated_at < timedelta(seconds=5)


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_provider_answering_from_an_old_authentication_is_refused(
    oidc_world: World, idps: Idps, name: str
) -> None:
    world = oidc_world
    chloe, _, client_id = _signed_in_chloe(world, idps, name)
    fake = idps.by_name(name)
    fake.ignores_step_up, fake.sso_since = True, int(time.time()) - 3600
    assert chloe.get(f"/clients/{client_id}/chronology").headers["location"] == "/signin"
    back = at_provider(idps, name, chloe.click(chloe.get("/signin").text, f"/signin/{name}"))
    assert parse_qs(urlsplit(back).query).get("code")  # the provider did answer
    refused = chloe.get(back)
    assert refused.status_code == 400 and "You are not signed in" in refused.text
    # msal checks auth_time against max_age itself, and refuses first on Entra.
    reason = "stale_authentication" if name == "slack" else "msal"
    assert refusals(world)[-1]["reason"] == reason
    assert chloe.get(f"/clients/{client_id}/chronology").status_code == 303  # still asked


def test_the_step_up_window_is_a_setting(oidc_world: World, idps: Idps) -> None:
    world = oidc_world
    world.runtime.settings.step_up_minutes = 60
    chloe, _, client_id = _signed_in_chloe(world, idps, "slack")
    assert chloe.get(f"/clients/{client_id}/chronology").status_code == 200
