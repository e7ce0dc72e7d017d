"""Flare's own pages: home, link interstitials, demo sign-in, concern pages, the raise form."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web import (
    clients,
    concern,
    confirm_child,
    home,
    inbox,
    join_requests,
    links,
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
    inbox,
    join_requests,
    clients,
):
    router.include_router(part.router)
