"""Bot Framework JWT validation against a fake OpenID issuer over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bot.teams.auth import BotFrameworkAuth, SigningKeys, Unauthorized
from tests.teams.fake_openid import FakeOpenId, new_rsa_key, running_openid

APP_ID = "00000000-0000-0000-0000-00000000a11d"
SERVICE = "https://smba.trafficmanager.net/uk/"


class Ticker:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def issuer() -> Iterator[FakeOpenId]:
    with running_openid(APP_ID) as fake:
        yield fake


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def auth(issuer: FakeOpenId, ticker: Ticker) -> BotFrameworkAuth:
    keys = SigningKeys(issuer.metadata_url, cooldown=60, monotonic=ticker)
    return BotFrameworkAuth(app_id=APP_ID, keys=keys)


def verify(auth: BotFrameworkAuth, token: str, service_url: str = SERVICE) -> str:
    try:
        auth.verify(f"Bearer {token}", service_url=service_url, channel_id="msteams")
    except Unauthorized as exc:
        return exc.reason
    return "ok"


def test_a_token_signed_by_the_issuer_is_accepted(
    auth: BotFrameworkAuth, issuer: FakeOpenId
) -> None:
    identity = auth.verify(
        f"Bearer {issuer.token(SERVICE)}", service_url=SERVICE, channel_id="msteams"
    )
    assert identity.service_url == SERVICE
    assert identity.claims["aud"] == APP_ID
    assert (issuer.metadata_hits, issuer.jwks_hits) == (1, 1)


def test_keys_are_cached_between_requests(auth: BotFrameworkAuth, issuer: FakeOpenId) -> None:
    for _ in range(5):
        assert verify(auth, issuer.token(SERVICE)) == "ok"
    assert issuer.jwks_hits == 1


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda f: f.token(SERVICE, iss="https://sts.windows.net/evil/"), "issuer"),
        (lambda f: f.token(SERVICE, aud="another-bot"), "audience"),
        (
            lambda f: f.token(SERVICE, exp=int(time.time()) - 301, nbf=int(time.time()) - 4000),
            "expired",
        ),
        (lambda f: f.token(SERVICE, nbf=int(time.time()) + 900), "not_yet_valid"),
        (lambda f: f.token(SERVICE, kid="kid-nobody-published", key=new_rsa_key()), "unknown_key"),
        (lambda f: f.token(SERVICE, algorithm="none"), "algorithm"),
        (lambda f: f.token(SERVICE, algorithm="HS256"), "algorithm"),
        (lambda f: f.token(SERVICE, key=new_rsa_key()), "signature"),
        (lambda f: f.token("https://evil.example/"), "service_url"),
        (lambda f: f.token(SERVICE, serviceUrl=None), "service_url"),
        (lambda f: f.token(SERVICE, exp=None), "missing_claim"),
        (lambda f: f.token(SERVICE)[:-6] + "AAAAAA", "signature"),
        (lambda f: "not-a-jwt", "malformed"),
    ],
    ids=[
        "wrong-issuer",
        "wrong-audience",
        "expired",
        "not-yet-valid",
        "unknown-kid",
        "alg-none",
        "alg-hs256",
        "other-key",
        "mismatched-service-url",
        "no-service-url",
        "no-exp",
        "tampered",
        "garbage",
    ],
)
def test_forged_tokens_are_refused(
    auth: BotFrameworkAuth, issuer: FakeOpenId, forge: Callable[[FakeOpenId], str], reason: str
) -> None:
    assert verify(auth, forge(issuer)) == reason


def test_within_five_minutes_of_skew_is_accepted(
    auth: BotFrameworkAuth, issuer: FakeOpenId
) -> None:
    now = int(time.time())
    assert verify(auth, issuer.token(SERVICE, exp=now - 200, nbf=now + 200)) == "ok"


def test_missing_or_wrong_scheme_is_refused(auth: BotFrameworkAuth, issuer: FakeOpenId) -> None:
    for header in (None, "", issuer.token(SERVICE), f"Basic {issuer.token(SERVICE)}", "Bearer "):
        with pytest.raises(Unauthorized):
            auth.verify(header, service_url=SERVICE, channel_id="msteams")


def test_a_key_not_endorsed_for_the_channel_is_refused(
    auth: BotFrameworkAuth, issuer: FakeOpenId
) -> None:
    issuer.endorsements = ["skype"]
    token = issuer.token(SERVICE)
    with pytest.raises(Unauthorized) as refused:
        auth.verify(f"Bearer {token}", service_url=SERVICE, channel_id="msteams")
    assert refused.value.reason == "not_endorsed"


def test_an_unknown_kid_fetches_the_keys_again_once(
    auth: BotFrameworkAuth, issuer: FakeOpenId, ticker: Ticker
) -> None:
    assert verify(auth, issuer.token(SERVICE)) == "ok"
    ticker.at += 120
    issuer.rotate()  # the Bot Connector rolled its key
    assert verify(auth, issuer.token(SERVICE)) == "ok"
    assert issuer.jwks_hits == 2


def test_unknown_kids_cannot_make_it_hammer_the_metadata_host(
    auth: BotFrameworkAuth, issuer: FakeOpenId, ticker: Ticker
) -> None:
    assert verify(auth, issuer.token(SERVICE)) == "ok"
    for n in range(20):
        forged = issuer.token(SERVICE, kid=f"made-up-{n}", key=new_rsa_key())
        assert verify(auth, forged) == "unknown_key"
    assert issuer.jwks_hits == 1  # inside the cool-down: no fetch at all
    ticker.at += 61
    assert verify(auth, issuer.token(SERVICE, kid="made-up-x", key=new_rsa_key())) == (
        "unknown_key"
    )
    assert issuer.jwks_hits == 2
    # A genuine rotation right after is refused until the cool-down ends, then accepted.
    issuer.rotate()
    assert verify(auth, issuer.token(SERVICE)) == "unknown_key"
    ticker.at += 61
    assert verify(auth, issuer.token(SERVICE)) == "ok"


def test_keys_are_refreshed_after_a_day(
    auth: BotFrameworkAuth, issuer: FakeOpenId, ticker: Ticker
) -> None:
    assert verify(auth, issuer.token(SERVICE)) == "ok"
    ticker.at += 24 * 3600 + 1
    assert verify(auth, issuer.token(SERVICE)) == "ok"
    assert issuer.jwks_hits == 2


def test_an_unreachable_issuer_refuses_everything() -> None:
    keys = SigningKeys("http://127.0.0.1:9/nothing-here", cooldown=60)
    auth = BotFrameworkAuth(app_id=APP_ID, keys=keys)
    fake = FakeOpenId(APP_ID)
    assert verify(auth, fake.token(SERVICE)) == "unknown_key"
