"""The partnership's settings as data: every routing cell, round trips, and the consumers."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from bot.web.admin_partnership import form_values
from handlers.follow_through.patterns import detect_patterns
from handlers.invalid import Invalid
from handlers.network.directory import ORG_KINDS
from handlers.network.routing import who_can_i_share_with
from handlers.partnership import (
    LEAD_AND_DEPUTY,
    PartnershipSettings,
    RoutingPolicy,
    RoutingRule,
    cell_name,
    change_partnership_settings,
    partnership_settings,
    settings_from_form,
)
from handlers.values import Category, Role, Severity
from tests.conftest import FakeClock, UowFactory
from tests.directory import seed_directory
from tests.follow.flows import raise_one

CELLS = list(itertools.product(Category, Severity))
CELL_IDS = [cell_name(c, s) for c, s in CELLS]
SCHOOLS = RoutingRule(frozenset({Role.MEMBER}), frozenset({"school"}))


@pytest.mark.parametrize(("category", "severity"), CELLS, ids=CELL_IDS)
def test_by_default_every_cell_goes_to_the_whole_network(
    category: Category, severity: Severity
) -> None:
    policy = RoutingPolicy()
    for kind in ORG_KINDS:
        for role in Role:
            assert policy.recommend(role, kind, category, severity)[0], (role, kind)


@pytest.mark.parametrize(("category", "severity"), CELLS, ids=CELL_IDS)
def test_each_cell_narrows_on_its_own_and_the_lead_and_deputy_always_receive(
    category: Category, severity: Severity
) -> None:
    only_lead = RoutingPolicy({cell_name(category, severity): LEAD_AND_DEPUTY})
    schools = RoutingPolicy(
        {
            cell_name(category, severity): RoutingRule(
                frozenset({Role.MEMBER}), frozenset({"school"})
            )
        }
    )
    assert only_lead.recommend(Role.LEAD, "health", category, severity)[0]
    assert only_lead.recommend(Role.DEPUTY, "housing", category, severity)[0]
    assert not only_lead.recommend(Role.MEMBER, "school", category, severity)[0]
    assert schools.recommend(Role.MEMBER, "school", category, severity) == (
        True,
        f"Relevant to {category.label.lower()}",
    )
    assert not schools.recommend(Role.MEMBER, "health", category, severity)[0]
    for other_category, other_severity in CELLS:
        if (other_category, other_severity) != (category, severity):
            assert only_lead.recommend(Role.MEMBER, "school", other_category, other_severity)[0]
    stored = PartnershipSettings.from_data({"routing": schools.to_data()})
    assert stored.routing == schools


def test_the_page_fields_round_trip_to_the_same_settings() -> None:
    settings = PartnershipSettings(
        deadlines={"immediate": "2h", "high": "eod", "medium": 3, "low": 10},
        bank_holiday_region="northern-ireland",
        retention_concerns_days=2000,
        retention_not_shared_days=400,
        pattern_window_days=14,
        routing=RoutingPolicy(
            {
                "neglect/low": LEAD_AND_DEPUTY,
                "health/medium": RoutingRule(frozenset({Role.MEMBER}), frozenset({"health"})),
            }
        ),
    )
    parsed = settings_from_form(form_values(settings), kinds=ORG_KINDS)
    assert parsed == settings
    assert PartnershipSettings.from_data(settings.to_data()) == settings
    assert settings_from_form(form_values(PartnershipSettings()), kinds=ORG_KINDS) == (
        PartnershipSettings()
    )


def test_bad_answers_name_their_fields() -> None:
    form = form_values(PartnershipSettings()) | {
        "deadline_low": "next week",
        "bank_holiday_region": "wales",
        "retention_concerns_days": "forever",
        "routing_housing_high": "police",
    }
    outcome = settings_from_form(form, kinds=ORG_KINDS)
    assert isinstance(outcome, Invalid)
    assert set(outcome.errors) == {
        "deadline_low",
        "bank_holiday_region",
        "retention_concerns_days",
        "routing_housing_high",
    }


def test_the_stored_routing_policy_is_what_the_raise_preview_reads(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:
        options = who_can_i_share_with(
            uow,
            raiser_id=d.people["amara"],
            client_id=d.clients["C-1001"],
            category=Category.HOUSING,
            severity=Severity.LOW,
        )
    assert options.recommended_ids == {d.people[p] for p in ("chloe", "erin", "dev")}
    with uow_factory() as uow:
        narrowed = replace(
            PartnershipSettings(), routing=RoutingPolicy({"housing/low": LEAD_AND_DEPUTY})
        )
        changed = change_partnership_settings(
            uow, actor_id=d.people["femi"], settings=narrowed, at=clock.now()
        )
        uow.commit()
    assert changed == ["routing"]
    with uow_factory() as uow:
        options = who_can_i_share_with(
            uow,
            raiser_id=d.people["amara"],
            client_id=d.clients["C-1001"],
            category=Category.HOUSING,
            severity=Severity.LOW,
        )
        assert options.recommended_ids == {d.people[p] for p in ("chloe", "erin")}
        assert partnership_settings(uow) == narrowed
        again = change_partnership_settings(
            uow, actor_id=d.people["femi"], settings=narrowed, at=clock.now()
        )
    assert again == []  # nothing changed: nothing stored, nothing audited


def test_the_weak_signal_window_comes_from_the_partnership(
    uow_factory: UowFactory, clock: FakeClock
) -> None:
    d = seed_directory(uow_factory, clock.now())
    with uow_factory() as uow:
        change_partnership_settings(
            uow,
            actor_id=d.people["femi"],
            settings=PartnershipSettings(pattern_window_days=2),
            at=clock.now(),
        )
        uow.commit()
    raise_one(uow_factory, clock, d, raiser="chloe", client="C-1002", key="a")
    raise_one(uow_factory, clock, d, raiser="dev", client="C-1002", key="b")
    clock.advance(days=3)
    raise_one(uow_factory, clock, d, raiser="ben", client="C-1002", key="c")
    assert detect_patterns(uow_factory, clock).alerts == 0  # 30 days would have alerted
    with uow_factory() as uow:
        change_partnership_settings(
            uow, actor_id=d.people["femi"], settings=PartnershipSettings(), at=clock.now()
        )
        uow.commit()
    assert detect_patterns(uow_factory, clock).alerts == 1
