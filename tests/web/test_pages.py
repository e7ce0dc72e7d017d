"""Every page carries the security headers; production has no playground or demo sign-in."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from bot.web.security import HEADERS
from store.db import make_engine
from store.migrate import upgrade
from tests.web.conftest import World, make_world
from tests.web.flows import ANSWERS, pointer_path, raise_concern, send, sign_in, step_two


def test_security_headers_on_every_response(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    amara.get("/")
    amara.get("/signin")
    amara.get("/static/flare.css")
    amara.get("/raise")  # not signed in: a redirect
    amara.get("/nowhere")  # FastAPI's own 404
    amara.post("/signout", {})  # CSRF failure
    sign_in(world, amara, "amara")
    amara.get("/raise/advice")
    invalid = step_two(world, amara, "C-1001", noticed="")
    assert invalid.status_code == 400
    concern_id = raise_concern(world, amara, "C-1001")
    amara.get(f"/concerns/{concern_id}")
    amara.get(f"/concerns/{'0' * 32}")
    amara.get("/concerns/not-an-id")
    world.deliver()
    link = pointer_path(world, "chloe", concern_id)
    amara.head(link)
    amara.submit(amara.form(amara.get(link).text))  # not the recipient: 403
    amara.submit(amara.form(amara.get(f"/l/{secrets.token_urlsafe(32)}").text))  # 404
    amara.get("/playground")
    amara.get(f"/playground/{world.people['chloe']}")
    amara.get(f"/playground/{'f' * 32}")
    amara.get("/healthz")
    amara.get("/readyz")

    statuses = {v.response.status_code for v in world.visits}
    assert {200, 303, 400, 403, 404} <= statuses
    for visit in world.visits:
        for name in ("Cache-Control", "Content-Security-Policy", "Referrer-Policy"):
            assert visit.response.headers.get(name) == HEADERS[name], (visit.path, name)
        assert visit.response.headers.get("X-Content-Type-Options") == "nosniff", visit.path
    assert "no-store" in HEADERS["Cache-Control"]
    assert HEADERS["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    raise_concern(world, amara, "C-1001")
    amara.get("/playground")
    for visit in world.visits:
        if visit.response.headers.get("content-type", "").startswith("text/html"):
            html = visit.response.text
            # Script only from Flare's own static files (the CSP allows nothing else), never inline.
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
            assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
            assert html.count("<script") == len(scripts), visit.path
            assert "style=" not in html and "<style" not in html
            assert re.search(r'<html lang="en-GB">', html), visit.path


def test_raise_form_errors_link_to_their_fields(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    page = step_two(world, amara, "C-1001", noticed="", rationale="", severity="", family_reason="")
    assert page.status_code == 400
    assert "<title>Error: " in page.text and "There is a problem" in page.text
    for field in ("severity", "noticed", "family_reason"):
        assert f'href="#{field}"' in page.text and f'id="{field}"' in page.text
    # Why sharing is necessary is asked where recipients are chosen, and only to share.
    assert 'href="#rationale"' not in page.text
    # What was typed is kept, and nothing was stored.
    assert ANSWERS["lawful_basis"] in page.text
    assert world.chat("chloe") == [] and "concern.raised" not in world.audit_actions()


def test_narrowing_needs_a_reason_and_is_one_concern_on_resubmit(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    step2 = step_two(world, amara, "C-1001")
    assert "Chloe Patel" in step2.text and "Leads the network" in step2.text
    form = amara.form(step2.text, "/raise/send")
    ticked = [v for k, v in form.fields if k == "recipients"]
    narrowed = [pid for pid in ticked if pid != world.people["dev"]]
    refused = send(amara, step2, set={"recipients": narrowed})
    assert refused.status_code == 400 and 'href="#narrowing_reason"' in refused.text
    set: dict[str, str | list[str]] = {
        "recipients": narrowed,
        "narrowing_reason": "Dev has no role here",
    }
    sent = amara.submit(amara.form(refused.text, "/raise/send"), set=set)
    again = amara.submit(amara.form(refused.text, "/raise/send"), set=set)
    assert "It is on its way to 2 people" in sent.text and "2 people" in again.text
    assert world.audit_actions().count("concern.raised") == 1
    world.deliver()
    assert world.chat("dev") == []


def test_add_information_double_submit_is_one_entry(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001")
    page = amara.get(f"/concerns/{concern_id}")
    form = amara.form(page.text, f"/concerns/{concern_id}/information")
    empty = amara.submit(form)
    assert empty.status_code == 400 and 'href="#information"' in empty.text
    first = amara.submit(form, set={"information": "Saw bruising on the arm today"})
    second = amara.submit(form, set={"information": "Saw bruising on the arm today"})
    assert first.status_code == second.status_code == 303
    view = amara.follow(second)
    assert view.text.count("Saw bruising on the arm today") == 1
    assert world.audit_actions().count("concern.information_added") == 1


def test_not_signed_in_pages_send_you_to_sign_in_and_back(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    assert amara.get("/raise").headers["location"] == "/signin"
    back = sign_in(world, amara, "amara")
    assert back.headers["location"] == "/raise"


def test_production_has_no_playground_and_no_demo_sign_in(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'prod.db'}")
    upgrade(engine)
    world = make_world(engine, tmp_path, env="production")
    visitor = world.browser("visitor")
    assert visitor.get("/playground").status_code == 404
    assert visitor.get(f"/playground/{world.people['amara']}").status_code == 404
    assert visitor.post(f"/playground/{world.people['amara']}/signin", {}).status_code == 404
    signin = visitor.get("/signin")
    # The real sign-in page (no provider configured here): no demo picker on it.
    assert signin.status_code == 200 and "/signin/demo" not in signin.text
    assert "Sign-in is not set up yet" in signin.text
    demo = visitor.post("/signin/demo", {"practitioner_id": world.people["amara"]})
    assert demo.status_code == 404 and "set-cookie" not in {k.lower() for k in demo.headers}
    assert "Demo sign-in is not available" in demo.text and "Slack or Microsoft" in demo.text
    home = visitor.get("/")
    assert home.status_code == 200 and "/playground" not in home.text
    assert visitor.get(f"/l/{secrets.token_urlsafe(32)}").status_code == 200
    for visit in world.visits:
        assert visit.response.headers["Cache-Control"] == "no-store"
    engine.dispose()


def test_switching_person_ends_the_previous_session(sqlite_world: World) -> None:
    world = sqlite_world
    browser = world.browser("shared-computer")
    sign_in(world, browser, "amara")
    old_cookie = browser.client.cookies.get("flare_session")
    inbox = browser.get(f"/playground/{world.people['chloe']}")
    switched = browser.submit(
        browser.form(inbox.text, f"/playground/{world.people['chloe']}/signin")
    )
    assert switched.status_code == 303
    assert "Signed in as Chloe Patel" in browser.get("/").text
    stale = world.browser("stale")
    stale.client.cookies.set("flare_session", old_cookie or "")
    assert "Signed in as" not in stale.get("/").text
    assert world.audit_actions().count("session.signed_out") == 1


def test_a_decision_not_to_share_is_recorded_and_told_to_no_one(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    # No sharing rationale is asked first: step one goes on without it.
    step2 = step_two(world, amara, "C-1003", rationale="")
    assert step2.status_code == 200 and "Who it will reach" in step2.text
    not_sharing = "decision=not_share"
    no_reason = amara.submit(amara.form(step2.text, "/raise/send"), button=not_sharing)
    assert no_reason.status_code == 400 and 'href="#not_sharing_reason"' in no_reason.text
    assert 'href="#rationale"' not in no_reason.text  # no justification for sharing needed
    form = amara.form(no_reason.text, "/raise/send")
    recorded = amara.submit(
        form,
        button=not_sharing,
        set={
            "not_sharing_reason": "Spoke to the DSL; no role for others",
            "rationale": "Typed first, then not shared",
        },
    )
    assert recorded.status_code == 200 and "Decision not to share recorded" in recorded.text
    assert "concern.not_shared" in world.audit_actions()
    concern_id = recorded.text.split('href="/concerns/', 1)[1][:32]
    mine = amara.get(f"/concerns/{concern_id}")
    assert "Spoke to the DSL; no role for others" in mine.text
    assert "recorded as a decision not to share" in mine.text
    assert "Typed first, then not shared" not in mine.text  # the record keeps no rationale
    world.deliver()
    assert all(world.chat(ref) == [] for ref in world.people)


def test_a_concern_whose_key_is_gone_fails_closed(sqlite_world: World) -> None:
    world = sqlite_world
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    concern_id = raise_concern(world, amara, "C-1001", noticed="Bruise on the left arm")
    assert "Bruise on the left arm" in amara.get(f"/concerns/{concern_id}").text
    with world.runtime.uow() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.data_key_id is not None
        uow.vault.shred(concern.data_key_id)
        uow.commit()
    page = amara.get(f"/concerns/{concern_id}")
    assert page.status_code == 503
    assert "cannot be shown right now" in page.text and "Bruise" not in page.text
