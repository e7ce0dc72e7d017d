"""Acknowledge-by deadlines in working time (Monday to Friday, 09:00-17:00, UK holidays).

Bank holidays come from `govuk-bank-holidays`' bundled copy of the GOV.UK list (no network
call at start-up); England and Wales by default, Scotland or Northern Ireland by setting or
per organisation (`Organisation.policy["bank_holiday_region"]`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from handlers.values import Severity

LONDON = ZoneInfo("Europe/London")
REGIONS = ("england-and-wales", "scotland", "northern-ireland")


@cache
def uk_bank_holidays(region: str = "england-and-wales") -> frozenset[date]:
    """The GOV.UK bank holidays of one region, from the package's bundled list."""
    if region not in REGIONS:
        raise ValueError(f"bank holiday region must be one of {', '.join(REGIONS)}")
    from govuk_bank_holidays.bank_holidays import BankHolidays

    holidays = BankHolidays(use_cached_holidays=True).get_holidays(division=region)
    return frozenset(h["date"] for h in holidays)


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: Collection[date] = field(default_factory=frozenset)
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    zone: ZoneInfo = LONDON

    region: str = ""

    @classmethod
    def uk(cls, region: str = "england-and-wales") -> WorkingCalendar:
        return cls(holidays=uk_bank_holidays(region), region=region)

    def for_policy(self, policy: Mapping[str, object] | None) -> WorkingCalendar:
        """This calendar, or an organisation's own region when its policy names one."""
        region = (policy or {}).get("bank_holiday_region")
        if not isinstance(region, str) or not region or region == self.region:
            return self
        return replace(self, holidays=uk_bank_holidays(region), region=region)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, self.day_end, self.zone)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """Same local time `days` working days later; out-of-hours starts count from 09:00."""
        local = moment.astimezone(self.zone)
        day, at = local.date(), local.time()
        if not self.is_working_day(day) or at >= self.day_end:
            day, at = self.next_working_day(day), self.day_start
        elif at < self.day_start:
            at = self.day_start
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, at, self.zone)

    def end_of_working_day(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.zone)
        day = local.date()
        if not self.is_working_day(day) or local.time() >= self.day_end:
            day = self.next_working_day(day)
        return self.end_of(day)


DEFAULT_POLICY: dict[str, int | str] = {
    Severity.IMMEDIATE: "1h",
    Severity.HIGH: "eod",
    Severity.MEDIUM: 2,
    Severity.LOW: 5,
}


def acknowledge_by(
    severity: Severity,
    raised_at: datetime,
    calendar: WorkingCalendar,
    policy: dict[str, int | str] | None = None,
) -> datetime:
    rule = (policy or DEFAULT_POLICY).get(severity, DEFAULT_POLICY[severity])
    if isinstance(rule, str) and rule.endswith("h") and rule[:-1].isdigit():
        return raised_at + timedelta(hours=int(rule[:-1]))
    if rule == "eod":
        return calendar.end_of_working_day(raised_at)
    if isinstance(rule, int):
        return calendar.add_working_days(raised_at, rule)
    raise ValueError(f"unknown deadline rule for {severity.value}")


def organisation_deadline(
    severity: Severity,
    at: datetime,
    calendar: WorkingCalendar,
    organisation_policy: Mapping[str, object] | None,
) -> datetime:
    """`acknowledge_by` under an organisation's own deadlines and bank holiday region."""
    policy = organisation_policy or {}
    deadlines = policy.get("deadlines")
    return acknowledge_by(
        severity,
        at,
        calendar.for_policy(policy),
        deadlines if isinstance(deadlines, dict) else None,
    )
