"""The no-leak canary at handler level.

A unique canary goes into every sensitive field: what was noticed, the sharing rationale,
the family reason, the narrowing reason, protected identities, the client's name, the NHS
number and added information. The whole flow runs — raise, deliver, a refused open, open,
view, acknowledge, add information, deliver again — with logs captured as JSON at DEBUG
(structlog and the libraries). Then the same content is posted to /slack/events and
/api/messages the ways Flare must refuse (stale, re-signed with a rotated secret, replayed,
oversized, malformed; no, expired or foreign tokens). The canary
must appear in no Pointer, no chat wording, no playground message, no log line and nowhere
in the database in plaintext; and it must come back from `view_concern` to the recipient,
so the test would notice if it were looking in the wrong place.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.playground.notifier import PlaygroundNotifier
from handlers.concern.information import InformationAdded, add_information
from handlers.concern.opening import Opened, Refused, check_token, open_link
from handlers.concern.viewing import ConcernView, view_concern
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.my_work.awaiting import what_awaits
from handlers.outbox.delivery import deliver_due
from handlers.outbox.pointer_words import describe
from handlers.ports import Pointer, SendResult
from handlers.values import Platform
from store.models import Base
from tests.canary_concern import canary_client, raise_canary_concern
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.fakes import FakeNotifier
from tests.no_leak import assert_no_canary, audit_text, canary_needles, captured_logs
from tests.refused_requests import (
    SLACK_EXPECTED,
    TEAMS_EXPECTED,
    Refusing,
    flare_for_refusals,
    slack_submission,
)

FIELDS = (
    "noticed",
    "rationale",
    "family_reason",
    "narrowing_reason",
    "protected",
    "label",
    "information",
)


def _check_digit(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11


def _fresh_nhs_number() -> str:
    """A random valid NHS number: fresh for every example, so replays never collide."""
    while True:
        nine = f"{secrets.randbelow(10**9):09d}"
        if _check_digit(nine) != 10 and len(set(nine)) >= 4:
            return nine + str(_check_digit(nine))


free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@dataclass(frozen=True)
class Canaries:
    texts: dict[str, str]
    nhs: str

    @property
    def needles(self) -> list[str]:
        return canary_needles(*self.texts.values(), nhs=self.nhs)


class ExplodingNotifier(FakeNotifier):
    """A platform whose error message echoes what it was sent (some do): it must not be logged."""

    def __init__(self, echo: str) -> None:
        super().__init__()
        self.echo = echo
        self.exploded = False

    def send(self, pointer: Pointer) -> SendResult:
        if not self.exploded:
            self.exploded = True
            raise RuntimeError(f"platform rejected the message: {self.echo}")
        return super().send(pointer)


@pytest.fixture
def refusing(engine: Engine, tmp_path: Path) -> Iterator[Refusing]:
    with flare_for_refusals(engine, tmp_path) as flare:
        yield flare


def _flow(
    uow_factory: UowFactory, d: Directory, clock: FakeClock, canaries: Canaries, chat: FakeNotifier
) -> tuple[ConcernView, ConcernView]:
    t = canaries.texts
    client_id = canary_client(uow_factory, clock, name=t["label"], nhs=canaries.nhs)
    raised = raise_canary_concern(
        uow_factory, clock, d.people, client_id, t, recipients=("chloe", "erin")
    )
    notifiers = {Platform.PLAYGROUND: chat}
    deliver_due(uow_factory, notifiers, _Minter(), clock)  # the first send explodes
    clock.advance(minutes=30)
    deliver_due(uow_factory, notifiers, _Minter(), clock)
    lead = next(p for p in chat.to(d.people["chloe"]) if p.concern_id == raised.concern_id)
    assert lead.link is not None
    target = check_token(uow_factory(), lead.link.rsplit("/", 1)[1], clock)
    assert not isinstance(target, Refused)
    refused = open_link(
        uow_factory(), link_id=target.link_id, practitioner_id=d.people["dev"], clock=clock
    )
    assert isinstance(refused, Refused)
    opened = open_link(
        uow_factory(), link_id=target.link_id, practitioner_id=d.people["chloe"], clock=clock
    )
    assert isinstance(opened, Opened)
    view = view_concern(
        uow_factory(),
        concern_id=raised.concern_id,
        practitioner_id=d.people["chloe"],
        clock=clock,
        reveal_identities=True,  # chloe leads the network: she may reveal them
    )
    assert isinstance(
        acknowledge(
            uow_factory(),
            concern_id=raised.concern_id,
            practitioner_id=d.people["chloe"],
            clock=clock,
        ),
        Acknowledged,
    )
    clock.advance(minutes=1)
    added = add_information(
        uow_factory(),
        concern_id=raised.concern_id,
        author_id=d.people["erin"],
        text=t["information"],
        submission_key=secrets.token_hex(8),
        clock=clock,
    )
    assert isinstance(added, InformationAdded)
    deliver_due(uow_factory, notifiers, _Minter(), clock)
    what_awaits(uow_factory(), practitioner_id=d.people["chloe"], clock=clock, with_actions=True)
    again = view_concern(
        uow_factory(), concern_id=raised.concern_id, practitioner_id=d.people["erin"], clock=clock
    )
    return view, again


class _Minter:
    def mint(self) -> str:
        return secrets.token_urlsafe(32)

    def url(self, token: str) -> str:
        return f"https://flare.test/l/{token}"


def _database_text(engine: Engine) -> bytes:
    """Everything the database holds, as bytes: the files for SQLite, every row otherwise."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dump: list[bytes] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    dump.append(value if isinstance(value, bytes) else repr(value).encode())
    return b"\x00".join(dump)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(extra=st.fixed_dictionaries({f: free_text for f in FIELDS}))
def test_canary_reaches_only_the_recipient(
    engine: Engine,
    uow_factory: UowFactory,
    clock: FakeClock,
    debug_logs: io.StringIO,
    refusing: Refusing,
    extra: dict[str, str],
) -> None:
    with uow_factory() as uow:
        if uow.directory.practitioner_by_ref("chloe") is None:
            uow.rollback()
            seed_directory(uow_factory, clock.now())
    d = _directory(uow_factory)
    mark = secrets.token_hex(6)
    canaries = Canaries({f: f"qz{mark}{f}zq {extra[f]}" for f in FIELDS}, _fresh_nhs_number())
    chat = ExplodingNotifier(echo=canaries.texts["noticed"])
    view, again = _flow(uow_factory, d, clock, canaries, chat)

    # The positive control: the recipient does see every field.
    t = canaries.texts
    assert view.client_label == t["label"] and view.rationale == t["rationale"]
    assert view.family_reason == t["family_reason"]
    assert view.narrowing_reason == t["narrowing_reason"]
    assert view.protected_identities == t["protected"]
    assert view.entries[0].text == t["noticed"]
    assert [e.text for e in again.entries] == [t["noticed"], t["information"]]

    playground = PlaygroundNotifier(uow_factory, clock)
    chat_bytes = []
    for pointer in chat.sent:
        playground.send(pointer)
        text = describe(pointer, clock.now())
        chat_bytes.append(repr(pointer) + repr(text))
    assert len(chat.sent) >= 6 and chat.exploded
    # Requests carrying the content that Flare must refuse: a late or re-signed Slack
    # submission, a replay, an oversized or malformed body; Teams without a valid token.
    submission = slack_submission(*canaries.texts.values(), canaries.nhs)
    assert refusing.slack(submission, mark) == SLACK_EXPECTED
    activity = refusing.activity(" ".join([*canaries.texts.values(), canaries.nhs]))
    assert refusing.teams(activity, mark) == TEAMS_EXPECTED
    assert_no_canary(
        [*canaries.needles, mark],
        pointers="\n".join(chat_bytes),
        logs=captured_logs(debug_logs, expect="outbox.send_raised"),  # the explosion was logged
        audit=audit_text(uow_factory),
        the_database_in_plaintext=_database_text(engine),
    )


def _directory(uow_factory: UowFactory) -> Directory:
    with uow_factory() as uow:
        people = {p.ref: p.id for p in uow.directory.practitioners()}
    return Directory(people, {})
