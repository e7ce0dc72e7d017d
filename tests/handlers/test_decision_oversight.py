"""Who finds a decision not to share: its raiser, their organisation's safeguarding lead and DPO
see it in the client's record (even from outside the network) and in their list of decisions;
the network never does, and nobody sees anything about other clients or concerns there."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.concern.chronology import Chronology, ChronologyFilters, chronology
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.oversight import DECISIONS_PAGE, decisions_to_oversee, oversight_pages
from handlers.concern.raising import Raised, raise_concern
from handlers.deadlines import WorkingCalendar
from handlers.network.access import decisions_overseen
from handlers.network.routing import NotInNetwork
from store.models import AuditEvent, Organisation
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.raising import raise_command

Factory = Callable[[], UnitOfWork]
ROLES = ("safeguarding_lead_id", "dpo_id")


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _name(uow_factory: Factory, org_ref: str, role: str, person_id: str | None) -> None:
    with uow_factory() as uow:
        org = uow.directory.organisation_by_ref(org_ref)
        assert isinstance(org, Organisation)
        setattr(org, role, person_id)
        uow.commit()


def _decide(
    uow_factory: Factory, d: Directory, clock: FakeClock, *, raiser: str, client: str
) -> str:
    cmd = raise_command(
        d, raiser=raiser, client=client, key=f"{raiser}-{client}", not_sharing_reason="Advised"
    )
    outcome = record_decision_not_to_share(cmd, uow=uow_factory(), clock=clock)
    assert isinstance(outcome, DecisionRecorded), outcome
    return outcome.concern_id


def _record(uow_factory: Factory, d: Directory, clock: FakeClock, ref: str) -> Chronology:
    return chronology(
        uow_factory(),
        client_id=d.clients["C-1001"],
        practitioner_id=d.people[ref],
        filters=ChronologyFilters(),
        clock=clock,
    )


@pytest.fixture
def world(uow_factory: Factory, clock: FakeClock, directory: Directory) -> dict[str, str]:
    """About C-1001 (Ben is not in its network): Amara (Riverside) decides not to share,
    Dev (Oakfield) decides not to share, and Chloe raises and shares a concern."""
    shared = raise_concern(
        raise_command(directory, raiser="chloe", key="shared"),
        uow_factory(),
        clock,
        WorkingCalendar.uk(),
    )
    assert isinstance(shared, Raised), shared
    return {
        "amara": _decide(uow_factory, directory, clock, raiser="amara", client="C-1001"),
        "dev": _decide(uow_factory, directory, clock, raiser="dev", client="C-1001"),
        "shared": shared.concern_id,
    }


@pytest.mark.parametrize("role", ROLES)
def test_a_safeguarding_lead_or_dpo_outside_the_network_sees_only_their_decisions_in_the_record(
    uow_factory: Factory,
    clock: FakeClock,
    directory: Directory,
    world: dict[str, str],
    role: str,
) -> None:
    _name(uow_factory, "riverside-cc", role, directory.people["ben"])
    view = _record(uow_factory, directory, clock, "ben")
    assert not view.in_network
    assert [e.concern_id for e in view.events] == [world["amara"]]
    assert view.events[0].text == "Always hungry at pick-up" and view.total == 1
    with uow_factory() as uow:
        seen = uow.session.query(AuditEvent).filter_by(action="client.chronology_viewed").all()
        assert seen[-1].detail == {"shown": 1, "in_network": False}


def test_the_network_never_sees_a_decision_in_the_record(
    uow_factory: Factory, clock: FakeClock, directory: Directory, world: dict[str, str]
) -> None:
    _name(uow_factory, "riverside-cc", "safeguarding_lead_id", directory.people["ben"])
    for member in ("erin", "chloe"):  # chloe leads C-1001; neither oversees these decisions
        view = _record(uow_factory, directory, clock, member)
        shown = {e.concern_id for e in view.events}
        assert view.in_network and world["shared"] in shown
        assert not shown & {world["amara"], world["dev"]}
    amara = {e.concern_id for e in _record(uow_factory, directory, clock, "amara").events}
    assert world["amara"] in amara and world["dev"] not in amara


def test_outside_the_network_without_a_decision_to_oversee_the_record_is_refused(
    uow_factory: Factory, clock: FakeClock, directory: Directory, world: dict[str, str]
) -> None:
    with pytest.raises(NotInNetwork):  # Ben is no one's safeguarding lead or DPO yet
        _record(uow_factory, directory, clock, "ben")
    _name(uow_factory, "council-cs", "dpo_id", directory.people["ben"])
    with pytest.raises(NotInNetwork):  # DPO of an organisation that recorded no decision
        _record(uow_factory, directory, clock, "ben")
    with uow_factory() as uow:
        refused = uow.session.query(AuditEvent).filter_by(action="client.access_refused").all()
        assert len(refused) == 2


@pytest.mark.parametrize("role", ROLES)
def test_the_list_holds_the_decisions_each_reader_oversees_and_nothing_else(
    uow_factory: Factory,
    clock: FakeClock,
    directory: Directory,
    world: dict[str, str],
    role: str,
) -> None:
    people = directory.people
    _name(uow_factory, "riverside-cc", role, people["ben"])
    _name(uow_factory, "oakfield-primary", role, people["chloe"])

    def listed(ref: str) -> list[str]:
        view = decisions_to_oversee(uow_factory(), practitioner_id=people[ref], clock=clock)
        return [d.concern_id for d in view.decisions]

    assert listed("amara") == [world["amara"]]  # her own
    assert listed("dev") == [world["dev"]]
    assert listed("ben") == [world["amara"]]  # Riverside's, not Oakfield's
    assert listed("chloe") == [world["dev"]]  # Oakfield's, not Riverside's; no shared concern
    assert listed("erin") == [] and listed("femi") == []
    with uow_factory() as uow:
        assert oversight_pages(uow, people["ben"]) == (DECISIONS_PAGE,)
        assert oversight_pages(uow, people["erin"]) == ()
        audited = uow.session.query(AuditEvent).filter_by(action="decisions.list_viewed").all()
        assert len(audited) == 6 and audited[0].actor_id == people["amara"]


def test_oversight_follows_the_present(
    uow_factory: Factory, clock: FakeClock, directory: Directory, world: dict[str, str]
) -> None:
    ben = directory.people["ben"]
    _name(uow_factory, "riverside-cc", "dpo_id", ben)
    with uow_factory() as uow:
        assert [c.id for c in decisions_overseen(uow, ben)] == [world["amara"]]
    _name(uow_factory, "riverside-cc", "dpo_id", None)
    with uow_factory() as uow:
        assert decisions_overseen(uow, ben) == ()
        assert oversight_pages(uow, ben) == ()
    _name(uow_factory, "riverside-cc", "dpo_id", ben)
    with uow_factory() as uow:
        person = uow.directory.practitioner(ben)
        assert person is not None
        person.active = False
        uow.commit()
    with uow_factory() as uow:
        assert decisions_overseen(uow, ben) == ()  # a leaver oversees nothing
