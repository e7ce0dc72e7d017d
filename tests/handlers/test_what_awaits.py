"""What is waiting for me: every surface shows the read model's figures, and only them.

The web inbox and home page, Slack's App Home and `/concern inbox`, the Teams `inbox` and the
digest each render what they show from `handlers.my_work.awaiting`. Each surface here is
read the way a person sees it (the page's HTML, the Block Kit headers, the Teams reply, the
digest's counts) and must agree with the others for the same person. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.slack import home_views
from bot.slack.blocks import pointer_blocks
from bot.teams.cards import pointer_card
from bot.teams.inbound import inbox_text
from bot.web.rendering import env
from handlers.concern.advice import AdviceAsked, AdviceGiven, ask_for_advice, reply_to_advice
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.follow_through.escalation import escalate_due
from handlers.invalid import Invalid
from handlers.my_work.awaiting import what_awaits
from handlers.my_work.digest import send_digests
from handlers.my_work.linked import awaiting_with_links
from handlers.my_work.resend import resend_pending
from handlers.outbox.pointer_rows import pointer_for
from handlers.values import Category, FamilyInformed, LawfulBasis, Platform, PointerKind, Severity
from store.models import FollowUp, OutboxMessage, new_id
from store.unit_of_work import UnitOfWork
from tests.advice import ADVICE_CANARY, draft, set_advisers
from tests.conftest import FakeClock, FakeMinter
from tests.directory import Directory, seed_directory
from tests.slack.block_kit_check import message_problems, view_problems

UowFactory = Callable[[], UnitOfWork]
REPLY = f"{ADVICE_CANARY} advice: share it with the lead today"
Shown = dict[str, int]
Surface = Callable[[UowFactory, FakeClock, str], Shown]


def _between(text: str, start: str, end: str | None) -> str:
    part = text.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


def web_inbox(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """`GET /inbox`: the page's lists, counted in its HTML."""
    awaiting = what_awaits(uow_factory(), practitioner_id=who, clock=clock, with_actions=True)
    html = env.get_template("inbox.html").render(awaiting=awaiting, csrf="t", demo=False)
    return {
        "to_acknowledge": _between(html, "To acknowledge</h2>", "Your follow-ups</h2>").count(
            "<li>"
        ),
        "follow_ups": _between(html, "Your follow-ups</h2>", "Not read yet</h2>").count("<li>"),
        "unread": _between(html, "Not read yet</h2>", "New information</h2>").count("<li>"),
        "advice_to_give": _between(
            html, "Advice asked of you</h2>", "Advice for you to act on</h2>"
        ).count("<li>"),
        "advice_given": _between(html, "Advice for you to act on</h2>", None).count("<li>"),
    }


def web_home(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """`GET /`, signed in: what waits, on the home page."""
    awaiting = what_awaits(uow_factory(), practitioner_id=who, clock=clock)
    me = SimpleNamespace(name="Someone")
    html = env.get_template("home.html").render(awaiting=awaiting, me=me, csrf="t", demo=False)
    follow_ups = re.search(r"(\d+) open follow-up", html)
    to_give = re.search(r"(\d+) requests? for your advice", html)
    given = re.search(r"Advice on (\d+) drafts? of yours", html)
    return {
        "to_acknowledge": _between(
            html, "Waiting for your acknowledgement</h3>", "Your follow-ups</h3>"
        ).count("<li>"),
        "follow_ups": int(follow_ups.group(1)) if follow_ups else 0,
        "unread": _between(html, "Not read yet</h3>", "Raised by you</h3>").count("<li>"),
        "advice_to_give": int(to_give.group(1)) if to_give else 0,
        "advice_given": int(given.group(1)) if given else 0,
    }


def _headers(blocks: list[dict[str, object]]) -> Shown:
    names = {
        "Waiting for your acknowledgement": "to_acknowledge",
        "Your follow-ups": "follow_ups",
        "Not read yet": "unread",
        "Advice asked of you": "advice_to_give",
        "Advice for you to act on": "advice_given",
    }
    shown = {}
    for block in blocks:
        text = block.get("text")
        if block["type"] == "header" and isinstance(text, dict):
            header = re.fullmatch(r"(.+) \((\d+)\)", str(text["text"]))
            if header is not None and header.group(1) in names:
                shown[names[header.group(1)]] = int(header.group(2))
    return shown


def app_home(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """Slack's App Home tab, as published."""
    work = awaiting_with_links(
        uow_factory(), practitioner_id=who, minter=FakeMinter(), clock=clock, via="slack_home"
    )
    return _headers(home_views.home(work, clock.now())["blocks"])


def concern_inbox(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """Slack's `/concern inbox` ephemeral reply."""
    work = awaiting_with_links(
        uow_factory(),
        practitioner_id=who,
        minter=FakeMinter(),
        clock=clock,
        via="slack_inbox",
        raised=False,
    )
    blocks = home_views.inbox(work, clock.now())
    shown = _headers(blocks)  # empty when the reply is "Nothing is waiting for you"
    none = {"to_acknowledge": 0, "follow_ups": 0, "unread": 0}
    return shown or {**none, "advice_to_give": 0, "advice_given": 0}


def teams_inbox(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """The Teams `inbox` reply (the fresh links follow as pointers)."""
    resent = resend_pending(
        uow_factory(), practitioner_id=who, platform=Platform.TEAMS, clock=clock
    )
    text = inbox_text(resent.counts)

    def figure(pattern: str) -> int:
        found = re.search(pattern, text)
        return int(found.group(1)) if found else 0

    return {
        "to_acknowledge": figure(r"(\d+) to acknowledge"),
        "unread": figure(r"(\d+) not yet read"),
        "follow_ups": figure(r"(\d+) follow-ups? of yours"),
        "advice_to_give": figure(r"(\d+) requests? for your advice"),
        "advice_given": figure(r"advice on (\d+) drafts? of yours"),
    }


def digest(uow_factory: UowFactory, clock: FakeClock, who: str) -> Shown:
    """Today's digest: what waits for acknowledgement, and follow-ups due within a day."""
    send_digests(uow_factory, clock)
    with uow_factory() as uow:
        row = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == PointerKind.DIGEST.value,
                OutboxMessage.recipient_id == who,
                OutboxMessage.created_at == clock.now(),
            )
        ).first()
        detail = dict(row.detail) if row is not None else {}
    return {
        "to_acknowledge": int(detail.get("awaiting", 0)),
        "follow_ups_due": int(detail.get("follow_ups_due", 0)),
        "advice_to_give": int(detail.get("advice_to_give", 0)),
        "advice_given": int(detail.get("advice_given", 0)),
    }


SURFACES: dict[str, Surface] = {
    "web inbox": web_inbox,
    "web home": web_home,
    "slack app home": app_home,
    "slack /concern inbox": concern_inbox,
    "teams inbox": teams_inbox,
    "digest": digest,
}


def shown_everywhere(uow_factory: UowFactory, clock: FakeClock, who: str) -> dict[str, Shown]:
    return {name: surface(uow_factory, clock, who) for name, surface in SURFACES.items()}


def expected_on_each(figures: Shown) -> dict[str, Shown]:
    """What each surface must show: the figures it has room for, all from one model."""
    figures = {"advice_to_give": 0, "advice_given": 0, **figures}
    due = figures["follow_ups_due"]
    on_page = {name: count for name, count in figures.items() if name != "follow_ups_due"}
    advice = {name: figures[name] for name in ("advice_to_give", "advice_given")}
    return {
        name: {"to_acknowledge": figures["to_acknowledge"], "follow_ups_due": due, **advice}
        if name == "digest"
        else on_page
        for name in SURFACES
    }


def _raise(
    d: Directory, uow_factory: UowFactory, clock: FakeClock, client: str, **over: object
) -> str:
    fields: dict[str, object] = dict(
        raiser_id=d.people["dev"],
        client_id=d.clients[client],
        category=Category.NEGLECT,
        severity=Severity.HIGH,
        noticed="noticed",
        rationale="rationale",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        family_informed=FamilyInformed.YES,
        submission_key=secrets.token_hex(8),
    )
    fields.update(over)
    outcome = raise_concern(RaiseConcern(**fields), uow_factory(), clock, WorkingCalendar())  # type: ignore[arg-type]
    assert isinstance(outcome, Raised)
    return outcome.concern_id


def _follow_up(uow_factory: UowFactory, clock: FakeClock, concern_id: str, owner: str) -> None:
    with uow_factory() as uow:
        uow.concerns.add(
            FollowUp(
                id=new_id(),
                concern_id=concern_id,
                owner_id=owner,
                created_by_id=owner,
                due_at=clock.now() + timedelta(hours=2),
            )
        )
        uow.commit()


def _close(uow_factory: UowFactory, clock: FakeClock, concern_id: str, *, shred: bool) -> None:
    """Closed; with `shred`, past retention and shredded, its rows not yet deleted."""
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        concern.status, concern.closed_at = "closed", clock.now()
        if shred:
            assert concern.data_key_id is not None
            uow.vault.shred(concern.data_key_id)
            concern.shredded_at = clock.now()
        uow.commit()


def _advice(d: Directory, uow_factory: UowFactory, clock: FakeClock) -> None:
    """Chloe is asked for advice by Dev (her school's safeguarding lead then), and asks Dev
    (its lead now) herself, who answers: hers waits for her to send or decide."""
    asked: AdviceAsked | Invalid | None = None
    for lead, raiser, client in (("chloe", "dev", "C-1001"), ("dev", "chloe", "C-1002")):
        set_advisers(uow_factory, "oakfield-primary", lead=lead)
        asked = ask_for_advice(
            uow_factory(),
            draft(d.clients[client], f"advice-{raiser}"),
            raiser_id=d.people[raiser],
            clock=clock,
            calendar=WorkingCalendar(),
        )
        assert isinstance(asked, AdviceAsked), asked
    assert isinstance(asked, AdviceAsked)  # Chloe's, the last one asked
    given = reply_to_advice(
        uow_factory(), asked.request_id, adviser_id=d.people["dev"], reply=REPLY, clock=clock
    )
    assert isinstance(given, AdviceGiven), given


def a_busy_week(uow_factory: UowFactory, clock: FakeClock) -> tuple[str, Shown]:
    """Chloe: one concern to acknowledge (with a follow-up due today), one acknowledged by
    Erin that she has not read, one closed unread, and one shredded with a follow-up; one
    request for her advice, and advice on a draft of hers to send or decide."""
    d = seed_directory(uow_factory, clock.now())
    _advice(d, uow_factory, clock)
    chloe, erin = d.people["chloe"], d.people["erin"]
    waiting = _raise(d, uow_factory, clock, "C-1001")  # Chloe leads C-1001
    _follow_up(uow_factory, clock, waiting, chloe)
    read_by_erin = _raise(d, uow_factory, clock, "C-1002")  # Erin leads, Chloe deputises
    done = acknowledge(uow_factory(), concern_id=read_by_erin, practitioner_id=erin, clock=clock)
    assert isinstance(done, Acknowledged)
    _close(uow_factory, clock, _raise(d, uow_factory, clock, "C-1001"), shred=False)
    shredded = _raise(d, uow_factory, clock, "C-1002")
    _follow_up(uow_factory, clock, shredded, chloe)
    _close(uow_factory, clock, shredded, shred=True)
    figures = {"to_acknowledge": 1, "follow_ups": 1, "unread": 1, "follow_ups_due": 1}
    return chloe, figures | {"advice_to_give": 1, "advice_given": 1}


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_shows_the_same_figures_for_the_same_person(
    uow_factory: UowFactory, clock: FakeClock, surface: str
) -> None:
    chloe, figures = a_busy_week(uow_factory, clock)
    assert SURFACES[surface](uow_factory, clock, chloe) == expected_on_each(figures)[surface]


def test_a_deputy_left_off_sees_nothing_anywhere_and_the_lead_the_same_everywhere(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    _raise(
        d,
        uow_factory,
        clock,
        "C-1001",
        recipients=[d.people["chloe"], d.people["amara"]],
        narrowing_reason="Only the lead and the school need to know",
    )
    nothing = {"to_acknowledge": 0, "follow_ups": 0, "unread": 0, "follow_ups_due": 0}
    lead = {"to_acknowledge": 1, "follow_ups": 0, "unread": 0, "follow_ups_due": 0}
    assert shown_everywhere(uow_factory, clock, d.people["erin"]) == expected_on_each(nothing)
    assert shown_everywhere(uow_factory, clock, d.people["chloe"]) == expected_on_each(lead)


def test_the_duty_contact_it_escalated_to_sees_it_the_same_on_every_surface(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    femi = d.people["femi"]  # in no network; the lead's organisation names her duty contact
    with uow_factory() as uow:
        chloe = uow.directory.practitioner(d.people["chloe"])
        assert chloe is not None
        chloe.organisation.duty_contact_id = femi
        uow.commit()
    concern_id = _raise(d, uow_factory, clock, "C-1001")
    calendar = WorkingCalendar()
    for level in (1, 2):  # the deputy, then the duty contact
        with uow_factory() as uow:
            concern = uow.concerns.get(concern_id)
            assert concern is not None
            due = concern.escalate_at or concern.acknowledge_by
            assert due is not None
        clock.at = due + timedelta(minutes=1)
        assert escalate_due(uow_factory, clock, calendar).levels == {level: 1}
    waiting = {"to_acknowledge": 1, "follow_ups": 0, "unread": 0, "follow_ups_due": 0}
    assert shown_everywhere(uow_factory, clock, femi) == expected_on_each(waiting)
    done = acknowledge(uow_factory(), concern_id=concern_id, practitioner_id=femi, clock=clock)
    assert isinstance(done, Acknowledged)
    clock.advance(days=1)  # today's digests went out above; tomorrow's tell what is left
    for who in ("chloe", "erin"):  # acknowledged by Femi: unread, no longer to acknowledge
        unread = {"to_acknowledge": 0, "follow_ups": 0, "unread": 1, "follow_ups_due": 0}
        assert shown_everywhere(uow_factory, clock, d.people[who]) == expected_on_each(unread)


def test_advice_that_waits_is_counted_and_linked_in_chat_and_its_draft_never_appears(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    """Canary: what the adviser and the raiser are shown in Slack and Teams (App Home,
    `/concern inbox`, the Teams `inbox` and the pointers it queues, the digest) holds the
    figures and links to the advice pages, and not one word of the draft or the advice."""
    d = seed_directory(uow_factory, clock.now())
    _advice(d, uow_factory, clock)
    payloads: list[object] = []
    for ref in ("chloe", "dev"):
        who = d.people[ref]
        work = awaiting_with_links(
            uow_factory(), practitioner_id=who, minter=FakeMinter(), clock=clock, via="slack_home"
        )
        home = home_views.home(work, clock.now())
        inbox = home_views.inbox(work, clock.now())
        assert view_problems(home, kind="home") == []
        assert message_problems({"text": "Your Flare inbox", "blocks": inbox}) == []
        assert set(work.advice_links.values()) <= {
            f"https://flare.test/advice/{r.request_id}"
            for r in (*work.awaiting.advice_to_give, *work.awaiting.advice_given)
        }
        resent = resend_pending(
            uow_factory(), practitioner_id=who, platform=Platform.TEAMS, clock=clock
        )
        payloads += [home, inbox, inbox_text(resent.counts)]
    assert "1 request for your advice" in str(payloads[2])  # Chloe's Teams reply
    assert "advice on 1 draft of yours" in str(payloads[2])
    links = [b["accessory"]["url"] for b in payloads[0]["blocks"] if "accessory" in b]  # type: ignore[index]
    assert sum("/advice/" in link for link in links) == 2  # both of Chloe's, each to its page
    send_digests(uow_factory, clock)
    with uow_factory() as uow:
        rows = uow.session.scalars(select(OutboxMessage)).all()
        for row in rows:
            pointer = pointer_for(uow, row, FakeMinter(), clock.now(), timedelta(hours=1))
            payloads += [row.detail, pointer_blocks(pointer, clock.now())]
            payloads.append(pointer_card(pointer, clock.now()))
        digests = {
            (r.recipient_id, r.detail.get("advice_to_give"), r.detail.get("advice_given"))
            for r in rows
            if r.kind == PointerKind.DIGEST.value
        }
        requeued = [r.kind for r in rows if r.idempotency_key.startswith("inbox-advice:")]
    assert (d.people["chloe"], 1, 1) in digests
    # Chloe's two pointers again; nothing waits for Dev (his own request is still unanswered)
    assert sorted(requeued) == [PointerKind.ADVICE_GIVEN.value, PointerKind.ADVICE_REQUESTED.value]
    assert ADVICE_CANARY not in json.dumps(payloads, default=str)
