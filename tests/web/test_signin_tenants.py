"""Sign-in takeover attempts across workspaces and tenants, against the fake providers.

Someone in a workspace or tenant her organisation does not declare presents the victim's
e-mail (Slack's verified e-mail, Entra's UPN or `email` claim). Each attempt leaves no link
and no session, and is audited with the identity's ids, never the e-mail. The same person
from a declared tenant is linked. Entra runs with a multi-tenant authority (`/organizations`),
where the issuer can only be built from the token's `tid` after its signature is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.demo import SLACK_WORKSPACE
from tests.directory import declare
from tests.loopback import self_signed_certificate
from tests.web.conftest import World, make_world
from tests.web.fake_oidc import TENANT, FakeProvider, Person, Running
from tests.web.test_signin_oidc import Idps, oidc_sign_in, refusals, sessions

FOREIGN_TENANT = "99999999-9999-4999-8999-999999999999"
FOREIGN_WORKSPACE = "T0FOREIGN"
VICTIM = "chloe@demo.flare.invalid"


@pytest.fixture
def idps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Idps]:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # msal's requests trusts the fake
    slack = Running(FakeProvider("slack"))
    entra = Running(FakeProvider("entra"), tls=(cert, key))
    yield Idps(slack, entra, cert)
    slack.stop()
    entra.stop()


@pytest.fixture(params=["organizations", "common"])
def multi_world(
    engine: Engine, tmp_path: Path, idps: Idps, request: pytest.FixtureRequest
) -> World:
    """Flare with a multi-tenant Entra authority, and Sign in with Slack."""
    settings = idps.settings() | {"entra_authority": f"{idps.entra.base}/{request.param}"}
    return make_world(engine, tmp_path, **settings)


def _linked(world: World, ref: str) -> tuple[str | None, ...]:
    with world.runtime.uow() as uow:
        person = uow.directory.practitioner(world.people[ref])
        assert person is not None
        return (
            person.slack_team_id,
            person.slack_user_id,
            person.teams_tenant_id,
            person.teams_aad_object_id,
        )


def _assert_refused_without_trace(world: World, browser: Any, answer: Any) -> dict[str, Any]:
    """No session, no link for the victim; one audited refusal without the e-mail."""
    assert answer.status_code in (400, 403)
    assert "flare_session" not in browser.client.cookies
    assert "Signed in as" not in browser.get("/").text
    assert sessions(world) == []
    assert _linked(world, "chloe") == (None, None, None, None)
    (refusal,) = refusals(world)
    assert "@" not in str(refusal) and "@" not in str(world.audit_details("identity.refused"))
    return refusal


def test_a_foreign_tenant_with_the_victims_upn_is_refused_after_the_signature(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    idps.entra.person = Person("oid-mallory", FOREIGN_TENANT, VICTIM)
    browser = world.browser("mallory")
    answer = oidc_sign_in(world, idps, browser, "microsoft")
    refusal = _assert_refused_without_trace(world, browser, answer)
    assert refusal == {
        "provider": "microsoft",
        "reason": "tenant_not_allowed",
        "platform": "teams",
        "workspace": FOREIGN_TENANT,
        "user": "oid-mallory",
    }


def test_a_foreign_tenant_token_with_a_bad_signature_is_refused_for_the_signature(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    idps.entra.person = Person("oid-mallory", FOREIGN_TENANT, VICTIM)
    idps.entra.misbehave = "signature"
    browser = world.browser("mallory")
    refusal = _assert_refused_without_trace(
        world, browser, oidc_sign_in(world, idps, browser, "microsoft")
    )
    # The tid of an unverified token is never looked at: no ids are recorded either.
    assert refusal == {"provider": "microsoft", "reason": "invalid_token"}


def test_a_tenant_another_organisation_declares_does_not_reach_her(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    declare(world.runtime.uow, "riverside-cc", entra=(FOREIGN_TENANT,), at=world.clock.now())
    idps.entra.person = Person("oid-mallory", FOREIGN_TENANT, VICTIM)
    browser = world.browser("mallory")
    answer = oidc_sign_in(world, idps, browser, "microsoft")
    assert answer.status_code == 403 and "not registered in Flare" in answer.text
    refusal = _assert_refused_without_trace(world, browser, answer)
    assert refusal["reason"] == "identity_workspace_not_allowed"
    assert refusal["workspace"] == FOREIGN_TENANT and refusal["user"] == "oid-mallory"
    (identity,) = world.audit_details("identity.refused")
    assert identity["reason"] == "workspace_not_allowed"


def test_an_issuer_that_is_not_the_tokens_own_tenant_is_refused(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    declare(world.runtime.uow, "riverside-cc", entra=(FOREIGN_TENANT,), at=world.clock.now())
    idps.entra.person = Person("oid-mallory", FOREIGN_TENANT, VICTIM)
    idps.entra.misbehave = "issuer"  # iss names the demo tenant, tid the foreign one
    browser = world.browser("mallory")
    refusal = _assert_refused_without_trace(
        world, browser, oidc_sign_in(world, idps, browser, "microsoft")
    )
    assert refusal["reason"] == "issuer" and refusal["workspace"] == FOREIGN_TENANT


def test_the_entra_email_claim_alone_never_links(multi_world: World, idps: Idps) -> None:
    world = multi_world
    # A declared tenant, no UPN, and the victim's address in the unverified `email` claim.
    idps.entra.person = Person("oid-x", TENANT, None, upn=None, email_claim=VICTIM)
    browser = world.browser("x")
    answer = oidc_sign_in(world, idps, browser, "microsoft")
    assert answer.status_code == 403
    refusal = _assert_refused_without_trace(world, browser, answer)
    assert refusal["reason"] == "identity_no_email"


def test_the_same_person_from_a_declared_tenant_is_linked_by_upn(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    idps.entra.person = Person("U-chloe", TENANT, None, upn=VICTIM, email_claim="x@y.invalid")
    chloe = world.browser("chloe")
    done = oidc_sign_in(world, idps, chloe, "microsoft")
    assert done.status_code == 303
    assert "Signed in as Chloe Patel" in chloe.get("/").text
    issuer = f"{idps.entra.base}/{TENANT}/v2.0"  # built from the verified, declared tid
    assert sessions(world) == [("microsoft", world.people["chloe"], issuer)]
    assert _linked(world, "chloe") == (None, None, TENANT, "U-chloe")


def test_a_foreign_slack_workspace_with_the_victims_verified_email_is_refused(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    idps.slack.person = Person("U-MALLORY", FOREIGN_WORKSPACE, VICTIM, email_verified=True)
    browser = world.browser("mallory")
    refusal = _assert_refused_without_trace(
        world, browser, oidc_sign_in(world, idps, browser, "slack")
    )
    assert refusal == {
        "provider": "slack",
        "reason": "workspace_unknown",
        "platform": "slack",
        "workspace": FOREIGN_WORKSPACE,
        "user": "U-MALLORY",
    }
    # From her own organisation's workspace, the same address links.
    idps.slack.person = Person("U-CHLOE", SLACK_WORKSPACE, VICTIM)
    chloe = world.browser("chloe")
    assert oidc_sign_in(world, idps, chloe, "slack").status_code == 303
    assert _linked(world, "chloe") == (SLACK_WORKSPACE, "U-CHLOE", None, None)


def test_a_slack_workspace_another_organisation_declares_does_not_reach_her(
    multi_world: World, idps: Idps
) -> None:
    world = multi_world
    declare(world.runtime.uow, "riverside-cc", slack=(FOREIGN_WORKSPACE,), at=world.clock.now())
    idps.slack.person = Person("U-MALLORY", FOREIGN_WORKSPACE, VICTIM)
    browser = world.browser("mallory")
    answer = oidc_sign_in(world, idps, browser, "slack")
    refusal = _assert_refused_without_trace(world, browser, answer)
    assert refusal["reason"] == "identity_workspace_not_allowed"
    assert refusal["user"] == "U-MALLORY"
