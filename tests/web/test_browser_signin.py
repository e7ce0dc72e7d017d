"""Real sign-in in a real browser: Chromium, Flare in production mode over TLS on loopback,
Sign in with Slack and with Microsoft through the fake providers' consent pages.

What differs from a deployment, and why:
- The URLs: FLARE_PUBLIC_URL is https://127.0.0.1:<port> (uvicorn serves TLS with the test
  certificate from tests/loopback.py), SLACK_OIDC_URL and ENTRA_AUTHORITY are the fakes.
- Chromium is told to accept that self-signed certificate (`ignore_https_errors`); Flare's
  msal trusts it through REQUESTS_CA_BUNDLE.
- Pointers go to the playground's store instead of Slack or Teams, so the test can read the
  link; the playground's pages are not mounted (production).
Everything else is production: FLARE_ENV=production, the real CSP, HSTS, `__Host-` cookies,
no demo sign-in. Chromium applies `form-action` to the redirects after a form submission,
which is what made the old form-started sign-in fail; this test walks both flows through it.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.playground.notifier import PlaygroundNotifier
from bot.web.security import CSP, HSTS
from bot.web.sessions import CLEAR_SITE_DATA
from handlers.values import Platform
from store.db import make_engine
from store.migrate import upgrade
from tests.web.conftest import PHONE, World, make_world
from tests.web.flows import pointer_path
from tests.web.test_browser import go, text
from tests.web.test_signin_oidc import Idps, idps  # noqa: F401 - the fake providers fixture

pytestmark = pytest.mark.browser
NOTICED = "Always hungry at pick-up, same clothes all week"


@dataclass
class Served:
    world: World
    base: str
    idps: Idps
    responses: list[Any] = field(default_factory=list)  # every response Chromium received
    contexts: list[Any] = field(default_factory=list)  # closed before the server stops


@pytest.fixture
def served(tmp_path: Path, idps: Idps) -> Iterator[Served]:  # noqa: F811
    """Flare in production mode, served over TLS on loopback, with both real sign-ins."""
    engine = make_engine(f"sqlite:///{tmp_path / 'flare.db'}")
    upgrade(engine)
    world = make_world(engine, tmp_path, env="production", **idps.settings())
    assert world.runtime.settings.env == "production"
    world.runtime.notifiers[Platform.PLAYGROUND] = PlaygroundNotifier(
        world.runtime.uow, world.runtime.clock
    )
    idps.slack.consent = idps.entra.consent = True
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        world.app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        ssl_certfile=str(idps.ca),
        ssl_keyfile=str(idps.ca.with_name("key.pem")),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    base = f"https://127.0.0.1:{port}"
    world.runtime.settings.public_url = base  # links and redirect URIs point at this server
    served = Served(world, base, idps)
    yield served
    for context in served.contexts:  # their keep-alive connections would hold up shutdown
        context.close()
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def person(chromium: Any, served: Served) -> Any:
    """A fresh profile with JavaScript off (Flare's pages run none), trusting the test TLS."""
    context = chromium.new_context(
        viewport=PHONE, java_script_enabled=False, ignore_https_errors=True
    )
    context.on("response", lambda response: served.responses.append(response))
    served.contexts.append(context)
    return context.new_page()


def sign_in_at_provider(page: Any, label: str, provider_base: str) -> None:
    """From Flare's sign-in page: the provider's button, its consent page, back to Flare."""
    go(page, f"a:has-text('{label}')")
    assert page.url.startswith(provider_base), page.url  # the redirect was not blocked
    assert "Allow Flare" in text(page)
    go(page, "button:has-text('Allow')")


def raise_as_amara(served: Served, chromium: Any) -> str:
    """Amara signs in with Slack and raises a concern about C-1001 through the pages."""
    world, base = served.world, served.base
    served.idps.as_person("slack", "amara")
    amara = person(chromium, served)
    amara.goto(f"{base}/raise")  # not signed in: to the sign-in page, remembering /raise
    assert amara.url == f"{base}/signin"
    sign_in_at_provider(amara, "Sign in with Slack", served.idps.slack.base)
    assert amara.url == f"{base}/raise", amara.url
    amara.select_option("#client", value=world.clients["C-1001"])
    amara.check("#category")
    amara.check("#severity-2")
    amara.fill("#noticed", NOTICED)
    amara.check("#family_informed")
    amara.check("#lawful_basis")
    go(amara, "button:has-text('Continue')")
    amara.fill("#rationale", "A pattern the network needs to see")
    go(amara, "button:has-text('Send the concern')")
    assert "Concern sent" in text(amara)
    found = re.search(r"/concerns/([0-9a-f]{32})", amara.content())
    assert found
    world.deliver()
    return found.group(1)


def open_pointer(served: Served, chromium: Any, ref: str, concern_id: str, provider: str) -> Any:
    """`ref` opens the link from their pointer and signs in through `provider`."""
    world, base = served.world, served.base
    label = "Sign in with Slack" if provider == "slack" else "Sign in with Microsoft"
    served.idps.as_person(provider, ref)
    page = person(chromium, served)
    page.goto(f"{base}{pointer_path(world, ref, concern_id)}")
    go(page, "button:has-text('Continue')")
    assert page.url == f"{base}/signin"
    sign_in_at_provider(page, label, served.idps.by_name(provider).base)
    assert page.url == f"{base}/concerns/{concern_id}", page.url
    return page


def test_both_real_sign_ins_reach_the_concern_in_chromium_under_the_real_csp(
    served: Served, chromium: Any
) -> None:
    world, base = served.world, served.base
    concern_id = raise_as_amara(served, chromium)

    chloe = open_pointer(served, chromium, "chloe", concern_id, "microsoft")
    assert NOTICED in text(chloe) and "Signed in as Chloe Patel" in text(chloe)
    erin = open_pointer(served, chromium, "erin", concern_id, "slack")
    assert NOTICED in text(erin) and "Signed in as Erin Walsh" in text(erin)
    assert world.delivery(concern_id, "chloe").opened_at is not None
    assert world.delivery(concern_id, "erin").opened_at is not None

    # What the browser was actually sent, on every response from Flare (the sign-in page,
    # the start's redirect, the callback, the concern): the real CSP, and HSTS.
    flare = [r for r in served.responses if r.url.startswith(f"{base}/")]
    paths = {r.url.removeprefix(base).split("?")[0] for r in flare}
    assert {"/signin", "/signin/slack", "/signin/microsoft/callback"} <= paths, paths
    assert f"/concerns/{concern_id}" in paths
    for response in flare:
        headers = response.all_headers()
        assert headers["content-security-policy"] == CSP, response.url
        assert headers["strict-transport-security"] == HSTS, response.url
    assert "form-action 'self'" in CSP and "form-action" not in CSP.replace(
        "form-action 'self';", ""
    )
    # The cookies as the browser stored them: __Host- names, Secure, no lifetime.
    cookies = chloe.context.cookies(base)
    assert {c["name"] for c in cookies} == {"__Host-flare_session", "__Host-flare_pre"}
    for cookie in cookies:
        assert cookie["secure"] and cookie["httpOnly"] and cookie["path"] == "/"
        assert cookie["expires"] == -1, cookie  # a browser-session cookie
        assert cookie["sameSite"] == "Lax"


def test_sign_out_clears_every_flare_cookie(served: Served, chromium: Any) -> None:
    world, base = served.world, served.base
    served.idps.as_person("microsoft", "chloe")
    chloe = person(chromium, served)
    chloe.goto(f"{base}/signin")
    sign_in_at_provider(chloe, "Sign in with Microsoft", served.idps.entra.base)
    assert "Signed in as Chloe Patel" in text(chloe)
    before = {c["name"]: c["value"] for c in chloe.context.cookies(base)}
    assert set(before) == {"__Host-flare_session", "__Host-flare_pre"}
    with chloe.expect_response(lambda r: r.url == f"{base}/signout") as signed_out:
        go(chloe, "button:has-text('Sign out'):not([name])")
    assert signed_out.value.all_headers()["clear-site-data"] == CLEAR_SITE_DATA
    assert chloe.url == f"{base}/" and "Signed in as" not in text(chloe)
    after = {c["name"]: c["value"] for c in chloe.context.cookies(base)}
    # The home page gave a fresh anonymous cookie; nothing from before survives.
    assert "__Host-flare_session" not in after
    assert after.get("__Host-flare_pre") != before["__Host-flare_pre"]
    assert "session.signed_out" in world.audit_actions()


def test_the_csp_still_blocks_a_form_that_posts_to_another_origin(
    served: Served, chromium: Any
) -> None:
    """A form to another origin, injected into Flare's real sign-in response (its real
    headers kept), goes nowhere; the same page without the CSP does post: the control."""
    base, elsewhere = served.base, served.idps.slack
    form = (
        f'<form method="post" action="{elsewhere.base}/collect" id="exfil">'
        '<input type="hidden" name="what" value="anything">'
        '<button type="submit" id="send">Send</button></form>'
    )

    def visit(*, keep_csp: bool) -> Any:
        page = person(chromium, served)

        def inject(route: Any) -> None:
            real = route.fetch()
            headers = dict(real.headers)
            assert headers["content-security-policy"] == CSP
            if not keep_csp:
                del headers["content-security-policy"]
            body = real.text().replace("</main>", f"{form}</main>")
            route.fulfill(response=real, headers=headers, body=body)

        page.route(f"{base}/signin", inject)
        page.goto(f"{base}/signin")
        return page

    blocked = visit(keep_csp=True)
    violations: list[str] = []
    blocked.on("console", lambda message: violations.append(message.text))
    blocked.click("#send", no_wait_after=True)
    blocked.wait_for_timeout(1500)  # give a navigation every chance to happen
    assert blocked.url == f"{base}/signin"
    assert "/collect" not in elsewhere.posted
    assert any("form-action" in v for v in violations), violations

    control = visit(keep_csp=False)
    with control.expect_navigation():
        control.click("#send")
    assert elsewhere.posted.count("/collect") == 1  # without the CSP the post gets through
