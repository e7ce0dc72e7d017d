"""The partnership's settings, as data a partnership admin edits (one home for each).

Deadlines per severity, the bank-holiday region, retention periods, the weak-signal window
and the routing policy. Stored sparsely (`uow.partnership`): a setting nobody changed keeps
its default, which is today's behaviour — the deployment's FLARE_BANK_HOLIDAY_REGION and
FLARE_PATTERN_WINDOW_DAYS, each organisation's own retention period, DEFAULT_POLICY's
deadlines, and a routing policy that sends every concern to the whole network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.deadlines import DEFAULT_POLICY, REGIONS
from handlers.invalid import Invalid
from handlers.values import Category, ChosenBecause, Role, Severity
from store.models import Organisation
from store.unit_of_work import UnitOfWork

ANY_KIND = "*"
DeadlineRule = int | str


@dataclass(frozen=True)
class RoutingRule:
    """Who receives by default beyond the lead and deputy (who always do).

    A member receives when their network role is in `roles` and their organisation's kind is
    in `kinds` (`*`: any kind). No roles: the lead and deputy only.
    """

    roles: frozenset[Role] = frozenset({Role.MEMBER})
    kinds: frozenset[str] = frozenset({ANY_KIND})

    def receives(self, role: Role, org_kind: str) -> bool:
        if role in (Role.LEAD, Role.DEPUTY):
            return True
        return role in self.roles and (ANY_KIND in self.kinds or org_kind in self.kinds)

    def to_data(self) -> dict[str, list[str]]:
        return {"roles": sorted(r.value for r in self.roles), "kinds": sorted(self.kinds)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RoutingRule:
        return cls(
            roles=frozenset(Role(r) for r in data.get("roles", ())),
            kinds=frozenset(str(k) for k in data.get("kinds", ())),
        )


EVERYONE = RoutingRule()
LEAD_AND_DEPUTY = RoutingRule(roles=frozenset(), kinds=frozenset())


def cell_name(category: Category, severity: Severity) -> str:
    return f"{category.value}/{severity.value}"


@dataclass(frozen=True)
class RoutingPolicy:
    """Each category and severity to the roles and organisation kinds that receive by default."""

    rules: Mapping[str, RoutingRule] = field(default_factory=dict)

    def rule(self, category: Category, severity: Severity) -> RoutingRule:
        return self.rules.get(cell_name(category, severity), EVERYONE)

    def because(
        self, role: Role, org_kind: str, category: Category, severity: Severity
    ) -> ChosenBecause | None:
        """Why this member receives by default (a closed reason); None when they do not."""
        if role in (Role.LEAD, Role.DEPUTY):
            return ChosenBecause.LEAD if role is Role.LEAD else ChosenBecause.DEPUTY
        rule = self.rule(category, severity)
        if not rule.receives(role, org_kind):
            return None
        return ChosenBecause.WHOLE_NETWORK if ANY_KIND in rule.kinds else ChosenBecause.RELEVANT

    def recommend(
        self, role: Role, org_kind: str, category: Category, severity: Severity
    ) -> tuple[bool, str]:
        """Whether this member receives by default, and why (shown in the raise preview)."""
        because = self.because(role, org_kind, category, severity)
        words = {
            None: "Not needed for this category and severity",
            ChosenBecause.LEAD: "Leads the network",
            ChosenBecause.DEPUTY: "Deputises for the lead",
            ChosenBecause.WHOLE_NETWORK: "This category and severity go to the whole network",
            ChosenBecause.RELEVANT: f"Relevant to {category.label.lower()}",
        }
        return because is not None, words[because]

    def to_data(self) -> dict[str, dict[str, list[str]]]:
        return {name: rule.to_data() for name, rule in sorted(self.rules.items())}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RoutingPolicy:
        known = {cell_name(c, s) for c in Category for s in Severity}
        return cls({k: RoutingRule.from_data(v) for k, v in data.items() if k in known})


@dataclass(frozen=True)
class PartnershipSettings:
    """The partnership's settings; None means "not set here" (the deployment's default)."""

    deadlines: Mapping[str, DeadlineRule] = field(default_factory=lambda: dict(DEFAULT_POLICY))
    bank_holiday_region: str | None = None
    retention_concerns_days: int | None = None
    retention_not_shared_days: int | None = None
    pattern_window_days: int | None = None
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)

    def to_data(self) -> dict[str, Any]:
        """The settings as stored values, one per name (what the audit's before/after shows)."""
        return {
            "deadlines": {s.value: self.deadlines[s.value] for s in Severity},
            "bank_holiday_region": self.bank_holiday_region,
            "retention_concerns_days": self.retention_concerns_days,
            "retention_not_shared_days": self.retention_not_shared_days,
            "pattern_window_days": self.pattern_window_days,
            "routing": self.routing.to_data(),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PartnershipSettings:
        deadlines = dict(DEFAULT_POLICY)
        for severity, rule in (data.get("deadlines") or {}).items():
            if severity in deadlines and parse_deadline(str(rule)) is not None:
                deadlines[severity] = rule
        region = data.get("bank_holiday_region")

        def days(name: str) -> int | None:
            value = data.get(name)
            return value if isinstance(value, int) and value > 0 else None

        return cls(
            deadlines=deadlines,
            bank_holiday_region=region if region in REGIONS else None,
            retention_concerns_days=days("retention_concerns_days"),
            retention_not_shared_days=days("retention_not_shared_days"),
            pattern_window_days=days("pattern_window_days"),
            routing=RoutingPolicy.from_data(data.get("routing") or {}),
        )


def parse_deadline(text: str) -> DeadlineRule | None:
    """A deadline rule as typed: "1h" (hours), "eod" (end of working day), "2" (working days)."""
    text = text.strip().lower()
    if text == "eod" or (text.endswith("h") and text[:-1].isdigit() and int(text[:-1]) > 0):
        return text
    if text.isdigit() and 0 < int(text) <= 60:
        return int(text)
    return None


def partnership_settings(uow: UnitOfWork) -> PartnershipSettings:
    """The partnership's settings now (defaults for anything nobody changed)."""
    return PartnershipSettings.from_data(uow.partnership.values())


def routing_policy(uow: UnitOfWork) -> RoutingPolicy:
    return partnership_settings(uow).routing


def deadline_policy(uow: UnitOfWork, organisation: Organisation | None) -> dict[str, object]:
    """What `organisation_deadline` reads: the partnership's deadlines and bank-holiday region,
    under an organisation's own policy where it names one."""
    settings = partnership_settings(uow)
    policy: dict[str, object] = {"deadlines": dict(settings.deadlines)}
    if settings.bank_holiday_region:
        policy["bank_holiday_region"] = settings.bank_holiday_region
    own = dict(organisation.policy or {}) if organisation is not None else {}
    return {**policy, **own}


def retention_days(uow: UnitOfWork, organisation: Organisation, *, not_shared: bool) -> int:
    """How long an organisation's concerns (or decisions not to share) are kept, in days."""
    settings = partnership_settings(uow)
    days = settings.retention_not_shared_days if not_shared else settings.retention_concerns_days
    return days if days is not None else organisation.retention_days


def change_partnership_settings(
    uow: UnitOfWork, *, actor_id: str, settings: PartnershipSettings, at: datetime
) -> list[str]:
    """Store the settings that changed, each audited with its before and after value."""
    before = partnership_settings(uow).to_data()
    changed = []
    for name, value in settings.to_data().items():
        if value == before[name]:
            continue
        uow.partnership.put(name, value, at=at)
        uow.audit(
            "partnership.setting_changed",
            at=at,
            actor_id=actor_id,
            subject=name,
            detail={"before": before[name], "after": value},
        )
        changed.append(name)
    return changed


def cell_text(rule: RoutingRule) -> str:
    """A routing cell as the partnership page shows it: all, none, or organisation kinds."""
    if not rule.roles or not rule.kinds:
        return "none"
    if ANY_KIND in rule.kinds:
        return "all"
    return ", ".join(sorted(rule.kinds))


def _cell(text: str, kinds: tuple[str, ...]) -> RoutingRule | None:
    words = [w for w in re.split(r"[\s,;]+", text.strip().lower()) if w]
    if words in ([], ["all"]):
        return EVERYONE
    if words == ["none"]:
        return LEAD_AND_DEPUTY
    if not set(words) <= set(kinds):
        return None
    return RoutingRule(roles=frozenset({Role.MEMBER}), kinds=frozenset(words))


def _days(text: str) -> int | Invalid | None:
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and 0 < int(text) <= 100 * 366:
        return int(text)
    return Invalid()


def settings_from_form(
    form: Mapping[str, str], *, kinds: tuple[str, ...]
) -> PartnershipSettings | Invalid:
    """The partnership page's answers as settings; every bad answer is a field error."""
    errors: dict[str, str] = {}
    deadlines: dict[str, DeadlineRule] = {}
    for severity in Severity:
        rule = parse_deadline(form.get(f"deadline_{severity.value}", ""))
        if rule is None:
            errors[f"deadline_{severity.value}"] = (
                f"{severity.label}: enter hours like 1h, eod, or working days like 2"
            )
        else:
            deadlines[severity.value] = rule
    region = form.get("bank_holiday_region", "").strip()
    if region and region not in REGIONS:
        errors["bank_holiday_region"] = "Choose England and Wales, Scotland or Northern Ireland"
    numbers: dict[str, int | None] = {}
    for name in ("retention_concerns_days", "retention_not_shared_days", "pattern_window_days"):
        value = _days(form.get(name, ""))
        if isinstance(value, Invalid):
            errors[name] = "Enter a whole number of days, or leave it empty for the default"
        else:
            numbers[name] = value
    rules: dict[str, RoutingRule] = {}
    for category in Category:
        for severity in Severity:
            name = cell_name(category, severity)
            rule_or_none = _cell(form.get(f"routing_{category.value}_{severity.value}", ""), kinds)
            if rule_or_none is None:
                errors[f"routing_{category.value}_{severity.value}"] = (
                    f"{category.label}, {severity.label}: enter all, none, or organisation "
                    f"kinds from: {', '.join(kinds)}"
                )
            elif rule_or_none != EVERYONE:
                rules[name] = rule_or_none
    if errors:
        return Invalid(errors)
    return PartnershipSettings(
        deadlines=deadlines,
        bank_holiday_region=region or None,
        routing=RoutingPolicy(rules),
        **numbers,
    )
