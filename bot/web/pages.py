"""Flare's own pages: home, link interstitials, demo sign-in, concern pages, the raise form,
the organisation and partnership admin pages and the DPO's legal hold page."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web import (
    admin_legal_hold,
    admin_organisation,
    admin_partnership,
    admin_people,
    advice,
    clients,
    concern,
    confirm_child,
    decisions,
    disclosure,
    home,
    inbox,
    join_requests,
    links,
    network_forms,
    raise_child,
    raise_form,
    signin,
    signin_demo,
)

router = APIRouter()
# signin_demo before signin: its /signin/demo must win over /signin/{provider}.
for part in (
    home,
    links,
    signin_demo,
    signin,
    concern,
    confirm_child,
    raise_child,
    raise_form,
    advice,
    decisions,
    inbox,
    join_requests,
    clients,
    network_forms,
):
    router.include_router(part.router)
for part in (admin_partnership, admin_organisation, admin_people, admin_legal_hold, disclosure):
    router.include_router(part.router)
