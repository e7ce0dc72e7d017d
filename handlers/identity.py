"""Who is this chat user? One rule for Slack, Teams and web sign-in.

A chat identity (Slack team + user, Teams tenant + AAD object id) is linked to exactly one
Practitioner. The first time an identity is seen it is linked through the verified email the
platform vouches for, matched against the directory; no match, more than one match, or a
practitioner already linked to another identity of that platform is refused, and nothing is
stored for the stranger. Adapters translate the outcome into their own words.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.ports import Clock
from handlers.values import Platform
from store.models import Practitioner
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ChatIdentity:
    """What a platform told us about its user; `email` only if the platform verified it."""

    platform: Platform
    workspace: str
    user: str
    email: str | None = None


@dataclass(frozen=True)
class Known:
    practitioner_id: str
    organisation_id: str
    name: str
    newly_linked: bool = False


@dataclass(frozen=True)
class Unknown:
    """Not in Flare's directory: tell them to ask their organisation's Flare admin."""

    reason: str  # "no_email" | "no_match" | "inactive"


@dataclass(frozen=True)
class Ambiguous:
    """The email matches several people, or its practitioner is linked to someone else."""

    reason: str  # "several_matches" | "linked_elsewhere"


Identified = Known | Unknown | Ambiguous

UNKNOWN_MESSAGE = (
    "You are not registered in Flare yet. Ask your organisation's Flare administrator "
    "(usually your safeguarding lead) to add you to the directory with this account's email."
)
AMBIGUOUS_MESSAGE = (
    "Flare cannot tell which registered practitioner you are. Ask your organisation's Flare "
    "administrator to check your entry in the directory."
)


def explain(outcome: Unknown | Ambiguous) -> str:
    """The one sentence every adapter shows a refused user (no personal data in it)."""
    return UNKNOWN_MESSAGE if isinstance(outcome, Unknown) else AMBIGUOUS_MESSAGE


def _linked(uow: UnitOfWork, who: ChatIdentity) -> Practitioner | None:
    if who.platform is Platform.SLACK:
        return uow.directory.practitioner_by_slack(who.workspace, who.user)
    if who.platform is Platform.TEAMS:
        return uow.directory.practitioner_by_teams(who.workspace, who.user)
    raise ValueError(f"no chat identity on {who.platform}")


def _already_linked_elsewhere(person: Practitioner, who: ChatIdentity) -> bool:
    if who.platform is Platform.SLACK:
        pair = (person.slack_team_id, person.slack_user_id)
    else:
        pair = (person.teams_tenant_id, person.teams_aad_object_id)
    return pair != (None, None) and pair != (who.workspace, who.user)


def _link(person: Practitioner, who: ChatIdentity) -> None:
    if who.platform is Platform.SLACK:
        person.slack_team_id, person.slack_user_id = who.workspace, who.user
    else:
        person.teams_tenant_id, person.teams_aad_object_id = who.workspace, who.user


def _known(person: Practitioner, *, newly_linked: bool = False) -> Known:
    return Known(person.id, person.organisation_id, person.name, newly_linked)


def identify(uow: UnitOfWork, who: ChatIdentity, *, clock: Clock) -> Identified:
    """Resolve a chat user to a practitioner, linking on first contact by verified email."""
    with uow:
        person = _linked(uow, who)
        if person is not None:
            return _known(person) if person.active else Unknown("inactive")
        if not who.email:
            return Unknown("no_email")
        matches = [p for p in uow.directory.practitioner_by_email(who.email) if p.active]
        if not matches:
            return Unknown("no_match")
        if len(matches) > 1:
            return Ambiguous("several_matches")
        person = matches[0]
        if _already_linked_elsewhere(person, who):
            uow.audit(
                "identity.link_refused",
                at=clock.now(),
                actor_id=person.id,
                detail={"platform": who.platform.value, "reason": "linked_elsewhere"},
            )
            uow.commit()
            return Ambiguous("linked_elsewhere")
        _link(person, who)
        uow.audit(
            "identity.linked",
            at=clock.now(),
            actor_id=person.id,
            subject=person.id,
            detail={"platform": who.platform.value, "workspace": who.workspace},
        )
        uow.commit()
        return _known(person, newly_linked=True)


def chat_identity_of(
    uow: UnitOfWork, practitioner_id: str, platform: Platform
) -> ChatIdentity | None:
    """The linked identity a pointer to this practitioner goes to on `platform`, if any."""
    with uow:
        person = uow.directory.practitioner(practitioner_id)
        if person is None:
            return None
        if platform is Platform.SLACK and person.slack_team_id and person.slack_user_id:
            return ChatIdentity(platform, person.slack_team_id, person.slack_user_id)
        if platform is Platform.TEAMS and person.teams_tenant_id and person.teams_aad_object_id:
            return ChatIdentity(platform, person.teams_tenant_id, person.teams_aad_object_id)
        return None
