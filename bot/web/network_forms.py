"""A client's network page, and its forms: add someone, change a role, remove, leave.

Each POST checks CSRF and a recent sign-in, calls one use case in
handlers.follow_through.membership and shows its outcome; who may do what is decided there.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from bot.web.clients import client_id_or_refuse, not_in_network
from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.follow_through.membership import (
    NetworkChanged,
    NetworkOutcome,
    PersonRef,
    Refusal,
    add_member,
    change_role,
    leave_network,
    remove_member,
)
from handlers.network.members import network_of
from handlers.network.routing import NotInNetwork
from handlers.values import Role

router = APIRouter(route_class=PageRoute)
PageDep = Annotated[Page, Depends(page_for)]
PRACTITIONER_ID = re.compile(r"^[0-9a-f]{32}$")
NOTICES = {
    "added": "They are in the network now. Flare has told them in chat.",
    "role_changed": "Their role has changed. Flare has told them in chat.",
    "removed": "They are no longer in the network and can no longer read about this client. "
    "Flare has told them in chat, and any follow-ups they owned have gone to the lead.",
}


def show_network(
    page: Page,
    client_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    answers: dict[str, str] | None = None,
) -> Response:
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/network")
    try:
        view = network_of(
            page.deps.uow(),
            client_id=client_id,
            practitioner_id=me.practitioner_id,
            clock=page.deps.clock,
        )
    except NotInNetwork:
        raise not_in_network() from None
    notice = NOTICES.get(page.browser.recall("notice") or "")
    page.browser.remember("notice", None)
    mine = next((p.role for p in view.people if p.is_me), None)
    return page.render(
        "network.html",
        status=status,
        view=view,
        notice=notice,
        may_change=mine in (Role.LEAD, Role.DEPUTY),
        roles=[(r.value, r.label) for r in Role],
        errors=errors or {},
        answers=answers or {},
    )


@router.get("/clients/{client_id}/network")
def network_page(client_id: str, page: PageDep) -> Response:
    return show_network(page, client_id_or_refuse(client_id))


def _not_steward() -> PageError:
    return PageError(
        403,
        "Only the lead professional or deputy can change this network",
        "Ask the client's lead professional if someone should join or leave the network.",
    )


def _after(page: Page, client_id: str, outcome: NetworkOutcome, field: str) -> Response:
    if isinstance(outcome, NetworkChanged):
        page.browser.remember("notice", outcome.change.value)
        return page.redirect(f"/clients/{client_id}/network")
    if outcome.reason is Refusal.NOT_STEWARD:
        raise _not_steward()
    return show_network(page, client_id, status=400, errors={field: outcome.words})


def _practitioner(practitioner_id: str) -> str:
    if not PRACTITIONER_ID.match(practitioner_id):
        raise PageError(400, "That person is not in this network", "Go back and try again.")
    return practitioner_id


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise PageError(400, "Choose a role from the list", "Go back and try again.") from None


@router.post("/clients/{client_id}/network/add")
def add_to_network(
    client_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    person: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=200)] = "",
    new_role: Annotated[str, Form(max_length=16)] = "member",
) -> Response:
    page.check_csrf(csrf)
    client_id = client_id_or_refuse(client_id)
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/network")
    outcome = add_member(
        page.deps.uow(),
        client_id=client_id,
        actor_id=me.practitioner_id,
        person=PersonRef(ref=person, name=name, organisation=organisation),
        role=_role(new_role),
        clock=page.deps.clock,
    )
    if isinstance(outcome, NetworkChanged) or outcome.reason is Refusal.NOT_STEWARD:
        return _after(page, client_id, outcome, "person")
    answers = {"person": person, "name": name, "organisation": organisation, "role": new_role}
    return show_network(
        page, client_id, status=400, errors={"person": outcome.words}, answers=answers
    )


@router.post("/clients/{client_id}/network/role")
def change_network_role(
    client_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    practitioner: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    page.check_csrf(csrf)
    client_id = client_id_or_refuse(client_id)
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/network")
    outcome = change_role(
        page.deps.uow(),
        client_id=client_id,
        actor_id=me.practitioner_id,
        practitioner_id=_practitioner(practitioner),
        role=_role(role),
        clock=page.deps.clock,
    )
    return _after(page, client_id, outcome, "change")


@router.post("/clients/{client_id}/network/remove")
def remove_from_network(
    client_id: str,
    page: PageDep,
    csrf: Annotated[str, Form()] = "",
    practitioner: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    page.check_csrf(csrf)
    client_id = client_id_or_refuse(client_id)
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/network")
    outcome = remove_member(
        page.deps.uow(),
        client_id=client_id,
        actor_id=me.practitioner_id,
        practitioner_id=_practitioner(practitioner),
        clock=page.deps.clock,
    )
    return _after(page, client_id, outcome, "change")


@router.post("/clients/{client_id}/network/leave")
def leave_this_network(
    client_id: str, page: PageDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    page.check_csrf(csrf)
    client_id = client_id_or_refuse(client_id)
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/network")
    outcome = leave_network(
        page.deps.uow(),
        client_id=client_id,
        practitioner_id=me.practitioner_id,
        clock=page.deps.clock,
    )
    if isinstance(outcome, NetworkChanged):
        return page.redirect("/inbox")
    if outcome.reason is Refusal.NOT_MEMBER:
        raise not_in_network()
    return show_network(page, client_id, status=400, errors={"leave": outcome.words})
