"""A client's chronology (its network page is bot.web.network_forms): for the network only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bot.web.rendering import Page, PageError, PageRoute, page_for
from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.follow_through.follow_ups import date_from_fields
from handlers.network.routing import NotInNetwork
from handlers.values import Category, Severity

router = APIRouter(route_class=PageRoute)
CLIENT_ID = re.compile(r"^[0-9a-f]{32}$")
PageDep = Annotated[Page, Depends(page_for)]


def not_in_network() -> PageError:
    return PageError(
        403,
        "You are not in this client's network",
        "Only the people in a client's network can see who else is in it and what has been "
        "raised about them. If you work with this client, ask their lead professional or "
        "your Flare administrator to add you.",
    )


def client_id_or_refuse(client_id: str) -> str:
    if not CLIENT_ID.match(client_id):
        raise not_in_network()
    return client_id


def _filters(query: Mapping[str, str]) -> tuple[ChronologyFilters, dict[str, str], dict[str, str]]:
    """The filter form's answers (GET), as filters; bad answers become field errors."""
    answers = {name: query.get(name, "").strip()[:64] for name in FILTER_FIELDS}
    errors: dict[str, str] = {}
    category = severity = None
    if answers["category"]:
        try:
            category = Category(answers["category"])
        except ValueError:
            errors["category"] = "Choose a kind of concern from the list"
    if answers["severity"]:
        try:
            severity = Severity(answers["severity"])
        except ValueError:
            errors["severity"] = "Choose a severity from the list"
    dates: dict[str, date | None] = {}
    for end, label in (("from", "From"), ("to", "To")):
        parts = [answers[f"{end}_{part}"] for part in ("day", "month", "year")]
        dates[end] = date_from_fields(*parts) if any(parts) else None
        if any(parts) and dates[end] is None:
            errors[end] = f"{label} must be a real date, for example 27 3 2027"
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = "To must be the same as or after From"
    filters = ChronologyFilters(
        category=category,
        severity=severity,
        organisation_id=answers["organisation"] or None,
        date_from=dates["from"] if not errors else None,
        date_to=dates["to"] if not errors else None,
    )
    return filters, answers, errors


FILTER_FIELDS = (
    "category",
    "severity",
    "organisation",
    *(f"{end}_{part}" for end in ("from", "to") for part in ("day", "month", "year")),
)


@router.get("/clients/{client_id}/chronology")
def chronology_page(client_id: str, request: Request, page: PageDep) -> Response:
    client_id = client_id_or_refuse(client_id)
    me = page.require_recent_sign_in(after=f"/clients/{client_id}/chronology")
    filters, answers, errors = _filters(request.query_params)
    try:
        view = chronology(
            page.deps.uow(),
            client_id=client_id,
            practitioner_id=me.practitioner_id,
            filters=filters,
            clock=page.deps.clock,
        )
    except NotInNetwork:
        raise not_in_network() from None
    return page.render(
        "chronology.html",
        status=400 if errors else 200,
        view=view,
        answers=answers,
        errors=errors,
        categories=[(c.value, c.label) for c in Category],
        severities=[(s.value, s.label) for s in Severity],
        filtered=any(answers.values()),
    )
