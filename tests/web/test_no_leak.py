"""The no-leak canary over HTTP: sensitive answers show only to the people they are for.

A unique canary goes into every sensitive field (what was noticed, rationale, family reason,
narrowing reason, protected identities, added information, a follow-up's action, the note
of an "other" outcome when the lead closes it, the client's label and NHS number). After the
whole journey it may appear only on a signed-in recipient's concern page, inbox, chronology
and network pages, and on the raiser's own raise form; never in a chat message (the closed
and reopened pointers included), another page, a header, a log line, or the database
file's bytes.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from handlers.network.directory import DirectoryRow, import_directory
from tests.identifiers import fresh_nhs_number
from tests.no_leak import assert_no_canary, canary_needles
from tests.web.conftest import World
from tests.web.flows import CONCERN_URL, pointer_path, send, sign_in, step_two

RECIPIENT_PAGES = re.compile(r"^/(inbox|clients/[0-9a-f]{32}/(chronology|network))$")
REVEAL_URL = re.compile(r"^/concerns/[0-9a-f]{32}/identities$")


def _allowed(who: str, method: str, path: str, status: int) -> bool:
    """Where a canary may show: a concern page its viewer may see (and the reveal of its
    protected identities, to whom the rule allows: checked below), the raiser's own form,
    and the inbox, chronology and network pages of the people it was shared with."""
    return (
        (method == "GET" and status == 200 and CONCERN_URL.match(path) is not None)
        or (path == "/raise" and status == 200)
        or (method == "POST" and status == 200 and REVEAL_URL.match(path) is not None)
        or (
            who in ("chloe", "erin", "amara")
            and method == "GET"
            and status == 200
            and RECIPIENT_PAGES.match(path) is not None
        )
    )


def test_canary_never_leaks(
    sqlite_world: World, sqlite_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = sqlite_world
    canary = f"CANARY{secrets.token_hex(6)}"
    nhs = fresh_nhs_number()
    rows = [
        DirectoryRow(2, "client", "C-2001", name=f"{canary}-label", nhs_number=nhs),
        DirectoryRow(3, "membership", "chloe", client="C-2001", role="lead"),
        DirectoryRow(4, "membership", "erin", client="C-2001", role="deputy"),
        DirectoryRow(5, "membership", "amara", client="C-2001", role="member"),
        DirectoryRow(6, "membership", "dev", client="C-2001", role="member"),
    ]
    assert import_directory(world.runtime.uow(), rows, at=world.clock.now()).ok
    with world.runtime.uow() as uow:
        client = uow.directory.client_by_reference("C-2001")
        assert client is not None
        world.clients["C-2001"] = client_id = client.id

    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    step2 = step_two(
        world,
        amara,
        "C-2001",
        noticed=f"{canary}-noticed",
        rationale=f"{canary}-rationale",
        family_reason=f"{canary}-family",
        protected_identities=f"{canary}-protected",
    )
    form = amara.form(step2.text, "/raise/send")
    narrowed = [v for k, v in form.fields if k == "recipients" and v != world.people["dev"]]
    sent = send(
        amara, step2, set={"recipients": narrowed, "narrowing_reason": f"{canary}-narrowing"}
    )
    assert "Concern sent" in sent.text
    concern_id = sent.text.split('href="/concerns/', 1)[1][:32]
    world.deliver()

    # Chloe opens her link, reads, acknowledges and adds information.
    chloe = world.browser("chloe")
    link = pointer_path(world, "chloe", concern_id)
    chloe.submit(chloe.form(chloe.get(link).text))
    view = chloe.follow(sign_in(world, chloe, "chloe"))
    for field in ("noticed", "rationale", "family", "narrowing", "label"):
        assert f"{canary}-{field}" in view.text, field
    # Protected identities are withheld even from the lead until she reveals them (a POST).
    assert f"{canary}-protected" not in view.text
    assert "1 person&#39;s identity is withheld" in view.text
    revealed = chloe.submit(chloe.form(view.text, f"/concerns/{concern_id}/identities"))
    assert revealed.status_code == 200 and f"{canary}-protected" in revealed.text
    chloe.submit(chloe.form(view.text, f"/concerns/{concern_id}/acknowledge"))
    page = chloe.get(f"/concerns/{concern_id}")
    chloe.submit(
        chloe.form(page.text, f"/concerns/{concern_id}/information"),
        set={"information": f"{canary}-information"},
    )
    page = chloe.get(f"/concerns/{concern_id}")
    added = chloe.submit(
        chloe.form(page.text, f"/concerns/{concern_id}/follow-ups"),
        set={
            "owner": world.people["erin"],
            "due_day": "1",
            "due_month": "12",
            "due_year": "2026",
            "action": f"{canary}-action",
        },
    )
    assert added.status_code == 303
    page = chloe.get(f"/concerns/{concern_id}")
    closed = chloe.submit(
        chloe.form(page.text, f"/concerns/{concern_id}/close"),
        set={"outcome": "other", "note": f"{canary}-outcome"},
    )
    assert closed.status_code == 303
    page = chloe.get(f"/concerns/{concern_id}")
    assert f"{canary}-outcome" in page.text
    assert chloe.submit(chloe.form(page.text, f"/concerns/{concern_id}/reopen")).status_code == 303
    chloe.get(f"/concerns/{concern_id}")
    chloe.get(f"/clients/{client_id}/chronology")
    chloe.get(f"/clients/{client_id}/network")
    chloe.get("/inbox")
    chloe.get("/")

    # Dev is in the network but was narrowed out: the chronology lists, never shows, it.
    dev = world.browser("dev")
    sign_in(world, dev, "dev")
    for path in (f"/clients/{client_id}/chronology", f"/clients/{client_id}/network", "/inbox"):
        seen = dev.get(path)
        assert seen.status_code == 200
        assert seen.text.replace(f"{canary}-label", "").count(canary) == 0, path

    # Someone else tries Chloe's link and the token-free page; a scanner fetches the link.
    femi = world.browser("femi")
    sign_in(world, femi, "femi")
    femi.submit(femi.form(femi.get(link).text))
    femi.get(f"/concerns/{concern_id}")
    world.browser("scanner").get(link)
    world.browser("scanner").head(link)

    world.deliver()
    erin = world.browser("erin")
    sign_in(world, erin, "erin")
    erin.submit(erin.form(erin.get(pointer_path(world, "erin", concern_id)).text))
    erin_page = erin.get(f"/concerns/{concern_id}")
    assert f"/concerns/{concern_id}/identities" not in erin_page.text  # the deputy: withheld
    erin_csrf = erin.form(erin_page.text, "/signout").value("csrf") or ""
    refused = erin.post(f"/concerns/{concern_id}/identities", {"csrf": erin_csrf})
    assert refused.status_code == 403
    assert f"{canary}-action" in erin.get("/inbox").text
    amara.get(f"/concerns/{concern_id}")
    amara.get("/")

    # Later: the link has expired; a fresh one is asked for.
    world.clock.advance(hours=80)
    late = world.browser("late")
    dead = late.submit(late.form(late.get(link).text))
    late.submit(late.form(dead.text, f"{link}/fresh"))
    world.deliver()

    chat = world.browser("chat")
    chat.get("/playground")
    for ref in world.people:
        chat.get(f"/playground/{world.people[ref]}")

    # The chat messages themselves.
    for ref in world.people:
        for message in world.chat(ref):
            text = " ".join([message.title, *message.lines, message.link or ""])
            assert_no_canary([canary, nhs], **{f"the chat message to {ref}": text})
    # Every HTTP response, body and headers.
    leaks = [
        (v.who, v.method, v.path, v.response.status_code)
        for v in world.visits
        if (canary in v.response.text or canary in str(v.response.headers))
        and not _allowed(v.who, v.method, v.path, v.response.status_code)
        and not (v.who == "dev" and RECIPIENT_PAGES.match(v.path))  # the label only, above
    ]
    assert leaks == []
    # The protected identities: only on a reveal's own response, to the lead or the raiser.
    protected = [
        (v.who, v.method, v.path, v.response.status_code)
        for v in world.visits
        if f"{canary}-protected" in v.response.text
        and not (
            v.who in ("chloe", "amara")
            and v.method == "POST"
            and v.path == f"/concerns/{concern_id}/identities"
            and v.response.status_code == 200
        )
        and not (v.who == "amara" and v.path == "/raise")  # her own form, as she typed it
    ]
    assert protected == []
    assert all(nhs not in v.response.text for v in world.visits)
    assert len(world.visits) > 35
    assert any(m.kind == "fresh_link" for m in world.chat("chloe"))
    assert {"concern_closed", "concern_reopened"} <= {m.kind for m in world.chat("amara")}
    # Log lines.
    captured = capsys.readouterr()
    assert_no_canary(canary_needles(canary, nhs=nhs), logs=captured.out + captured.err)
    # The database file, its write-ahead log and shared memory, byte for byte.
    files = [p for p in sqlite_path.parent.iterdir() if p.name.startswith("flare.db")]
    assert any(p.name.endswith("-wal") for p in files)
    for file in files:
        assert_no_canary([canary, nhs], **{file.name: file.read_bytes()})
