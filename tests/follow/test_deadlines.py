"""Acknowledge-by in working time with GOV.UK bank holidays, on the real clock (time-machine)."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from bot.runtime import SystemClock
from handlers.deadlines import (
    LONDON,
    WorkingCalendar,
    acknowledge_by,
    organisation_deadline,
    uk_bank_holidays,
)
from handlers.values import Severity
from store.models import Concern
from tests.conftest import UowFactory
from tests.directory import seed_directory
from tests.follow.flows import raise_one


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


ENGLAND = WorkingCalendar.uk()

CASES = [
    # (raised, severity, expected) — 2026/27, England and Wales
    (_at(2026, 12, 18, 15, 0), Severity.MEDIUM, _at(2026, 12, 22, 15, 0)),  # over a weekend
    # Christmas Day (Fri), weekend, Boxing Day substitute (Mon 28th) are all skipped
    (_at(2026, 12, 24, 16, 0), Severity.MEDIUM, _at(2026, 12, 30, 16, 0)),
    (_at(2026, 12, 24, 17, 30), Severity.HIGH, _at(2026, 12, 29, 17, 0)),  # after hours
    (_at(2026, 12, 26, 11, 0), Severity.HIGH, _at(2026, 12, 29, 17, 0)),  # Saturday
    (_at(2026, 12, 24, 22, 0), Severity.IMMEDIATE, _at(2026, 12, 24, 23, 0)),  # clock time
    # Easter: Good Friday 3 April and Easter Monday 6 April
    (_at(2026, 4, 2, 10, 0), Severity.LOW, _at(2026, 4, 13, 10, 0)),
    (_at(2026, 4, 2, 7, 0), Severity.MEDIUM, _at(2026, 4, 8, 9, 0)),  # before hours: from 09:00
    # across the end of British Summer Time: local time is kept
    (_at(2026, 10, 23, 10, 0), Severity.MEDIUM, _at(2026, 10, 27, 10, 0)),
]


@pytest.mark.parametrize(("raised", "severity", "expected"), CASES)
def test_deadline_in_working_time(raised: datetime, severity: Severity, expected: datetime) -> None:
    with time_machine.travel(raised, tick=False):
        now = SystemClock().now()
        assert acknowledge_by(severity, now, ENGLAND) == expected


def test_bank_holidays_come_from_govuk_list_per_region() -> None:
    england = uk_bank_holidays("england-and-wales")
    scotland = uk_bank_holidays("scotland")
    assert _at(2026, 12, 25, 0, 0).date() in england
    assert _at(2027, 1, 4, 0, 0).date() in scotland - england  # 2 January, substituted
    with pytest.raises(ValueError, match="region"):
        uk_bank_holidays("wales")


def test_organisation_policy_overrides_deadlines_and_region() -> None:
    raised = _at(2026, 12, 31, 10, 0)
    assert organisation_deadline(Severity.MEDIUM, raised, ENGLAND, None) == _at(2027, 1, 5, 10, 0)
    scottish = {"bank_holiday_region": "scotland"}
    assert organisation_deadline(Severity.MEDIUM, raised, ENGLAND, scottish) == _at(
        2027, 1, 6, 10, 0
    )
    faster = {"deadlines": {"medium": 1, "high": "4h"}}
    assert organisation_deadline(Severity.MEDIUM, raised, ENGLAND, faster) == _at(2027, 1, 4, 10, 0)
    assert organisation_deadline(Severity.HIGH, raised, ENGLAND, faster) == _at(2026, 12, 31, 14, 0)


def test_acknowledge_by_is_set_at_raise_from_the_raisers_organisation(
    uow_factory: UowFactory,
) -> None:
    with time_machine.travel(_at(2026, 12, 24, 16, 0), tick=False):
        clock = SystemClock()
        d = seed_directory(uow_factory, clock.now())
        with uow_factory() as uow:
            org = uow.directory.organisation_by_ref("riverside-cc")
            assert org is not None
            org.policy = {"deadlines": {"medium": 3}}
            uow.commit()
        concern_id = raise_one(uow_factory, clock, d, severity=Severity.MEDIUM)
        with uow_factory() as uow:
            concern = uow.session.get(Concern, concern_id)
            assert concern is not None
            assert concern.acknowledge_by == _at(2026, 12, 31, 16, 0)
