"""Sending one sweep's claimed pointers: a lane per recipient, lanes side by side.

A recipient's pointers go one after another, in the order they were claimed (an edit follows
the message it edits). Different recipients' lanes run at the same time in a small pool, so a
concern to a 20-member network is not 20 platform round trips end to end. Rate limits stay
honoured: a notifier lets calls that share a platform bucket take turns and never makes one
before that bucket's Retry-After (bot/rate_gate.py), and a Retry-After pauses the platform for
every lane (the Throttle), whose rows are handed back unsent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from handlers.outbox.throttle import Throttle
from handlers.ports import Clock, Notifier, Pointer, RetryLater, SendResult, Sent, Undeliverable
from handlers.values import Platform

log = structlog.get_logger("flare.outbox")


@dataclass(frozen=True)
class Claim:
    message_id: str
    pointer: Pointer
    ambiguous: bool


Outcome = SendResult | datetime  # a datetime: handed back unsent, due again then


@dataclass
class LaneDone:
    """What one lane came to: each claim's outcome, and how many were found already landed."""

    outcomes: list[tuple[Claim, Outcome]] = field(default_factory=list)
    reconciled: int = 0


def send_claims(
    claims: Sequence[Claim],
    notifiers: Mapping[Platform, Notifier],
    clock: Clock,
    throttle: Throttle | None,
    senders: int,
) -> Iterator[LaneDone]:
    """Send every claim; yield each lane's outcomes as it finishes (`senders` lanes at once)."""
    if senders <= 1:
        for claim in claims:
            yield _run_lane([claim], notifiers, clock, throttle)
        return
    lanes: dict[tuple[Platform, str], list[Claim]] = {}
    for claim in claims:
        lanes.setdefault((claim.pointer.platform, claim.pointer.recipient_id), []).append(claim)
    if len(lanes) <= 1:
        yield from (_run_lane(lane, notifiers, clock, throttle) for lane in lanes.values())
        return
    workers = min(senders, len(lanes))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flare-send") as pool:
        futures = [
            pool.submit(_run_lane, lane, notifiers, clock, throttle) for lane in lanes.values()
        ]
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # its rows keep their lease and are reconciled after it
                log.warning("outbox.lane_raised", error=type(exc).__name__)


def _run_lane(
    lane: list[Claim],
    notifiers: Mapping[Platform, Notifier],
    clock: Clock,
    throttle: Throttle | None,
) -> LaneDone:
    done = LaneDone()
    for claim in lane:
        paused = throttle.paused_until(claim.pointer.platform, clock.now()) if throttle else None
        if paused is not None:
            done.outcomes.append((claim, paused))
        else:
            done.outcomes.append((claim, _send_paced(claim, notifiers, clock, throttle, done)))
    return done


def _send_paced(
    claim: Claim,
    notifiers: Mapping[Platform, Notifier],
    clock: Clock,
    throttle: Throttle | None,
    done: LaneDone,
) -> Outcome:
    """Send; on a Retry-After, pause the platform, and hand a plain 429's row back unsent
    (the platform's limit, not the row's fault: no attempt counted, due when the pause ends)."""
    result = _send(claim, notifiers, done)
    if throttle is None or not isinstance(result, RetryLater) or not result.after:
        return result
    until = clock.now() + timedelta(seconds=result.after)
    throttle.pause(claim.pointer.platform, until)
    return result if result.ambiguous else until


def _send(claim: Claim, notifiers: Mapping[Platform, Notifier], done: LaneDone) -> SendResult:
    notifier = notifiers.get(claim.pointer.platform)
    if notifier is None:
        return Undeliverable(f"no {claim.pointer.platform.value} notifier configured")
    try:
        if claim.ambiguous:
            ref = notifier.find(claim.pointer)
            if ref is not None:
                done.reconciled += 1
                return Sent(ref)
        return notifier.send(claim.pointer)
    except Exception as exc:  # a fault in find or send must neither lose the row nor stop the sweep
        log.warning("outbox.send_raised", error=type(exc).__name__)
        return RetryLater(type(exc).__name__, ambiguous=True)
