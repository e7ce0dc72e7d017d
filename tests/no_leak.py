"""One no-leak harness for every surface: what is captured, which needles, where they are sought.

The Slack, Teams, cross-platform, privacy and web suites drive their own flows (the Slack
modal, the Teams dialog, the web form) and end the same way:

    needles = canary_needles(*texts.values(), mark, nhs=nhs)
    assert_no_canary(needles, logs=captured_logs(logs), sent_to_teams=raw, audit=audit_text(u))

- Logs: the `debug_logs` fixture (tests/conftest.py) captures every standard-library logger
  and structlog, at DEBUG, as JSON; `captured_logs` reads it and checks the capture worked.
- Needles: each canary, and an NHS number both as typed and spaced 3-3-4.
- Places: any named text or bytes — log text, bytes sent to Slack or Teams, chat payloads,
  response bodies, audit rows, the database. A failure names the place, never prints it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from sqlalchemy import select

from store.models import AuditEvent
from store.unit_of_work import UnitOfWork


def canary_needles(*canaries: str, nhs: str | None = None) -> list[str]:
    """The canaries, and the NHS number as typed and as spaced 3-3-4."""
    needles = list(canaries)
    if nhs is not None:
        needles += [nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"]
    return needles


def captured_logs(logs: io.StringIO, *, expect: str | None = None) -> str:
    """Everything logged so far; `expect` is a line the flow must have logged (the control)."""
    text = logs.getvalue()
    assert text, "logs were captured"
    if expect is not None:
        assert expect in text, f"the capture works: {expect} was logged"
    return text


def audit_text(uow_factory: Callable[[], UnitOfWork]) -> str:
    """Every audit row's action, actor, subject and detail, one row a line."""
    with uow_factory() as uow:
        rows = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        return "\n".join(
            f"{r.action} {r.actor_id} {r.concern_id} {r.subject} {r.detail!r}" for r in rows
        )


def assert_no_canary(needles: Iterable[str], **places: str | bytes) -> None:
    """No needle in any place (log text, bytes sent, payloads, rows...), named by keyword."""
    for needle in needles:
        for place, haystack in places.items():
            if isinstance(haystack, bytes):
                leaked = needle.encode() in haystack
            else:
                leaked = needle in haystack
            assert not leaked, f"canary {needle!r} reached {place.replace('_', ' ')}"
