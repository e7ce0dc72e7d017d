"""Networks that span Slack and Teams, over real HTTP to both fake platforms.

One Flare (uvicorn on loopback) serves /slack/events and /api/messages at once; the fake
Slack Web API, the fake Microsoft login + Bot Connector and the fake Bot Framework issuer
stand around it. A canary sits in every free-text field of each concern, and no byte of it
may reach either platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.app import create_app
from bot.teams.wiring import attach_teams
from handlers.raise_concern import RaiseConcern, Raised, raise_concern
from handlers.values import Category, FamilyInformed, LawfulBasis, Platform, Severity
from store.models import Concern
from tests.directory import seed_directory
from tests.slack.conftest import (
    TEAM,
    InlineExecutor,
    link_everyone_to_slack,
    slack_runtime,
    slack_settings,
    slack_user,
)
from tests.slack.fake_api import FakeSlackAPI
from tests.slack.inbound import SlackSender, serve
from tests.teams.conftest import aad_id
from tests.teams.fake_connector import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams
from tests.teams.fake_openid import running_openid
from tests.teams.inbound_world import TeamsWorld
from tests.teams.test_inbound_flows import acknowledge_value, raise_in_dialog

CANARY = "CANARY-cross-7f3e"
RECEIPT = "The lead professional has acknowledged the concern you raised."


@dataclass
class Both:
    teams_side: TeamsWorld
    slack: FakeSlackAPI
    sender: SlackSender

    @property
    def runtime(self):  # type: ignore[no-untyped-def]
        return self.teams_side.runtime

    @property
    def people(self) -> dict[str, str]:
        return self.teams_side.people

    def no_canary_anywhere(self) -> None:
        slack_bytes = self.slack.sent_bytes()
        teams_bytes = b"\n".join(r.raw for r in self.teams_side.teams.all_requests)
        assert slack_bytes and teams_bytes  # both platforms were really spoken to
        leaked_slack = CANARY.encode() in slack_bytes
        leaked_teams = CANARY.encode() in teams_bytes
        assert not leaked_slack and not leaked_teams


@contextmanager
def both_platforms(
    engine: Engine,
    var_dir: Path,
    slack: FakeSlackAPI,
    teams: FakeTeams,
    monkeypatch: pytest.MonkeyPatch,
    *,
    on_teams: tuple[str, ...],
) -> Iterator[Both]:
    """Everyone on Slack workspace T1, except `on_teams`, who are linked Teams users."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(teams.login.cert_path))
    with running_openid(APP_ID) as issuer:
        settings = slack_settings(
            engine,
            var_dir,
            slack,
            teams_app_id=APP_ID,
            teams_app_password=APP_PASSWORD,
            teams_tenant_id=TENANT_ID,
            teams_authority_url=teams.login.url,
            teams_service_url=teams.connector.url,
            teams_openid_metadata_url=issuer.metadata_url,
        )
        runtime = slack_runtime(engine, settings)
        attach_teams(runtime)
        clock = runtime.clock
        directory = seed_directory(runtime.uow, clock.now())
        link_everyone_to_slack(runtime.uow, slack)
        aad: dict[str, str] = {}
        with runtime.uow() as uow:
            for ref in on_teams:
                person = uow.directory.practitioner(directory.people[ref])
                assert person is not None
                aad[ref] = aad_id(ref)
                person.preferred_platform = "teams"
                person.teams_tenant_id, person.teams_aad_object_id = TENANT_ID, aad[ref]
                teams.connector.add_member(aad_object_id=aad[ref], upn=f"{ref}@school.test")
            uow.commit()
        app = create_app(settings, runtime)
        app.state.slack_app.listener_runner.listener_executor = InlineExecutor()
        assert {Platform.SLACK, Platform.TEAMS} <= set(runtime.notifiers)
        with serve(app) as url:
            teams_side = TeamsWorld(
                url,
                runtime,
                clock,  # type: ignore[arg-type]
                issuer,
                teams,
                people=dict(directory.people),
                clients=dict(directory.clients),
                aad=aad,
            )
            yield Both(teams_side, slack, SlackSender(url))


def _concern(both: Both) -> Concern:
    with both.runtime.uow() as uow:
        (row,) = uow.session.scalars(select(Concern)).all()
        uow.session.expunge(row)
        return row


def _card_actions(activity: dict[str, Any]) -> dict[str, dict[str, Any]]:
    card = activity["attachments"][0]["content"]
    return {a["type"]: a for a in card.get("actions", [])}


def test_raised_from_slack_acknowledged_on_teams_receipt_on_slack(  # type: ignore[no-untyped-def]
    engine, tmp_path, slack, teams, monkeypatch
):
    with both_platforms(
        engine, tmp_path, slack, teams, monkeypatch, on_teams=("chloe", "dev")
    ) as both:
        runtime = both.runtime
        # Amara raises from Slack (the Slack raise modal submits to this same use case)
        raised = raise_concern(
            RaiseConcern(
                raiser_id=both.people["amara"],
                client_id=both.teams_side.clients["C-1001"],
                category=Category.NEGLECT,
                severity=Severity.HIGH,
                noticed=f"{CANARY} always hungry",
                rationale=f"{CANARY} pattern",
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                family_informed=FamilyInformed.NOT_SAFE,
                family_reason=f"{CANARY} risk at home",
                submission_key="cross-1",
            ),
            runtime.uow(),
            runtime.clock,
            runtime.calendar,
        )
        assert isinstance(raised, Raised)
        report = runtime.deliver()
        assert report.sent == 3 and report.dead == 0

        # Chloe (lead) and Dev (member) got Teams cards; Erin (deputy) a Slack message
        (lead_card,) = both.teams_side.messages("chloe")
        (member_card,) = both.teams_side.messages("dev")
        assert "Action.Execute" in _card_actions(lead_card.activity)
        assert set(_card_actions(member_card.activity)) == {"Action.OpenUrl"}
        (erin,) = slack.messages(slack.dm_channel(slack_user("erin")))
        assert slack.messages(slack.dm_channel(slack_user("amara"))) == []

        # Chloe presses Acknowledge on the Teams card
        execute = _card_actions(lead_card.activity)["Action.Execute"]
        both.runtime.clock.advance(minutes=3)  # type: ignore[attr-defined]
        answer = both.teams_side.invoke(
            "chloe", "adaptiveCard/action", acknowledge_value(execute["data"]["concern"])
        )
        assert answer.status_code == 200
        assert "Acknowledged by you at 10:03" in str(answer.json()["value"])
        assert _concern(both).acknowledged_by_id == both.people["chloe"]

        runtime.deliver()
        # Amara's receipt arrives in Slack; Erin's Slack pointer and Chloe's card change in place
        (receipt,) = slack.messages(slack.dm_channel(slack_user("amara")))
        assert receipt.text.startswith(RECEIPT.rstrip("."))
        (erin,) = slack.messages(slack.dm_channel(slack_user("erin")))
        assert erin.text == "Acknowledged by the lead professional at 10:03." and erin.edited == 1
        (lead_card,) = both.teams_side.messages("chloe")
        assert lead_card.versions and "Action.Execute" not in _card_actions(lead_card.activity)
        assert "Acknowledged by you at 10:03" in str(lead_card.activity)
        both.no_canary_anywhere()


def test_raised_from_teams_acknowledged_on_slack_receipt_on_teams(  # type: ignore[no-untyped-def]
    engine, tmp_path, slack, teams, monkeypatch
):
    with both_platforms(engine, tmp_path, slack, teams, monkeypatch, on_teams=("dev",)) as both:
        runtime = both.runtime
        teams.connector.conversations[f"a:{both.teams_side.aad['dev']}"] = {
            "member": both.teams_side.aad["dev"],
            "tenant": TENANT_ID,
        }
        # Dev raises in the Teams dialog; the lead (Chloe) and the others are on Slack
        _, done = raise_in_dialog(
            both.teams_side,
            "dev",
            "C-1001",
            noticed=f"{CANARY} arrived hungry",
            rationale=f"{CANARY} the lead must know",
            family_reason=f"{CANARY} not safe to tell",
        )
        assert "task" in done
        concern = _concern(both)
        assert concern.raiser_id == both.people["dev"]
        assert runtime.deliver().dead == 0
        chloe_dm = slack.dm_channel(slack_user("chloe"))
        (pointer,) = slack.messages(chloe_dm)

        # Chloe presses Acknowledge in Slack; the listener delivers at once
        both.runtime.clock.advance(minutes=5)  # type: ignore[attr-defined]
        payload = both.sender.block_action(
            team=TEAM,
            user=slack_user("chloe"),
            action_id="flare_acknowledge",
            value=concern.id,
            channel=chloe_dm,
            message_ts=pointer.ts,
        )
        assert both.sender.action(payload).status_code == 200
        runtime.deliver()
        assert _concern(both).acknowledged_by_id == both.people["chloe"]
        (pointer,) = slack.messages(chloe_dm)
        assert pointer.text == "Acknowledged by you at 10:05." and pointer.edited == 1

        # Dev's receipt arrives in Teams, as a card in the 1:1 chat
        receipts = [
            m for m in both.teams_side.messages("dev") if m.activity.get("summary") == RECEIPT
        ]
        assert len(receipts) == 1
        both.no_canary_anywhere()
