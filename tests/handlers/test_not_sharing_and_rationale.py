"""Golden rule 7 and the sharing rationale: a decision not to share is seen by its raiser, their
organisation's safeguarding lead and DPO (as they are now), never by the network; a health
concern needs an Article 9 condition; every recipient is told why they were chosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from handlers.concern.answers import SPECIAL_CATEGORY_NEEDED, RaiseAnswers, to_command
from handlers.concern.chronology import ChronologyFilters, chronology
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import Raised, raise_concern
from handlers.concern.submission import preview_raise
from handlers.concern.viewing import NoAccess, view_concern
from handlers.deadlines import WorkingCalendar
from handlers.invalid import Invalid
from handlers.network.access import may_read, may_show
from handlers.outbox.pointer_words import describe
from handlers.partnership import (
    LEAD_AND_DEPUTY,
    PartnershipSettings,
    RoutingPolicy,
    cell_name,
    change_partnership_settings,
)
from handlers.ports import Pointer
from handlers.values import (
    Category,
    ChosenBecause,
    Platform,
    PointerKind,
    Severity,
    SharingDecision,
    SpecialCategoryCondition,
)
from store.models import Organisation
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.raising import raise_command

Factory = Callable[[], UnitOfWork]
REASON = "Spoke to our safeguarding lead; the worry was explained at home"
ROLES = ("safeguarding_lead_id", "dpo_id")


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _name_role(uow_factory: Factory, d: Directory, role: str, person: str | None) -> None:
    """Riverside (Amara's organisation) names `person` its safeguarding lead or DPO."""
    with uow_factory() as uow:
        riverside = uow.directory.organisation_by_ref("riverside-cc")
        assert isinstance(riverside, Organisation)
        setattr(riverside, role, d.people[person] if person else None)
        uow.commit()


def _decide(uow_factory: Factory, d: Directory, clock: FakeClock, client: str = "C-1003") -> str:
    """Amara (Riverside) records a decision not to share about `client`."""
    cmd = raise_command(d, client=client, key=f"not-{client}", not_sharing_reason=REASON)
    outcome = record_decision_not_to_share(cmd, uow=uow_factory(), clock=clock)
    assert isinstance(outcome, DecisionRecorded), outcome
    return outcome.concern_id


def _sees(uow_factory: Factory, clock: FakeClock, concern_id: str, person_id: str) -> bool:
    try:
        view = view_concern(
            uow_factory(), concern_id=concern_id, practitioner_id=person_id, clock=clock
        )
    except NoAccess:
        return False
    assert view.not_sharing_reason == REASON and view.rationale == ""
    return True


@pytest.mark.parametrize("role", ROLES)
def test_a_decision_not_to_share_is_seen_by_the_raiser_their_safeguarding_lead_and_dpo_only(
    uow_factory: Factory, clock: FakeClock, directory: Directory, role: str
) -> None:
    _name_role(uow_factory, directory, role, "ben")
    concern_id = _decide(uow_factory, directory, clock)
    people = directory.people
    seen = {ref for ref in people if _sees(uow_factory, clock, concern_id, people[ref])}
    # Ben leads C-1003's network too: he sees it for his role in Riverside, not for that.
    assert seen == {"amara", "ben"}
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        assert not may_read(uow, people["ben"], concern)  # he cannot act on it as a recipient
        assert may_show(uow, people["ben"], concern)
        assert not may_show(uow, people["erin"], concern)  # in the network, told nothing


def test_who_oversees_a_decision_follows_the_present(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    concern_id = _decide(uow_factory, directory, clock, client="C-1001")
    ben = directory.people["ben"]
    assert not _sees(uow_factory, clock, concern_id, ben)  # named after it was recorded:
    _name_role(uow_factory, directory, "dpo_id", "ben")
    assert _sees(uow_factory, clock, concern_id, ben)  # ... and sees it from then on
    _name_role(uow_factory, directory, "dpo_id", None)
    assert not _sees(uow_factory, clock, concern_id, ben)  # no longer the DPO: nothing
    _name_role(uow_factory, directory, "safeguarding_lead_id", "ben")
    with uow_factory() as uow:
        person = uow.directory.practitioner(ben)
        assert person is not None
        person.active = False
        uow.commit()
    assert not _sees(uow_factory, clock, concern_id, ben)  # a leaver reads nothing


def test_the_decision_is_in_the_clients_record_for_the_safeguarding_lead_not_the_network(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    _name_role(uow_factory, directory, "safeguarding_lead_id", "ben")
    concern_id = _decide(uow_factory, directory, clock)
    client = directory.clients["C-1003"]

    def record(ref: str) -> dict[str, str]:
        shown = chronology(
            uow_factory(),
            client_id=client,
            practitioner_id=directory.people[ref],
            filters=ChronologyFilters(),
            clock=clock,
        )
        return {e.concern_id: e.text for e in shown.events}

    assert record("ben")[concern_id] == "Always hungry at pick-up"
    assert record("amara")[concern_id] == "Always hungry at pick-up"
    assert concern_id not in record("erin")  # a network member, told nothing


def test_deciding_not_to_share_asks_its_own_reasons_and_no_rationale(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    bare = raise_command(directory, key="bare", rationale="", not_sharing_reason="")
    refused = record_decision_not_to_share(bare, uow=uow_factory(), clock=clock)
    assert isinstance(refused, Invalid)
    assert set(refused.errors) == {"not_sharing_reason"}
    sharing = raise_concern(bare, uow_factory(), clock, WorkingCalendar.uk())
    assert isinstance(sharing, Invalid) and set(sharing.errors) == {"rationale"}


def test_step_one_does_not_ask_why_sharing_is_necessary(
    uow_factory: Factory, directory: Directory
) -> None:
    answers = RaiseAnswers(
        client=directory.clients["C-1001"],
        category="neglect",
        severity="high",
        noticed="Hungry",
        family_informed="yes",
        lawful_basis="public_task",
        submission_key="step-one",
    )
    form = preview_raise(uow_factory(), answers, raiser_id=directory.people["amara"])
    assert form.ready, form.errors
    cmd, errors = to_command(
        replace(answers, decision="not_share"), directory.people["amara"], with_recipients=False
    )
    assert not errors and cmd.decision is SharingDecision.NOT_SHARE
    assert to_command(replace(answers, decision="maybe"), "p", with_recipients=False)[1] == {
        "decision": "Choose whether to share it"
    }


def test_a_health_concern_needs_an_article_9_condition_which_recipients_see(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    health = raise_command(directory, key="health", category=Category.HEALTH)
    refused = raise_concern(health, uow_factory(), clock, WorkingCalendar.uk())
    assert isinstance(refused, Invalid)
    assert refused.errors == {"special_category": SPECIAL_CATEGORY_NEEDED}
    condition = SpecialCategoryCondition.SAFEGUARDING
    raised = raise_concern(
        replace(health, special_category=condition), uow_factory(), clock, WorkingCalendar.uk()
    )
    assert isinstance(raised, Raised)
    view = view_concern(
        uow_factory(),
        concern_id=raised.concern_id,
        practitioner_id=directory.people["chloe"],
        clock=clock,
    )
    assert view.special_category is condition
    assert "Sch 1 para 18" in condition.label and "9(2)(g)" in condition.label


def test_each_recipient_is_told_why_they_were_chosen(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    only_leads = RoutingPolicy({cell_name(Category.NEGLECT, Severity.HIGH): LEAD_AND_DEPUTY})
    with uow_factory() as uow:
        change_partnership_settings(
            uow,
            actor_id=directory.people["femi"],
            settings=PartnershipSettings(routing=only_leads),
            at=clock.now(),
        )
        uow.commit()
    people = directory.people
    cmd = raise_command(
        directory,
        key="why",
        recipients=[people["chloe"], people["erin"], people["dev"]],
        narrowing_reason="Dev sees him every morning",
    )
    raised = raise_concern(cmd, uow_factory(), clock, WorkingCalendar.uk())
    assert isinstance(raised, Raised), raised
    with uow_factory() as uow:
        chosen = {
            d.recipient_id: d.chosen_because for d in uow.concerns.deliveries(raised.concern_id)
        }
    assert chosen == {
        people["amara"]: None,  # the raiser's own delivery
        people["chloe"]: ChosenBecause.LEAD,
        people["erin"]: ChosenBecause.DEPUTY,
        people["dev"]: ChosenBecause.RAISER_CHOSE,
    }
    dev = view_concern(
        uow_factory(), concern_id=raised.concern_id, practitioner_id=people["dev"], clock=clock
    )
    assert dev.viewer_chosen is ChosenBecause.RAISER_CHOSE
    assert dev.narrowing_reason == "Dev sees him every morning"
    assert {r.chosen for r in dev.recipients} == {
        ChosenBecause.LEAD,
        ChosenBecause.DEPUTY,
        ChosenBecause.RAISER_CHOSE,
    }


def test_a_pointer_says_why_you_were_chosen_without_content(clock: FakeClock) -> None:
    pointer = Pointer(
        kind=PointerKind.NEW_CONCERN,
        recipient_id="a" * 32,
        platform=Platform.SLACK,
        idempotency_key="k1",
        chosen=ChosenBecause.LEAD,
    )
    lines = describe(pointer, clock.now()).lines
    assert "You were chosen: lead professional for this client" in lines
    with pytest.raises(TypeError):
        Pointer(
            kind=PointerKind.NEW_CONCERN,
            recipient_id="a" * 32,
            platform=Platform.SLACK,
            idempotency_key="k1",
            chosen="anything typed",  # type: ignore[arg-type]
        )
