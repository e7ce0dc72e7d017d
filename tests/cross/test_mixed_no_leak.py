"""The no-leak canary over networks split any way between Slack and Teams.

Hypothesis picks the free text put into every sensitive field and which platform each person
in the network uses. The flow (raise, deliver, acknowledge, add information, deliver, close
with a canary note, reopen, deliver) goes through the real SlackNotifier and TeamsNotifier
against their fakes over loopback. Each recipient gets their pointers on their own platform
only, and no canary byte reaches either platform or a log line.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.slack.notifier import SingleWorkspace, SlackNotifier
from handlers.concern.information import InformationAdded, add_information
from handlers.follow_through.acknowledge import Acknowledged, acknowledge
from handlers.follow_through.closing import (
    CloseConcern,
    Closed,
    Reopened,
    close_concern,
    reopen_concern,
)
from handlers.outbox.delivery import deliver_due
from handlers.ports import Notifier
from handlers.values import Category, Platform, Severity, SpecialCategoryCondition
from tests.canary_concern import canary_client, raise_canary_concern
from tests.conftest import FakeClock, UowFactory
from tests.directory import seed_directory
from tests.identifiers import fresh_nhs_number
from tests.no_leak import assert_no_canary, audit_text, canary_needles, captured_logs
from tests.refused_requests import (
    SLACK_EXPECTED,
    TEAMS_EXPECTED,
    Refusing,
    flare_for_refusals,
    slack_submission,
)
from tests.slack.conftest import BOT_TOKEN, link_everyone_to_slack, slack_user
from tests.slack.fake_api import FakeSlackAPI
from tests.teams.conftest import aad_id, make_notifier
from tests.teams.fake_connector import TENANT_ID, FakeTeams

PEOPLE = ("amara", "chloe", "erin", "dev")
FIELDS = ("noticed", "rationale", "family_reason", "narrowing_reason", "protected", "label",
          "information", "outcome_note")  # fmt: skip
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@pytest.fixture
def refusing(engine: Engine, tmp_path: Path) -> Iterator[Refusing]:
    with flare_for_refusals(engine, tmp_path) as flare:
        yield flare


def _people(
    uow_factory: UowFactory, clock: FakeClock, slack: FakeSlackAPI, teams: FakeTeams
) -> dict[str, str]:
    with uow_factory() as uow:
        people = {p.ref: p.id for p in uow.directory.practitioners()}
    if people:
        return people
    d = seed_directory(uow_factory, clock.now())
    link_everyone_to_slack(uow_factory, slack)
    with uow_factory() as uow:  # everyone also has a Teams identity; preference decides
        for ref in PEOPLE:
            person = uow.directory.practitioner(d.people[ref])
            assert person is not None
            person.teams_tenant_id, person.teams_aad_object_id = TENANT_ID, aad_id(ref)
            teams.connector.add_member(aad_object_id=aad_id(ref), upn=f"{ref}@mixed.test")
        uow.commit()
    return d.people


@settings(
    max_examples=5,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # shrinking over HTTP is too slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra=st.fixed_dictionaries({f: free_text for f in FIELDS}),
    platforms=st.fixed_dictionaries(
        {ref: st.sampled_from([Platform.SLACK, Platform.TEAMS]) for ref in PEOPLE}
    ),
)
def test_no_canary_reaches_either_platform_however_the_network_is_split(
    uow_factory: UowFactory,
    clock: FakeClock,
    slack: FakeSlackAPI,
    teams: FakeTeams,
    debug_logs: io.StringIO,
    refusing: Refusing,
    extra: dict[str, str],
    platforms: dict[str, Platform],
) -> None:
    people = _people(uow_factory, clock, slack, teams)
    with uow_factory() as uow:
        for ref, platform in platforms.items():
            practitioner = uow.directory.practitioner(people[ref])
            assert practitioner is not None
            practitioner.preferred_platform = platform.value
        uow.commit()
    slack.clear()
    first_teams = len(teams.all_requests)
    before = {ref: _counts(slack, teams, ref) for ref in PEOPLE}
    notifiers: dict[Platform, Notifier] = {
        Platform.SLACK: SlackNotifier(uow_factory, clock, SingleWorkspace(BOT_TOKEN), slack.url),
        Platform.TEAMS: make_notifier(uow_factory, clock, teams),
    }

    mark = secrets.token_hex(6)
    t = {f: f"qz{mark}{f}zq {extra[f]}" for f in FIELDS}
    nhs = fresh_nhs_number()
    client_id = canary_client(uow_factory, clock, name=t["label"], nhs=nhs)
    raised = raise_canary_concern(
        uow_factory, clock, people, client_id, t, recipients=("chloe", "erin", "dev"),
        category=Category.HEALTH, severity=Severity.MEDIUM,
        special_category=SpecialCategoryCondition.HEALTH_SOCIAL_CARE,
    )  # fmt: skip
    assert deliver_due(uow_factory, notifiers, _Minter(), clock).sent == 3
    ack = acknowledge(uow_factory(), concern_id=raised.concern_id,
                      practitioner_id=people["chloe"], clock=clock)  # fmt: skip
    assert isinstance(ack, Acknowledged)
    added = add_information(uow_factory(), concern_id=raised.concern_id, author_id=people["erin"],
                            text=t["information"], submission_key=secrets.token_hex(8),
                            clock=clock)  # fmt: skip
    assert isinstance(added, InformationAdded)
    report = deliver_due(uow_factory, notifiers, _Minter(), clock)
    assert report.dead == 0 and report.sent >= 4  # 2 in place, receipt, new information
    closing = CloseConcern(raised.concern_id, people["chloe"], "other", t["outcome_note"])
    assert isinstance(close_concern(uow_factory(), closing, clock=clock), Closed)
    reopened = reopen_concern(uow_factory(), concern_id=raised.concern_id,
                              practitioner_id=people["erin"], clock=clock)  # fmt: skip
    assert isinstance(reopened, Reopened)
    report = deliver_due(uow_factory, notifiers, _Minter(), clock)
    assert report.dead == 0 and report.sent == 6  # closed, then reopened: to 3 people each

    # each person heard about it on their own platform, and only there
    for person in PEOPLE:
        after = _counts(slack, teams, person)
        on_slack, on_teams = after[0] - before[person][0], after[1] - before[person][1]
        if platforms[person] is Platform.SLACK:
            assert on_slack >= 1 and on_teams == 0, person
        else:
            assert on_teams >= 1 and on_slack == 0, person

    raw = slack.sent_bytes() + b"\n".join(r.raw for r in teams.all_requests[first_teams:])
    # The same content in requests Flare must refuse (see tests/refused_requests.py).
    assert refusing.slack(slack_submission(*t.values(), nhs), mark) == SLACK_EXPECTED
    assert refusing.teams(refusing.activity(" ".join([*t.values(), nhs])), mark) == TEAMS_EXPECTED
    assert_no_canary(
        canary_needles(*t.values(), mark, nhs=nhs),
        sent_to_slack_or_teams=raw,
        logs=captured_logs(debug_logs),
        audit=audit_text(uow_factory),
    )


def _counts(slack: FakeSlackAPI, teams: FakeTeams, ref: str) -> tuple[int, int]:
    """Messages a person has had so far: (in Slack, in Teams)."""
    in_slack = len(slack.messages(slack.dm_channel(slack_user(ref))))
    return in_slack, len(teams.connector.messages_to(aad_id(ref)))


class _Minter:
    def mint(self) -> str:
        return secrets.token_urlsafe(32)

    def url(self, token: str) -> str:
        return f"https://flare.test/l/{token}"
