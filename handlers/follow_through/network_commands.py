"""Changing a network from chat: `network add|remove|role|leave …` words → one use case.

Slack's `/concern network …` and Teams' `network …` message both call `network_command`,
so the grammar and the replies cannot drift apart. Only directory references are taken
(the client's reference, the person's Flare reference): nothing is listed or browsed.
Replies never repeat what was typed; an unknown client and a network the sender does not
lead are refused in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.follow_through.membership import (
    Change,
    NetworkChanged,
    NetworkOutcome,
    PersonRef,
    add_member,
    change_role,
    find_person,
    leave_network,
    remove_member,
)
from handlers.ports import Clock
from handlers.values import Role
from store.unit_of_work import UnitOfWork

USAGE = (
    "To change a client's network, give the client's reference and the person's Flare "
    "reference: `network add CLIENT PERSON [member|deputy|lead]`, "
    "`network role CLIENT PERSON member|deputy|lead`, `network remove CLIENT PERSON` "
    "or `network leave CLIENT`."
)
DONE = {
    Change.ADDED: "Done: they are in the network now, and Flare has told them.",
    Change.ROLE_CHANGED: "Done: their role has changed, and Flare has told them.",
    Change.REMOVED: "Done: they are no longer in the network, and Flare has told them.",
    Change.LEFT: "Done: you are no longer in that network.",
}


@dataclass(frozen=True)
class NetworkReply:
    text: str
    ok: bool


def _role(word: str) -> Role | None:
    try:
        return Role(word.strip().lower())
    except ValueError:
        return None


def network_command(uow: UnitOfWork, *, actor_id: str, words: str, clock: Clock) -> NetworkReply:
    """Run one chat command (the words after `network`) and say what happened."""
    parts = words.split()[:5]
    verb = parts[0].lower() if parts else ""
    shape = {"add": (3, 4), "role": (4, 4), "remove": (3, 3), "leave": (2, 2)}.get(verb)
    if shape is None or not shape[0] <= len(parts) <= shape[1]:
        return NetworkReply(USAGE, ok=False)
    role = _role(parts[3]) if len(parts) == 4 else Role.MEMBER
    if role is None:
        return NetworkReply(USAGE, ok=False)
    with uow:
        client = uow.directory.client_by_reference(parts[1][:64])
        person = find_person(uow, PersonRef(ref=parts[2])) if len(parts) > 2 else None
        client_id = client.id if client is not None else "-"
        target = person.id if person is not None else "-"
    outcome: NetworkOutcome
    if verb == "leave":
        outcome = leave_network(uow, client_id=client_id, practitioner_id=actor_id, clock=clock)
    elif verb == "add":
        outcome = add_member(
            uow,
            client_id=client_id,
            actor_id=actor_id,
            person=PersonRef(ref=parts[2]),
            role=role,
            clock=clock,
        )
    else:
        outcome = (
            change_role(
                uow,
                client_id=client_id,
                actor_id=actor_id,
                practitioner_id=target,
                role=role,
                clock=clock,
            )
            if verb == "role"
            else remove_member(
                uow, client_id=client_id, actor_id=actor_id, practitioner_id=target, clock=clock
            )
        )
    if isinstance(outcome, NetworkChanged):
        return NetworkReply(DONE[outcome.change], ok=True)
    return NetworkReply(outcome.words, ok=False)
