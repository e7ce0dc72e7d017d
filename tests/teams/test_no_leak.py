"""No sensitive byte reaches Teams.

Two properties. (1) For every pointer kind and any values a Pointer may hold, every string
in the activity Flare sends is either fixed card vocabulary, the pointer's own wording
(handlers.outbox.pointer_words.describe), the recipient's link or the concern's opaque id — nothing
else can be in it. (2) With a canary in every sensitive field, a whole flow in which
everyone is on Teams (raise, forwarded link, open, acknowledge, receipt, added information,
fresh link, closing with a canary note and reopening, asking for advice first) puts zero
canary bytes into any request to the fake login or Bot Connector, and none into a log line.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.teams.cards import (
    CARD_CONTENT_TYPE,
    CARD_SCHEMA,
    CARD_VERSION,
    CLOSE_VERB,
    JOIN_APPROVE_VERB,
    JOIN_ASK_VERB,
    JOIN_DECLINE_VERB,
    OTHER_ON_THE_PAGE,
    pointer_activity,
)
from handlers.concern.advice import AdviceAsked, ask_for_advice
from handlers.concern.answers import RaiseAnswers
from handlers.concern.information import InformationAdded, add_information
from handlers.concern.joining import JoinAsked, ask_by_identifier, decide_join
from handlers.concern.opening import Opened, Refused, check_token, open_link, request_fresh_link
from handlers.concern.viewing import view_concern
from handlers.deadlines import WorkingCalendar
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.follow_through.closing import (
    CloseConcern,
    Closed,
    Reopened,
    close_concern,
    reopen_concern,
)
from handlers.follow_through.membership import (
    NetworkChanged,
    PersonRef,
    add_member,
    change_role,
    remove_member,
)
from handlers.outbox.delivery import deliver_due
from handlers.outbox.pointer_words import describe
from handlers.ports import Pointer
from handlers.values import (
    Category,
    LawfulBasis,
    Outcome,
    Platform,
    PointerKind,
    Role,
    Severity,
)
from tests.advice import answer_and_send, set_advisers, the_request
from tests.canary_concern import canary_client, raise_canary_concern
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory
from tests.identifiers import fresh_nhs_number
from tests.no_leak import assert_no_canary, audit_text, canary_needles, captured_logs
from tests.refused_requests import (
    SLACK_EXPECTED,
    TEAMS_EXPECTED,
    Refusing,
    flare_for_refusals,
    slack_submission,
)
from tests.teams.conftest import make_notifier, move_to_teams
from tests.teams.fake_connector import FakeTeams

CARD_WORDS = {
    "message",
    CARD_CONTENT_TYPE,
    CARD_SCHEMA,
    "AdaptiveCard",
    CARD_VERSION,
    "TextBlock",
    "FactSet",
    "Flare",
    "bolder",
    "medium",
    "Action.OpenUrl",
    "Action.Execute",
    "acknowledge",
    "positive",
    "attention",
    "warning",
    "accent",
    "default",
    "",
    # Close: the outcomes unfold in the card (fixed words, the closed set's own labels)
    "Action.ShowCard",
    "Input.ChoiceSet",
    "expanded",
    "outcome",
    "What was the outcome?",
    "Choose how the concern was resolved",
    "Close the concern",
    CLOSE_VERB,
    OTHER_ON_THE_PAGE,
    *(o.value for o in Outcome),
    *(o.label for o in Outcome),
    # Ask to join, Approve and Decline (bot/teams/joining.py)
    JOIN_ASK_VERB,
    JOIN_APPROVE_VERB,
    JOIN_DECLINE_VERB,
    "destructive",
}

opaque = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
pointers = st.builds(
    Pointer,
    kind=st.sampled_from(PointerKind),
    recipient_id=opaque,
    platform=st.just(Platform.TEAMS),
    idempotency_key=opaque,
    link=st.one_of(st.none(), opaque.map(lambda t: f"https://flare.test/l/{t}")),
    concern_id=st.one_of(st.none(), opaque),
    severity=st.one_of(st.none(), st.sampled_from(Severity)),
    raised_at=st.one_of(st.none(), moments),
    entries=st.integers(0, 500),
    recipients=st.integers(0, 50),
    can_acknowledge=st.booleans(),
    can_close=st.booleans(),
    can_ask_to_join=st.booleans(),
    join_request_id=st.one_of(st.none(), opaque),
    acknowledged_at=st.one_of(st.none(), moments),
    by_recipient=st.booleans(),
    escalation_level=st.integers(0, 3),
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=300, deadline=None)
@given(pointer=pointers, now=moments)
def test_every_string_in_a_teams_activity_comes_from_the_pointer(
    pointer: Pointer, now: datetime
) -> None:
    text = describe(pointer, now)
    allowed = set(CARD_WORDS) | {text.title, *text.lines}
    allowed |= {part for line in text.lines for part in line.split(": ", 1)}
    labels = (text.open_label, text.acknowledge_label, text.close_label, text.ask_to_join_label)
    allowed |= {w for w in (*labels, text.approve_label, text.decline_label) if w}
    allowed |= {v for v in (pointer.link, pointer.concern_id, pointer.join_request_id) if v}
    keys = {
        "type", "summary", "attachments", "contentType", "content", "channelData",
        "notification", "alert", "$schema", "version", "body", "text", "weight", "isSubtle",
        "wrap", "size", "color", "facts", "title", "value", "actions", "url", "verb", "data",
        "concern", "request", "style", "card", "id", "label", "isRequired", "errorMessage",
        "choices",
    }  # fmt: skip
    for string in _strings(pointer_activity(pointer, now)):
        assert string in allowed or string in keys, string


FIELDS = ("noticed", "rationale", "family_reason", "narrowing_reason", "protected", "label",
          "information", "outcome_note")  # fmt: skip
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@pytest.fixture
def refusing(engine: Engine, tmp_path: Path) -> Iterator[Refusing]:
    with flare_for_refusals(engine, tmp_path) as flare:
        yield flare


class _Minter:
    def mint(self) -> str:
        return secrets.token_urlsafe(32)

    def url(self, token: str) -> str:
        return f"https://flare.test/l/{token}"


def _directory(
    uow_factory: UowFactory, clock: FakeClock, teams: FakeTeams
) -> tuple[Directory, dict[str, str]]:
    from tests.directory import seed_directory

    with uow_factory() as uow:
        people = {p.ref: p.id for p in uow.directory.practitioners()}
    if not people:
        d = seed_directory(uow_factory, clock.now())
        return d, move_to_teams(uow_factory, d, teams, "amara", "chloe", "erin", "dev")
    from tests.teams.conftest import aad_id

    return Directory(people, {}), {r: aad_id(r) for r in ("amara", "chloe", "erin", "dev")}


def _join_declined_then_approved(
    uow_factory: UowFactory, clock: FakeClock, people: dict[str, str], client_id: str, nhs: str
) -> None:
    """Dev is removed, asks to join by the canary NHS number; Chloe declines, Erin approves."""
    dev = people["dev"]
    left = remove_member(uow_factory(), client_id=client_id, actor_id=people["chloe"],
                         practitioner_id=dev, clock=clock)  # fmt: skip
    assert isinstance(left, NetworkChanged)
    for decider, approve in (("chloe", False), ("erin", True)):
        asked = ask_by_identifier(uow_factory(), asker_id=dev, identifier=nhs, clock=clock)
        assert isinstance(asked, JoinAsked)
        with uow_factory() as uow:
            (request,) = uow.join_requests.pending_for_clients([client_id])
            request_id = request.id
        decide_join(uow_factory(), request_id=request_id, decider_id=people[decider],
                    approve=approve, clock=clock)  # fmt: skip


def _seek_advice(
    uow_factory: UowFactory,
    clock: FakeClock,
    d: Directory,
    client_id: str,
    t: dict[str, str],
    deliver: Callable[[], object],
) -> None:
    """Dev asks his safeguarding lead (Chloe) for advice first; she replies; he sends it."""
    set_advisers(uow_factory, "oakfield-primary", lead="chloe")
    key = secrets.token_hex(8)
    answers = RaiseAnswers(
        client=client_id, category="neglect", severity="high", noticed=t["noticed"],
        family_informed="not_safe", family_reason=t["family_reason"], rationale=t["rationale"],
        lawful_basis="public_task", protected_identities=t["protected"],
        submission_key=key,
    )  # fmt: skip
    asked = ask_for_advice(uow_factory(), answers, raiser_id=d.people["dev"], clock=clock,
                           calendar=WorkingCalendar())  # fmt: skip
    assert isinstance(asked, AdviceAsked), asked
    deliver()
    request_id, adviser = the_request(uow_factory, key)
    answer_and_send(uow_factory, clock, request_id=request_id, adviser_id=adviser,
                    raiser_id=d.people["dev"], reply=t["information"], deliver=deliver)  # fmt: skip


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(extra=st.fixed_dictionaries({f: free_text for f in FIELDS}))
def test_no_canary_byte_reaches_teams_in_any_flow(
    uow_factory: UowFactory,
    clock: FakeClock,
    teams: FakeTeams,
    debug_logs: io.StringIO,
    refusing: Refusing,
    extra: dict[str, str],
) -> None:
    d, aad = _directory(uow_factory, clock, teams)
    mark = secrets.token_hex(6)
    t = {f: f"qz{mark}{f}zq {extra[f]}" for f in FIELDS}
    nhs = fresh_nhs_number()
    first_request = len(teams.all_requests)
    notifier = make_notifier(uow_factory, clock, teams)
    notifiers = {Platform.TEAMS: notifier}

    client_id = canary_client(uow_factory, clock, name=t["label"], nhs=nhs)
    raised = raise_canary_concern(
        uow_factory, clock, d.people, client_id, t, recipients=("chloe", "erin", "dev"),
        category=Category.DOMESTIC_ABUSE, severity=Severity.IMMEDIATE,
        lawful_basis=LawfulBasis.VITAL_INTERESTS,
    )  # fmt: skip
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0

    # Chloe's card carries her link: open it as Dev (forwarded), then as Chloe
    card = teams.connector.messages_to(aad["chloe"])[-1].activity["attachments"][0]["content"]
    url = next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl")
    token = url.rsplit("/", 1)[1]
    target = check_token(uow_factory(), token, clock)
    assert not isinstance(target, Refused)
    wrong = open_link(uow_factory(), link_id=target.link_id, practitioner_id=d.people["dev"],
                      clock=clock)  # fmt: skip
    assert isinstance(wrong, Refused)
    opened = open_link(uow_factory(), link_id=target.link_id, practitioner_id=d.people["chloe"],
                       clock=clock)  # fmt: skip
    assert isinstance(opened, Opened)
    view = view_concern(uow_factory(), concern_id=raised.concern_id,
                        practitioner_id=d.people["chloe"], clock=clock)  # fmt: skip
    assert view.entries[0].text == t["noticed"] and view.client_label == t["label"]  # control
    ack = acknowledge(uow_factory(), concern_id=raised.concern_id,
                      practitioner_id=d.people["chloe"], clock=clock)  # fmt: skip
    assert isinstance(ack, Acknowledged)
    added = add_information(uow_factory(), concern_id=raised.concern_id,
                            author_id=d.people["erin"], text=t["information"],
                            submission_key=secrets.token_hex(8), clock=clock)  # fmt: skip
    assert isinstance(added, InformationAdded)
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0
    clock.advance(hours=73)
    request_fresh_link(uow_factory(), token, clock)
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0
    closing = CloseConcern(raised.concern_id, d.people["chloe"], "other", t["outcome_note"])
    assert isinstance(close_concern(uow_factory(), closing, clock=clock), Closed)
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0
    reopened = reopen_concern(uow_factory(), concern_id=raised.concern_id,
                              practitioner_id=d.people["erin"], clock=clock)  # fmt: skip
    assert isinstance(reopened, Reopened)
    # The network changes: Dev is made deputy, removed, and added again; each is told.
    chloe, dev = d.people["chloe"], d.people["dev"]
    changes = (
        change_role(uow_factory(), client_id=client_id, actor_id=chloe, practitioner_id=dev,
                    role=Role.DEPUTY, clock=clock),
        remove_member(uow_factory(), client_id=client_id, actor_id=chloe, practitioner_id=dev,
                      clock=clock),
        add_member(uow_factory(), client_id=client_id, actor_id=chloe,
                   person=PersonRef(ref="dev"), clock=clock),
    )  # fmt: skip
    assert all(isinstance(c, NetworkChanged) for c in changes)
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0
    _join_declined_then_approved(uow_factory, clock, d.people, client_id, nhs)
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).dead == 0
    _seek_advice(uow_factory, clock, d, client_id, t, lambda: deliver_due(
        uow_factory, notifiers, _Minter(), clock))  # fmt: skip

    sent = teams.all_requests[first_request:]
    kinds_seen = {r.json()["summary"] for r in sent if "/activities" in r.path}
    assert len(kinds_seen) >= 11  # new, forwarded, acknowledged, receipt, information, fresh,
    assert any("been closed" in k for k in kinds_seen)  # closed and reopened, too
    assert any("been reopened" in k for k in kinds_seen)
    assert any("asks for your advice" in k for k in kinds_seen)  # and asking for advice first
    assert any("You have advice" in k for k in kinds_seen)
    # and the network's role changed, removed and added
    assert any("join a network you lead" in k for k in kinds_seen)  # with Approve, Decline
    assert any("was approved" in k for k in kinds_seen)
    assert any("was not approved" in k for k in kinds_seen)
    assert any(r.method == "PUT" for r in sent)  # the acknowledged card, updated in place
    raw = b"\n".join(r.raw for r in sent)
    # The same content in requests Flare must refuse (see tests/refused_requests.py).
    assert refusing.slack(slack_submission(*t.values(), nhs), mark) == SLACK_EXPECTED
    assert refusing.teams(refusing.activity(" ".join([*t.values(), nhs])), mark) == TEAMS_EXPECTED
    assert_no_canary(
        canary_needles(*t.values(), mark, nhs=nhs),
        sent_to_teams=raw,
        logs=captured_logs(debug_logs),
        audit=audit_text(uow_factory),
    )
