"""Chat identity: linked by team/tenant + user, first contact by verified email only, and
only inside a workspace or tenant the practitioner's organisation declares."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.demo import ENTRA_TENANT, SLACK_WORKSPACE
from handlers.network.client_lookup import Raiser, client_options, raiser_and_clients
from handlers.network.identity import (
    UNKNOWN_MESSAGE,
    WORKSPACE_MESSAGE,
    Ambiguous,
    ChatIdentity,
    Known,
    Unknown,
    chat_identity_of,
    explain,
    identify,
)
from handlers.values import Platform
from store.models import AuditEvent, Practitioner
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, declare, seed_directory

Factory = Callable[[], UnitOfWork]
DECLARED = {Platform.SLACK: SLACK_WORKSPACE, Platform.TEAMS: ENTRA_TENANT}
FOREIGN = {Platform.SLACK: "T0FOREIGN", Platform.TEAMS: "99999999-9999-4999-8999-999999999999"}


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _audit_actions(uow_factory: Factory) -> list[str]:
    with uow_factory() as uow:
        return [e.action for e in uow.session.query(AuditEvent).order_by(AuditEvent.seq)]


def _refusals(uow_factory: Factory) -> list[dict[str, str]]:
    """The details of every `identity.refused` audit row, oldest first."""
    with uow_factory() as uow:
        rows = uow.session.query(AuditEvent).filter(AuditEvent.action == "identity.refused")
        return [dict(e.detail) for e in rows.order_by(AuditEvent.seq)]


def _linked_to(uow_factory: Factory, ref: str) -> tuple[str | None, ...]:
    with uow_factory() as uow:
        person = uow.directory.practitioner_by_ref(ref)
        assert person is not None
        return (
            person.slack_team_id,
            person.slack_user_id,
            person.teams_tenant_id,
            person.teams_aad_object_id,
        )


@pytest.mark.parametrize("platform", [Platform.SLACK, Platform.TEAMS])
def test_first_contact_links_by_verified_email_then_by_id(
    uow_factory: Factory, clock: FakeClock, directory: Directory, platform: Platform
) -> None:
    home = DECLARED[platform]
    who = ChatIdentity(platform, home, "U-AMARA", "Amara@Demo.Flare.Invalid ")
    first = identify(uow_factory(), who, clock=clock)
    assert isinstance(first, Known) and first.newly_linked
    assert first.practitioner_id == directory.people["amara"]
    again = identify(uow_factory(), ChatIdentity(platform, home, "U-AMARA"), clock=clock)
    assert isinstance(again, Known) and again.practitioner_id == directory.people["amara"]
    assert not again.newly_linked
    assert _audit_actions(uow_factory).count("identity.linked") == 1
    linked = chat_identity_of(uow_factory(), directory.people["amara"], platform)
    assert linked == ChatIdentity(platform, home, "U-AMARA")
    assert chat_identity_of(uow_factory(), directory.people["ben"], platform) is None


def test_unknown_and_unverified_users_are_refused_and_nothing_is_stored(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    before = _audit_actions(uow_factory)
    stranger = ChatIdentity(Platform.SLACK, SLACK_WORKSPACE, "U-X", "nobody@elsewhere.invalid")
    assert identify(uow_factory(), stranger, clock=clock) == Unknown("no_match")
    no_email = ChatIdentity(Platform.SLACK, SLACK_WORKSPACE, "U-Y")
    looked_up = identify(uow_factory(), no_email, clock=clock, email_lookup_follows=True)
    assert looked_up == Unknown("no_email")  # the caller asks Slack, then calls again
    assert identify(uow_factory(), no_email, clock=clock) == Unknown("no_email")
    refused = _refusals(uow_factory)
    assert _audit_actions(uow_factory) == before + ["identity.refused"] * 2
    assert [(r["user"], r["reason"]) for r in refused] == [("U-X", "no_match"), ("U-Y", "no_email")]
    assert "@" not in str(refused)
    with uow_factory() as uow:
        assert uow.directory.practitioner_by_slack(SLACK_WORKSPACE, "U-X") is None
    assert "administrator" in explain(Unknown("no_match"))


def test_a_second_account_with_the_same_email_is_refused(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    email = "ben@demo.flare.invalid"
    declare(uow_factory, "riverside-cc", slack=(SLACK_WORKSPACE, "T2"), at=clock.now())
    first = ChatIdentity(Platform.SLACK, SLACK_WORKSPACE, "U1", email)
    assert isinstance(identify(uow_factory(), first, clock=clock), Known)
    other = identify(uow_factory(), ChatIdentity(Platform.SLACK, "T2", "U2", email), clock=clock)
    assert other == Ambiguous("linked_elsewhere")
    assert _refusals(uow_factory)[-1]["reason"] == "linked_elsewhere"


def test_an_inactive_practitioner_is_not_recognised(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    who = ChatIdentity(Platform.TEAMS, ENTRA_TENANT, "oid", "chloe@demo.flare.invalid")
    assert isinstance(identify(uow_factory(), who, clock=clock), Known)
    with uow_factory() as uow:
        person = uow.session.get(Practitioner, directory.people["chloe"])
        assert person is not None
        person.active = False
        uow.commit()
    assert identify(uow_factory(), who, clock=clock) == Unknown("inactive")


@pytest.mark.parametrize("platform", [Platform.SLACK, Platform.TEAMS])
def test_a_victims_email_from_an_undeclared_workspace_links_nothing_and_is_audited(
    uow_factory: Factory, clock: FakeClock, directory: Directory, platform: Platform
) -> None:
    attacker = ChatIdentity(platform, FOREIGN[platform], "U-MALLORY", "chloe@demo.flare.invalid")
    outcome = identify(uow_factory(), attacker, clock=clock)
    assert outcome == Unknown("workspace_unknown")
    assert explain(outcome) == WORKSPACE_MESSAGE
    assert _linked_to(uow_factory, "chloe") == (None, None, None, None)
    (refusal,) = _refusals(uow_factory)
    assert refusal == {
        "platform": platform.value,
        "workspace": FOREIGN[platform],
        "user": "U-MALLORY",
        "reason": "workspace_unknown",
    }


@pytest.mark.parametrize("platform", [Platform.SLACK, Platform.TEAMS])
def test_a_workspace_another_organisation_declares_does_not_reach_her(
    uow_factory: Factory, clock: FakeClock, directory: Directory, platform: Platform
) -> None:
    """Riverside declares the foreign workspace; Chloe (Oakfield) is not reachable from it."""
    foreign = FOREIGN[platform]
    provider = "slack" if platform is Platform.SLACK else "entra"
    declare(uow_factory, "riverside-cc", **{provider: (foreign,)}, at=clock.now())
    attacker = ChatIdentity(platform, foreign, "U-MALLORY", "chloe@demo.flare.invalid")
    outcome = identify(uow_factory(), attacker, clock=clock)
    assert outcome == Unknown("workspace_not_allowed")
    assert explain(outcome) == UNKNOWN_MESSAGE  # says nothing about whose address it is
    assert _linked_to(uow_factory, "chloe") == (None, None, None, None)
    (refusal,) = _refusals(uow_factory)
    assert refusal["reason"] == "workspace_not_allowed" and refusal["workspace"] == foreign
    assert "@" not in str(refusal)
    # The same person from her own organisation's workspace is linked.
    her = ChatIdentity(platform, DECLARED[platform], "U-CHLOE", "chloe@demo.flare.invalid")
    assert isinstance(identify(uow_factory(), her, clock=clock), Known)
    # Amara (Riverside) from the workspace Riverside declares is linked too.
    amara = ChatIdentity(platform, foreign, "U-AMARA", "amara@demo.flare.invalid")
    assert isinstance(identify(uow_factory(), amara, clock=clock), Known)


def test_a_linked_identity_stops_counting_when_its_workspace_is_no_longer_declared(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    who = ChatIdentity(Platform.TEAMS, ENTRA_TENANT, "oid-dev", "dev@demo.flare.invalid")
    assert isinstance(identify(uow_factory(), who, clock=clock), Known)
    declare(uow_factory, "oakfield-primary", entra=(), at=clock.now())
    again = ChatIdentity(Platform.TEAMS, ENTRA_TENANT, "oid-dev")
    assert identify(uow_factory(), again, clock=clock) == Unknown("workspace_not_allowed")
    assert _refusals(uow_factory)[-1]["user"] == "oid-dev"


def test_an_enterprise_grid_org_allows_its_workspaces(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    declare(uow_factory, "council-cs", slack=("E0GRID",), at=clock.now())
    grid = ChatIdentity(Platform.SLACK, "T0GRIDWS", "W-ERIN", "erin@demo.flare.invalid", "E0GRID")
    assert isinstance(identify(uow_factory(), grid, clock=clock), Known)
    linked = ChatIdentity(Platform.SLACK, "T0GRIDWS", "W-ERIN", enterprise="E0GRID")
    assert isinstance(identify(uow_factory(), linked, clock=clock), Known)
    # The same workspace id presented without its grid is not declared.
    bare = ChatIdentity(Platform.SLACK, "T0GRIDWS", "W-ERIN")
    assert identify(uow_factory(), bare, clock=clock) == Unknown("workspace_not_allowed")


def test_raiser_and_clients_links_then_lists_only_their_clients_and_refuses_with_none(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    home = SLACK_WORKSPACE
    first = ChatIdentity(Platform.SLACK, home, "U-AMARA", "amara@demo.flare.invalid")
    found = raiser_and_clients(uow_factory(), first, clock=clock)
    assert isinstance(found.who, Known) and found.who.newly_linked  # committed with the read
    assert found.clients == client_options(uow_factory(), directory.people["amara"]) != ()
    assert found.chosen is None
    again = raiser_and_clients(
        uow_factory(), ChatIdentity(Platform.SLACK, home, "U-AMARA"), clock=clock
    )
    assert isinstance(again.who, Known) and not again.who.newly_linked
    assert again.clients == found.clients
    assert _audit_actions(uow_factory).count("identity.linked") == 1
    stranger = ChatIdentity(Platform.SLACK, home, "U-X", "nobody@elsewhere.invalid")
    assert raiser_and_clients(uow_factory(), stranger, clock=clock) == Raiser(Unknown("no_match"))
    assert _refusals(uow_factory)[-1]["reason"] == "no_match"


def test_raiser_and_clients_names_the_typed_client_only_if_it_is_theirs(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    amara = ChatIdentity(Platform.SLACK, SLACK_WORKSPACE, "U-AMARA", "amara@demo.flare.invalid")
    for typed, chosen in [
        ("c-1001", directory.clients["C-1001"]),  # a reference, any case
        ("943 476 5919", directory.clients["C-1001"]),  # an NHS number, by the blind index
        ("C-1002", None),  # not in Amara's networks
        ("Jamie Rivers", None),  # never a plaintext search
    ]:
        assert raiser_and_clients(uow_factory(), amara, clock=clock, typed=typed).chosen == chosen
