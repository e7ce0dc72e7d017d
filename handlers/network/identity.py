"""Who is this chat user? One rule for Slack, Teams and web sign-in.

An identity is issuer plus subject: a Slack workspace (team, or its Enterprise Grid
organisation) + user, or an Entra tenant + object id. It counts only for a practitioner whose
organisation declares that workspace or tenant (the directory's `slack_workspaces` and
`entra_tenants`). The first time an identity is seen it may be linked through an e-mail
address the provider vouches for, matched against the directory, and only inside such a
workspace or tenant; no match, more than one match, a practitioner already linked to another
identity of that platform, or a workspace the practitioner's organisation does not declare is
refused, audited with the identity's ids (never the e-mail) and nothing is stored for the
stranger. Adapters translate the outcome into their own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from handlers.ports import Clock
from handlers.values import Platform
from store.models import Practitioner
from store.unit_of_work import UnitOfWork

# The directory's name for each platform's workspaces (Slack workspaces, Entra tenants).
PROVIDER = {Platform.SLACK: "slack", Platform.TEAMS: "entra"}


@dataclass(frozen=True)
class ChatIdentity:
    """What a platform told us about its user.

    `email` only if the provider vouches for it (Slack's confirmed e-mail; Entra's UPN, never
    its `email` claim). `enterprise` is the Slack Enterprise Grid organisation, if any.
    """

    platform: Platform
    workspace: str
    user: str
    email: str | None = None
    enterprise: str = ""

    def ids(self) -> dict[str, str]:
        """The identity's ids for an audit row (never the e-mail)."""
        ids = {"platform": self.platform.value, "workspace": self.workspace, "user": self.user}
        return ids | ({"enterprise": self.enterprise} if self.enterprise else {})

    def workspaces(self) -> list[str]:
        """The workspace ids an organisation may declare to allow this identity."""
        return [w for w in (self.workspace, self.enterprise) if w]


@dataclass(frozen=True)
class Known:
    practitioner_id: str
    organisation_id: str
    name: str
    newly_linked: bool = False


@dataclass(frozen=True)
class Unknown:
    """Not in Flare's directory, or not from a workspace their organisation declares."""

    # "no_email" | "no_match" | "inactive" | "workspace_unknown" | "workspace_not_allowed"
    reason: str


@dataclass(frozen=True)
class Ambiguous:
    """The email matches several people, or its practitioner is linked to someone else."""

    reason: str  # "several_matches" | "linked_elsewhere"


Identified = Known | Unknown | Ambiguous

UNKNOWN_MESSAGE = (
    "You are not registered in Flare yet. Ask your organisation's Flare administrator "
    "(usually your safeguarding lead) to add you to the directory with this account's email."
)
WORKSPACE_MESSAGE = (
    "Flare is not set up for this workspace or tenant. Ask your organisation's Flare "
    "administrator (usually your safeguarding lead) to declare it in Flare's directory."
)
AMBIGUOUS_MESSAGE = (
    "Flare cannot tell which registered practitioner you are. Ask your organisation's Flare "
    "administrator to check your entry in the directory."
)


def explain(outcome: Unknown | Ambiguous) -> str:
    """The one sentence every adapter shows a refused user (no personal data in it).

    A workspace no organisation declares is named as such; a declared workspace that is not
    the matched practitioner's reads like an unknown user, so it tells no one whose e-mail
    is registered.
    """
    if isinstance(outcome, Ambiguous):
        return AMBIGUOUS_MESSAGE
    return WORKSPACE_MESSAGE if outcome.reason == "workspace_unknown" else UNKNOWN_MESSAGE


def workspace_declared(uow: UnitOfWork, who: ChatIdentity) -> bool:
    """Does any organisation declare this identity's workspace (or its enterprise)?"""
    with uow:
        return bool(_declaring(uow, who))


def installation_allowed(uow: UnitOfWork, *, team: str, enterprise: str, clock: Clock) -> bool:
    """May Flare keep a Slack installation? Only into a workspace (or grid) a directory declares.

    A refusal is audited with the workspace's ids; the caller stores nothing.
    """
    with uow:
        declared = uow.directory.organisations_declaring(
            "slack", [w for w in (team, enterprise) if w]
        )
        if declared:
            return True
        detail = {
            "platform": Platform.SLACK.value,
            "workspace": team,
            "reason": "workspace_unknown",
        }
        uow.audit(
            "slack.install_refused",
            at=clock.now(),
            detail=detail | ({"enterprise": enterprise} if enterprise else {}),
        )
        uow.commit()
        return False


def _declaring(uow: UnitOfWork, who: ChatIdentity) -> set[str]:
    return uow.directory.organisations_declaring(PROVIDER[who.platform], who.workspaces())


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


def refuse(uow: UnitOfWork, who: ChatIdentity, outcome: Unknown, *, clock: Clock) -> Unknown:
    """An adapter's own refusal (e.g. not the bot's configured tenant), audited the same way."""
    with uow:
        _refuse(uow, who, outcome, clock=clock)
    return outcome


Refusal = TypeVar("Refusal", Unknown, Ambiguous)


def _refuse(
    uow: UnitOfWork,
    who: ChatIdentity,
    outcome: Refusal,
    *,
    clock: Clock,
    person: Practitioner | None = None,
) -> Refusal:
    """Audit a refusal with the identity's ids and the reason (never the e-mail)."""
    uow.audit(
        "identity.refused",
        at=clock.now(),
        subject=person.id if person is not None else None,
        detail=who.ids() | {"reason": outcome.reason},
    )
    uow.commit()
    return outcome


def identify(
    uow: UnitOfWork, who: ChatIdentity, *, clock: Clock, email_lookup_follows: bool = False
) -> Identified:
    """Resolve a chat user to a practitioner, linking on first contact by a vouched e-mail.

    With `email_lookup_follows`, an identity that is neither linked nor brings an e-mail gets
    Unknown("no_email") unaudited: the caller asks the provider and calls again.
    """
    with uow:
        return identify_in(uow, who, clock=clock, email_lookup_follows=email_lookup_follows)


def identify_in(
    uow: UnitOfWork, who: ChatIdentity, *, clock: Clock, email_lookup_follows: bool = False
) -> Identified:
    """`identify` inside a unit of work the caller has open (a refusal or a link commits)."""
    allowed = _declaring(uow, who)
    person = _linked(uow, who)
    if person is not None:
        if not person.active:
            return _refuse(uow, who, Unknown("inactive"), clock=clock, person=person)
        if person.organisation_id not in allowed:
            return _refuse(uow, who, Unknown("workspace_not_allowed"), clock=clock)
        return _known(person)
    if not allowed:
        return _refuse(uow, who, Unknown("workspace_unknown"), clock=clock)
    if not who.email:
        if email_lookup_follows:
            return Unknown("no_email")
        return _refuse(uow, who, Unknown("no_email"), clock=clock)
    matches = [p for p in uow.directory.practitioner_by_email(who.email) if p.active]
    if not matches:
        return _refuse(uow, who, Unknown("no_match"), clock=clock)
    if len(matches) > 1:
        return _refuse(uow, who, Ambiguous("several_matches"), clock=clock)
    return _first_contact(uow, who, matches[0], allowed, clock=clock)


def _first_contact(
    uow: UnitOfWork, who: ChatIdentity, person: Practitioner, allowed: set[str], *, clock: Clock
) -> Identified:
    if person.organisation_id not in allowed:
        # Someone outside her organisation's workspaces presents her e-mail: a takeover try.
        return _refuse(uow, who, Unknown("workspace_not_allowed"), clock=clock, person=person)
    if _already_linked_elsewhere(person, who):
        return _refuse(uow, who, Ambiguous("linked_elsewhere"), clock=clock, person=person)
    _link(person, who)
    uow.audit(
        "identity.linked",
        at=clock.now(),
        actor_id=person.id,
        subject=person.id,
        detail=who.ids(),
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
