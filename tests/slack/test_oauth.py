"""Many workspaces: OAuth install, tokens encrypted at rest, a token per team, uninstall."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine, select

from bot.slack.blocks import ACKNOWLEDGE_ACTION
from bot.slack.installation import BOT_SCOPES, store_for
from handlers.network.identity import UNKNOWN_MESSAGE
from handlers.values import FamilyInformed
from store.models import DataKey, PlatformSecret
from tests.directory import declare
from tests.raising import raise_for_test
from tests.slack.conftest import TEAM, SlackWorld, running_world, slack_user
from tests.slack.fake_api import FakeSlackAPI

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"
TOKENS = {TEAM: "xoxb-oauth-t1-secretvalue", "T2": "xoxb-oauth-t2-secretvalue"}


@contextmanager
def oauth_world(engine: Engine, tmp_path: Path, slack: FakeSlackAPI) -> Iterator[SlackWorld]:
    slack.add_team(TEAM, token=TOKENS[TEAM])
    slack.add_team("T2", token=TOKENS["T2"])
    with running_world(
        engine,
        tmp_path,
        slack,
        slack_bot_token="",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    ) as world:
        # The council declares a workspace of its own, T2, besides the demo one.
        at = world.runtime.clock.now()
        declare(world.runtime.uow, "council-cs", slack=(TEAM, "T2"), at=at)
        yield world


def _install(world: SlackWorld, team: str, code: str) -> httpx.Response:
    """A browser: /slack/install -> (Slack's consent page) -> /slack/oauth_redirect."""
    base = world.sender.base_url
    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        start = browser.get("/slack/install")
        assert start.status_code == 302
        authorize = urlsplit(start.headers["location"])
        query = parse_qs(authorize.query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["scope"] == [",".join(BOT_SCOPES)]
        assert query["redirect_uri"] == [
            f"{world.runtime.settings.public_url}/slack/oauth_redirect"
        ]
        state = query["state"][0]
        cookie = start.headers["set-cookie"].split(";")[0]
        assert cookie == f"flare_slack_oauth_state={state}"
        world.slack.add_oauth_code(code, team_id=team)
        return browser.get(
            "/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie},
        )


def _secret_rows(world: SlackWorld) -> list[PlatformSecret]:
    with world.runtime.uow() as uow:
        rows = list(uow.session.scalars(select(PlatformSecret).order_by(PlatformSecret.scope)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_install_stores_the_token_encrypted_and_state_is_single_use(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with oauth_world(engine, tmp_path, slack) as world:
        done = _install(world, TEAM, "code-1")
        assert done.status_code == 200
        (exchange,) = world.slack.calls("oauth.v2.access")
        assert exchange.args["code"] == "code-1"
        assert exchange.headers["authorization"].startswith("Basic ")  # client id + secret

        (row,) = _secret_rows(world)
        assert (row.platform, row.scope) == ("slack", f"team:{TEAM}")
        assert TOKENS[TEAM].encode() not in row.value_ct
        assert "xoxb" not in str(row.detail)
        bot = store_for(world.runtime.dependencies()).find_bot(enterprise_id=None, team_id=TEAM)
        assert bot is not None and bot.bot_token == TOKENS[TEAM]
        assert "slack.installed" in world.audit_actions()

        # The same state again (a replayed redirect), and a state never issued: refused.
        with httpx.Client(base_url=world.sender.base_url) as browser:
            start = browser.get("/slack/install", follow_redirects=False)
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            cookie = {"Cookie": f"flare_slack_oauth_state={state}"}
            world.slack.add_oauth_code("code-2", team_id="T2")
            first = browser.get(
                "/slack/oauth_redirect", params={"code": "code-2", "state": state}, headers=cookie
            )
            again = browser.get(
                "/slack/oauth_redirect", params={"code": "code-2", "state": state}, headers=cookie
            )
            forged = "1700000000.abc.0000"
            bad = browser.get(
                "/slack/oauth_redirect",
                params={"code": "x", "state": forged},
                headers={"Cookie": f"flare_slack_oauth_state={forged}"},
            )
        assert first.status_code == 200
        assert (again.status_code, bad.status_code) == (401, 401), (again.text, bad.text)
        assert len(world.slack.calls("oauth.v2.access")) == 2
        assert [r.scope for r in _secret_rows(world)] == [f"team:{TEAM}", "team:T2"]


def _raise(world: SlackWorld, client_ref: str, key: str) -> str:
    runtime = world.runtime
    outcome = raise_for_test(
        runtime.uow,
        world,
        runtime.clock,
        runtime.calendar,
        client=client_ref,
        key=key,
        noticed="noticed",
        rationale="rationale",
        family_informed=FamilyInformed.YES,
        family_reason="",
    )
    return outcome.concern_id


def test_each_workspace_gets_pointers_with_its_own_token_until_uninstalled(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with oauth_world(engine, tmp_path, slack) as world:
        assert _install(world, TEAM, "c1").status_code == 200
        assert _install(world, "T2", "c2").status_code == 200
        # Erin works for the council, whose workspace is T2.
        world.slack.add_user("T2", "UERIN", email="erin@demo.flare.invalid")
        with world.runtime.uow() as uow:
            erin = uow.directory.practitioner(world.people["erin"])
            assert erin is not None
            erin.slack_team_id = "T2"
            uow.commit()
        _raise(world, "C-1001", "multi-1")
        assert world.runtime.deliver().sent == 3
        tokens = {p.args["channel"]: p.token for p in world.slack.calls("chat.postMessage")}
        assert tokens == {
            "DUCHLOE": TOKENS[TEAM],
            "DUDEV": TOKENS[TEAM],
            "DUERIN": TOKENS["T2"],
        }

        # T2 removes the app: its token is forgotten (data key shredded), T1 carries on.
        event = {"type": "app_uninstalled"}
        assert world.sender.event(event, team="T2").status_code == 200
        rows = _secret_rows(world)
        assert [r.scope for r in rows] == [f"team:{TEAM}"]
        with world.runtime.uow() as uow:
            shredded = uow.session.scalars(
                select(DataKey).where(DataKey.purpose == "secret:slack", DataKey.wrapped.is_(None))
            ).all()
        assert len(shredded) == 1
        assert "slack.uninstalled" in world.audit_actions()
        _raise(world, "C-1001", "multi-2")
        report = world.runtime.deliver()
        assert report.sent == 2 and report.dead == 1


def test_requests_are_authorised_per_workspace_and_identity_stays_per_workspace(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with oauth_world(engine, tmp_path, slack) as world:
        assert _install(world, TEAM, "c1").status_code == 200
        assert _install(world, "T2", "c2").status_code == 200
        concern = _raise(world, "C-1001", "per-ws-1")
        world.runtime.deliver()
        # Someone in T2 whose Slack profile carries Chloe's address is not Chloe: T2 is the
        # council's workspace, not her school's.
        world.slack.add_user("T2", "UCHLOE2", email="chloe@demo.flare.invalid")
        payload = world.sender.block_action(
            team="T2", user="UCHLOE2", action_id=ACKNOWLEDGE_ACTION, value=concern, channel="DX"
        )
        assert world.sender.action(payload).status_code == 200
        (told,) = world.slack.calls("chat.postEphemeral")
        assert told.token == TOKENS["T2"] and told.args["text"] == UNKNOWN_MESSAGE
        refusal = world.web.audit_details("identity.refused")[-1]
        assert refusal["reason"] == "workspace_not_allowed" and refusal["user"] == "UCHLOE2"
        (lookup,) = world.slack.calls("users.info")
        assert lookup.token == TOKENS["T2"]

        # Chloe herself, in T1, acknowledges; the reply goes out with T1's token.
        chloe = world.sender.block_action(
            team=TEAM,
            user=slack_user("chloe"),
            action_id=ACKNOWLEDGE_ACTION,
            value=concern,
            channel="DUCHLOE",
            message_ts=world.slack.messages("DUCHLOE")[0].ts,
        )
        assert world.sender.action(chloe).status_code == 200
        updates = world.slack.calls("chat.update")
        assert {u.args["channel"]: u.token for u in updates}["DUCHLOE"] == TOKENS[TEAM]

        # A workspace that never installed Flare is turned away without a listener running.
        world.slack.add_team("T3", token="xoxb-never-installed")
        stranger = world.sender.block_action(
            team="T3", user="USTRANGER", action_id=ACKNOWLEDGE_ACTION, value=concern
        )
        world.sender.action(stranger)
        assert not [r for r in world.slack.requests if r.token == "xoxb-never-installed"]


def test_installing_into_a_workspace_no_organisation_declares_stores_nothing_and_says_so(
    engine: Engine, tmp_path: Path, slack: FakeSlackAPI
) -> None:
    with oauth_world(engine, tmp_path, slack) as world:
        slack.add_team("T0FOREIGN", token="xoxb-oauth-foreign-secretvalue")
        refused = _install(world, "T0FOREIGN", "code-foreign")
        assert refused.status_code == 403
        assert "Flare is not set up for this workspace" in refused.text
        assert "declare the workspace" in refused.text
        assert _secret_rows(world) == []
        assert (
            store_for(world.runtime.dependencies()).find_bot(
                enterprise_id=None, team_id="T0FOREIGN"
            )
            is None
        )
        (audit,) = world.web.audit_details("slack.install_refused")
        assert audit == {
            "platform": "slack",
            "workspace": "T0FOREIGN",
            "reason": "workspace_unknown",
        }
        assert "slack.installed" not in world.audit_actions()

        # Events from that workspace find no installation: nothing runs, nothing is called.
        world.slack.add_user("T0FOREIGN", "UMALLORY", email="chloe@demo.flare.invalid")
        before = len(world.slack.requests)
        world.sender.event({"type": "app_home_opened", "user": "UMALLORY"}, team="T0FOREIGN")
        assert not [
            r for r in world.slack.requests[before:] if r.token == "xoxb-oauth-foreign-secretvalue"
        ]

        # A workspace the directory declares installs as before.
        assert _install(world, "T2", "code-t2").status_code == 200
        assert [r.scope for r in _secret_rows(world)] == ["team:T2"]
