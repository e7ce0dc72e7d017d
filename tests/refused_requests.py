"""Requests Flare must refuse, each carrying a body with a canary in it, for the no-leak suites.

Slack: a stale timestamp (a late delivery), the right body signed with another secret (a
secret just rotated), a replay of a request already accepted, a body over 1 MiB, a payload
that is not JSON, bytes that are not UTF-8. Teams: no token, an expired token, a token from
another key, a body over 1 MiB, bytes that are not UTF-8. Each must get a 4xx; the suites
then assert that no canary byte reached a log line at FLARE_LOG_LEVEL=DEBUG.

`flare_for_refusals` runs Flare in process with both platforms configured (pointing nowhere:
nothing it refuses may call out), for the suites that otherwise run at handler level.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.app import create_app
from bot.config import Settings
from bot.request_body import MAX_BODY
from bot.runtime import Runtime
from store.crypto import KeyRing, generate_master_key_spec
from store.db import session_factory
from tests.conftest import FakeClock
from tests.slack.inbound import SIGNING_SECRET, signed_headers
from tests.teams.fake_openid import FakeOpenId, new_rsa_key, running_openid

Post = Callable[[bytes, dict[str, str]], int]
FORM = "application/x-www-form-urlencoded"
TEAMS_APP_ID = "00000000-0000-0000-0000-0000000f1a5e"


def slack_submission(*texts: str) -> bytes:
    """A modal submission (form-encoded, as Slack posts it) whose answers are `texts`."""
    values = {
        f"b{i}": {f"a{i}": {"type": "plain_text_input", "value": t}} for i, t in enumerate(texts)
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "UAMARA", "team_id": "T1"},
        "trigger_id": f"trig.{time.monotonic_ns()}",
        "view": {"id": "V1", "type": "modal", "callback_id": "flare_raise_send",
                 "state": {"values": values}},
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)}).encode()


def oversized(body: bytes, canary: str) -> bytes:
    return body + b"&pad=" + canary.encode() * (MAX_BODY // len(canary) + 1)


def slack_refusals(
    post: Post, body: bytes, canary: str, content_type: str = FORM
) -> dict[str, int]:
    """Send `body` every way /slack/events must refuse; the status each got."""
    now = time.time()
    sent: dict[str, int] = {}
    sent["stale"] = post(body, signed_headers(body, content_type=content_type, at=now - 600))
    rotated = signed_headers(body, content_type=content_type, secret=f"rotated-{SIGNING_SECRET}")
    sent["rotated_secret"] = post(body, rotated)
    once = signed_headers(body, content_type=content_type, at=now - 1)
    post(body, once)  # accepted (or a repeated delivery, if Slack sent it before)
    sent["replayed"] = post(body, once)
    big = oversized(body, canary)
    sent["oversized"] = post(big, signed_headers(big, content_type=content_type))
    malformed = f"payload={quote('{' + canary)}".encode()
    sent["malformed"] = post(malformed, signed_headers(malformed, content_type=FORM))
    not_utf8 = b"\xff" + body
    sent["not_utf8"] = post(not_utf8, signed_headers(not_utf8, content_type=content_type))
    return sent


SLACK_EXPECTED = {
    "stale": 401,
    "rotated_secret": 401,
    "replayed": 401,
    "oversized": 413,
    "malformed": 400,
    "not_utf8": 400,
}


def teams_refusals(
    post: Post, body: bytes, canary: str, issuer: FakeOpenId, service_url: str
) -> dict[str, int]:
    """Send `body` (an activity) every way /api/messages must refuse; the status each got."""
    expired = issuer.token(service_url, exp=int(time.time()) - 600, nbf=int(time.time()) - 4000)
    other_key = issuer.token(service_url, key=new_rsa_key())
    valid = issuer.token(service_url)
    json_type = {"Content-Type": "application/json"}
    return {
        "no_token": post(body, json_type),
        "expired": post(body, {**json_type, "Authorization": f"Bearer {expired}"}),
        "other_key": post(body, {**json_type, "Authorization": f"Bearer {other_key}"}),
        "oversized": post(
            oversized(body, canary), {**json_type, "Authorization": f"Bearer {valid}"}
        ),
        "not_utf8": post(b"\xff" + body, {**json_type, "Authorization": f"Bearer {valid}"}),
    }


TEAMS_EXPECTED = {
    "no_token": 401,
    "expired": 401,
    "other_key": 401,
    "oversized": 413,
    "not_utf8": 400,
}


@dataclass
class Refusing:
    """Flare with Slack and Teams configured (in process), to send refused requests to."""

    client: TestClient
    issuer: FakeOpenId
    service_url: str = "https://smba.example.test/teams/"

    def post(self, path: str) -> Post:
        def send(body: bytes, headers: dict[str, str]) -> int:
            status: int = self.client.post(path, content=body, headers=headers).status_code
            return status

        return send

    def slack(self, body: bytes, canary: str) -> dict[str, int]:
        return slack_refusals(self.post("/slack/events"), body, canary)

    def teams(self, body: bytes, canary: str) -> dict[str, int]:
        return teams_refusals(
            self.post("/api/messages"), body, canary, self.issuer, self.service_url
        )

    def activity(self, text: str) -> bytes:
        """A Teams message activity whose text is `text`."""
        return json.dumps(
            {"type": "message", "id": "f:1", "channelId": "msteams", "text": text,
             "serviceUrl": self.service_url, "from": {"id": "29:x", "aadObjectId": "x"}}
        ).encode()  # fmt: skip


@contextmanager
def flare_for_refusals(engine: Engine, var_dir: Path) -> Iterator[Refusing]:
    """Flare with Slack and Teams configured, pointing nowhere it could reach: nothing it
    refuses may call out. The fake Bot Framework issuer signs the tokens."""
    keys = generate_master_key_spec("refusals")
    with running_openid(TEAMS_APP_ID) as issuer:
        issuer.app_id = TEAMS_APP_ID
        settings = Settings(
            env="test",
            public_url="https://flare.test",
            database_url=engine.url.render_as_string(hide_password=False),
            master_keys=keys,
            var_dir=var_dir,
            run_worker_in_serve=False,
            slack_signing_secret=SIGNING_SECRET,
            slack_bot_token="xoxb-refusals",
            slack_api_url="http://127.0.0.1:9/api/",
            teams_app_id=TEAMS_APP_ID,
            teams_app_password="unused",
            teams_tenant_id="11111111-1111-1111-1111-111111111111",
            teams_openid_metadata_url=issuer.metadata_url,
            teams_service_url="http://127.0.0.1:9/",
        )
        runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            ring=KeyRing.parse(keys),
            clock=FakeClock(),  # type: ignore[arg-type]
        )
        with TestClient(create_app(settings, runtime)) as client:
            yield Refusing(client, issuer)
