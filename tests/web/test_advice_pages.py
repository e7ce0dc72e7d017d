"""Seek advice first on the web: "Ask for advice first" on the raise form keeps the draft, the
safeguarding lead reads it and replies on its page, the raiser is pointed back and sends it
(or decides not to share). Nothing reaches the network before the send; a canary typed into
the draft shows only on the advice page (to the two of them) and never in chat or a log."""

from __future__ import annotations

import io
import re

import httpx

from tests.advice import ADVICE_CANARY, concerns_about, set_advisers
from tests.no_leak import assert_no_canary, audit_text, captured_logs
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import ANSWERS, sign_in

ADVICE_URL = re.compile(r"/advice/([0-9a-f]{32})")


def _ask(world: World, amara: Browser) -> str:
    """Step 1 typed with canaries (no reason for sharing yet), then "Ask for advice first"."""
    start = amara.get("/raise")
    form = amara.form(start.text, "/raise")
    typed: dict[str, str | list[str]] = {
        **ANSWERS,
        "client": world.clients["C-1001"],
        "noticed": f"{ADVICE_CANARY} noticed",
        "family_reason": f"{ADVICE_CANARY} family",
        "rationale": "",
    }
    asked = amara.submit(form, button="advice", set=typed)
    assert asked.status_code == 200, asked.text[:600]
    assert "safeguarding lead has been asked" in asked.text
    found = ADVICE_URL.search(asked.text)
    assert found
    return found.group(1)


def _chat(world: World, ref: str, kind: str) -> str:
    world.deliver()
    for message in world.chat(ref):
        if message.kind == kind and message.link:
            return httpx.URL(message.link).path
    raise AssertionError(f"no {kind} pointer for {ref}")


def _chat_text(world: World) -> str:
    return repr([world.chat(ref) for ref in world.people])


def test_the_advice_round_trip_on_the_web(debug_logs: io.StringIO, sqlite_world: World) -> None:
    world = sqlite_world
    set_advisers(world.runtime.uow, "riverside-cc", lead="ben")
    amara, ben, chloe = (world.browser(r) for r in ("amara", "ben", "chloe"))
    for browser, ref in ((amara, "amara"), (ben, "ben"), (chloe, "chloe")):
        sign_in(world, browser, ref)

    request_id = _ask(world, amara)
    path = _chat(world, "ben", "advice_requested")
    assert path == f"/advice/{request_id}"
    assert concerns_about(world.runtime.uow, world.clients["C-1001"]) == []
    assert chloe.get(path).status_code == 404  # the network lead reads nothing of a draft

    page = ben.get(path)
    assert page.status_code == 200 and f"{ADVICE_CANARY} noticed" in page.text
    refused = ben.submit(ben.form(page.text, f"{path}/reply"), set={"advice": ""})
    assert refused.status_code == 400 and "Enter your advice" in refused.text
    replied = ben.submit(
        ben.form(page.text, f"{path}/reply"), set={"advice": f"{ADVICE_CANARY} tell the lead"}
    )
    assert replied.status_code == 303
    assert "You have answered this request" in ben.follow(replied).text
    bad_csrf = ben.post(f"{path}/reply", {"csrf": "nope", "advice": "again"})
    assert bad_csrf.status_code in (400, 403)

    assert _chat(world, "amara", "advice_given") == path
    assert concerns_about(world.runtime.uow, world.clients["C-1001"]) == []
    mine = amara.get(path)
    assert f"{ADVICE_CANARY} tell the lead" in mine.text and "Exit this page" in mine.text
    form = amara.form(mine.text, f"{path}/send")
    missing = amara.submit(form)
    assert missing.status_code == 400 and "necessary and proportionate" in missing.text
    sent = amara.submit(
        amara.form(missing.text, f"{path}/send"),
        set={"rationale": f"{ADVICE_CANARY} rationale"},
    )
    assert sent.status_code == 200 and "Concern sent" in sent.text, sent.text[:600]
    (concern,) = concerns_about(world.runtime.uow, world.clients["C-1001"])
    concern_page = amara.get(f"/concerns/{concern.id}")
    assert "Advice was sought from the raiser&#39;s organisation&#39;s safeguarding lead" in (
        concern_page.text
    )
    world.deliver()
    assert any(m.kind == "new_concern" for m in world.chat("chloe"))

    assert_no_canary(
        [ADVICE_CANARY],
        chat=_chat_text(world),
        logs=captured_logs(debug_logs),
        audit=audit_text(world.runtime.uow),
    )


def test_a_decision_not_to_share_after_advice_on_the_web(sqlite_world: World) -> None:
    world = sqlite_world
    set_advisers(world.runtime.uow, "riverside-cc", lead="ben")
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    request_id = _ask(world, amara)
    page = amara.get(f"/advice/{request_id}")
    form = amara.form(page.text, f"/advice/{request_id}/send")
    empty = amara.submit(form, button="decide")
    assert empty.status_code == 400 and "Say why you decided not to share" in empty.text
    decided = amara.submit(
        form, button="decide", set={"not_sharing_reason": "Advised it is not needed"}
    )
    assert decided.status_code == 200 and "Decision not to share recorded" in decided.text
    (made,) = concerns_about(world.runtime.uow, world.clients["C-1001"])
    assert made.status == "not_shared"
    world.deliver()
    assert not any(m.kind == "new_concern" for r in world.people for m in world.chat(r))
    assert amara.get(f"/advice/{request_id}").status_code == 200  # still hers to read


def test_without_an_adviser_the_form_comes_back_as_typed(sqlite_world: World) -> None:
    world = sqlite_world
    set_advisers(world.runtime.uow, "riverside-cc", lead=None)
    with world.runtime.uow() as uow:  # the demo's centre manager is its admin: not any more
        ben = uow.directory.practitioner(world.people["ben"])
        assert ben is not None
        ben.is_admin = False
        uow.commit()
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    start = amara.get("/raise")
    typed: dict[str, str | list[str]] = {
        **ANSWERS,
        "client": world.clients["C-1001"],
        "noticed": "kept as typed",
    }
    again = amara.submit(amara.form(start.text, "/raise"), button="advice", set=typed)
    assert again.status_code == 400
    assert "no safeguarding lead or duty contact" in again.text and "kept as typed" in again.text
    assert amara.get("/raise/advice").status_code == 303
