"""Server-rendered pages: the Jinja2 environment, the per-request page context, error pages.

Every page is rendered here so the same rules hold everywhere: autoescaped templates, no
inline script or style (the CSP forbids both), cookies written on every response.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.dependencies import Dependencies
from bot.web.sessions import Browser, SignedIn
from handlers.deadlines import LONDON
from handlers.protected_rule import withheld_sentence

TEMPLATES = Path(__file__).parent / "templates"


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local:%-d %B %Y} at {local:%H:%M}"


env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["withheld"] = withheld_sentence
# Where "Exit this page" goes: a busy, ordinary site, as GOV.UK's pattern recommends.
env.globals["exit_url"] = EXIT_URL = "https://www.bbc.co.uk/weather"


class PageError(Exception):
    """Stop and show a plain error page with this status (nothing sensitive in it)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


# The browser-cookie key that marks a sign-in as a step-up (the provider must authenticate anew).
STEP_UP = "step_up"


class SignInRequired(Exception):
    """The page needs a signed-in practitioner: send the browser to sign in first."""

    def __init__(self, browser: Browser, after: str | None = None) -> None:
        super().__init__("sign in required")
        self.browser, self.after = browser, after


def render(name: str, *, status: int = 200, browser: Browser | None = None, **ctx: Any) -> Response:
    response = HTMLResponse(env.get_template(name).render(**ctx), status_code=status)
    if browser is not None:
        browser.write(response)
    return response


def error_page(status: int, title: str, message: str) -> Response:
    return render("error.html", status=status, title=title, message=message)


@dataclass
class Page:
    """What a route needs for one request: its dependencies, the browser's cookies, who is in."""

    deps: Dependencies
    browser: Browser
    _me: SignedIn | None = field(default=None, init=False)
    _looked: bool = field(default=False, init=False)

    @property
    def demo(self) -> bool:
        return self.deps.settings.is_demo_like

    def me(self) -> SignedIn | None:
        if not self._looked:
            self._me, self._looked = self.browser.signed_in(), True
        return self._me

    def require_me(self, after: str | None = None) -> SignedIn:
        me = self.me()
        if me is None:
            raise SignInRequired(self.browser, after)
        return me

    def require_recent_sign_in(self, after: str) -> SignedIn:
        """Signed in, and authenticated within FLARE_STEP_UP_MINUTES: for a child's history.

        An older authentication sends the browser to sign in again (a step-up: the provider
        is asked to authenticate the person anew); a single concern's link never needs this.
        """
        me = self.require_me(after=after)
        limit = timedelta(minutes=self.deps.settings.step_up_minutes)
        if self.deps.clock.now() - me.authenticated_at > limit:
            self.browser.remember(STEP_UP, "1")
            raise SignInRequired(self.browser, after)
        return me

    def check_csrf(self, token: str | None) -> None:
        self.browser.check_csrf(token)

    def render(self, name: str, *, status: int = 200, **ctx: Any) -> Response:
        ctx.setdefault("me", self._me)
        ctx.setdefault("demo", self.demo)
        ctx.setdefault("csrf", self.browser.csrf_token())
        return render(name, status=status, browser=self.browser, **ctx)

    def redirect(self, url: str) -> Response:
        response = RedirectResponse(url, status_code=303)
        self.browser.write(response)
        return response


def page_for(request: Request) -> Page:
    deps: Dependencies = request.app.state.dependencies
    return Page(deps, Browser(deps, request))


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """Turns the page exceptions (and a failed CSRF check) into HTML answers."""

    def get_route_handler(self) -> Endpoint:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except PageError as exc:
                return error_page(exc.status, exc.title, exc.message)
            except SignInRequired as exc:
                if exc.after:
                    exc.browser.remember("next", exc.after)
                response = RedirectResponse("/signin", status_code=303)
                exc.browser.write(response)
                return response
            except RequestValidationError:
                return error_page(
                    400, "Something was missing", "Go back, check the form and try again."
                )
            except HTTPException as exc:
                if exc.status_code == 403:
                    return error_page(403, "This form has expired", str(exc.detail))
                raise

        return handler
