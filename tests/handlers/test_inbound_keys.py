"""One derivation of inbound de-dup keys: Slack's guard and Teams' inbound record the same."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import Engine, select

from bot.slack.app import inbound_guard
from handlers.retention.inbound_keys import INBOUND_KEY_MAX, first_delivery, inbound_key
from handlers.values import Platform
from store.inbound_ledger import InboundLedger
from store.models import InboundEvent
from store.unit_of_work import UnitOfWork

PREFIX = "E" * 250  # two ids that agree on far more than the column holds


def _slack_event(guard: Callable[..., object], event_id: str) -> bool:
    """Whether Slack's guard let this event through to the listeners."""
    passed: list[bool] = []

    def next_() -> BoltResponse:
        passed.append(True)
        return BoltResponse(status=200, body="")

    request = BoltRequest(body={"event_id": event_id}, mode="socket_mode")
    guard(request, BoltResponse(status=200), next_)
    return bool(passed)


def _stored(uow_factory: Callable[[], UnitOfWork], platform: str) -> set[str]:
    with uow_factory() as uow:
        return set(
            uow.session.scalars(select(InboundEvent.key).where(InboundEvent.platform == platform))
        )


def test_long_slack_ids_that_share_a_prefix_are_two_deliveries(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    guard = inbound_guard(InboundLedger(engine, idle_seconds=0.5))
    assert _slack_event(guard, PREFIX + "-one")
    assert _slack_event(guard, PREFIX + "-two")  # truncated keys would drop this one
    assert not _slack_event(guard, PREFIX + "-one")  # a true retry is still dropped


def test_slack_and_teams_keys_are_derived_the_same_way(
    engine: Engine, uow_factory: Callable[[], UnitOfWork]
) -> None:
    guard = inbound_guard(InboundLedger(engine, idle_seconds=0.5))
    for raw in ("short-id", PREFIX):
        assert _slack_event(guard, raw)
        assert first_delivery(uow_factory(), platform=Platform.TEAMS, key=raw)
    slack = _stored(uow_factory, "slack")
    teams = _stored(uow_factory, Platform.TEAMS.value)
    assert slack == {inbound_key("event:short-id"), inbound_key("event:" + PREFIX)}
    assert teams == {inbound_key("short-id"), inbound_key(PREFIX)}
    assert all(len(key) <= INBOUND_KEY_MAX for key in slack | teams)
    assert inbound_key("short-id") == "short-id"
