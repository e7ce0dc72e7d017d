"""The raise answers, described once; one parse of category and severity; one builder of the
record that raising and deciding not to share both write; and one submission key, one concern,
even when two submissions race to commit (on PostgreSQL, where they can)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import fields

import pytest
from sqlalchemy import select

from handlers.concern.answers import (
    ANSWER_FIELDS,
    BY_NAME,
    FieldKind,
    RaiseAnswers,
    parse_routing,
    to_command,
)
from handlers.concern.not_sharing import DecisionRecorded, record_decision_not_to_share
from handlers.concern.raising import RaiseConcern, Raised, raise_concern
from handlers.concern.submission import preview_raise, send_raise
from handlers.deadlines import WorkingCalendar
from handlers.invalid import Invalid
from handlers.values import Category, FamilyInformed, LawfulBasis, Severity
from store.crypto import KeyRing
from store.models import AuditEvent, Concern, ConcernEntry, Delivery, OutboxMessage
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import Directory, seed_directory
from tests.racing import RacingClock, postgres_units_of_work

Factory = Callable[[], UnitOfWork]
CALENDAR = WorkingCalendar()


def test_the_questions_are_the_dataclass_fields_each_described_once() -> None:
    assert [f.name for f in ANSWER_FIELDS] == [f.name for f in fields(RaiseAnswers)]
    for described in ANSWER_FIELDS:
        assert described.label and described.kind in FieldKind, described.name
        assert (described.choices is not None) == (described.kind is FieldKind.CHOICE)
        assert not described.required or described.missing, described.name
    assert BY_NAME["category"].choices is Category and BY_NAME["severity"].choices is Severity
    assert [f.name for f in ANSWER_FIELDS if f.routing] == ["client", "category", "severity"]


@pytest.mark.parametrize(
    ("category", "severity", "wrong"),
    [
        ("bogus", "", {"category", "severity"}),
        ("neglect", "urgent", {"severity"}),
        ("", "high", {"category"}),
        ("neglect", "high", set()),
    ],
)
def test_category_and_severity_are_parsed_once_with_one_message(
    category: str, severity: str, wrong: set[str]
) -> None:
    answers = RaiseAnswers(client="c", category=category, severity=severity)
    parsed_category, parsed_severity, errors = parse_routing(answers)
    assert errors == {name: BY_NAME[name].missing for name in wrong}
    cmd, command_errors = to_command(answers, "p", with_recipients=False)
    assert {k: v for k, v in command_errors.items() if k in ("category", "severity")} == errors
    assert (cmd.category, cmd.severity) == (parsed_category, parsed_severity)


@pytest.fixture
def directory(uow_factory: Factory, clock: FakeClock) -> Directory:
    return seed_directory(uow_factory, clock.now())


def _command(d: Directory, **over: object) -> RaiseConcern:
    values: dict[str, object] = dict(
        raiser_id=d.people["amara"],
        client_id=d.clients["C-1001"],
        category=Category.NEGLECT,
        severity=Severity.HIGH,
        noticed="Always hungry",
        rationale="The school should know",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        family_informed=FamilyInformed.NOT_SAFE,
        family_reason="It could raise the risk",
        protected_identities="The neighbour",
        submission_key=secrets.token_hex(8),
    )
    values.update(over)
    return RaiseConcern(**values)  # type: ignore[arg-type]


def _record(uow_factory: Factory, concern_id: str) -> dict[str, object]:
    """What a concern's record holds, apart from its status, deadline and the reason."""
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        entries = uow.concerns.entries(concern_id)
        raiser = [d for d in uow.concerns.deliveries(concern_id) if d.role == "raiser"]
        return {
            "sealed": {
                name: getattr(concern, name) is not None
                for name in ("family_reason_ct", "protected_ct", "data_key_id")
            },
            "entries": [(e.kind, e.author_id) for e in entries],
            "raiser": [(d.recipient_id, d.platform) for d in raiser],
            "choices": (concern.category, concern.severity, concern.lawful_basis),
        }


def test_a_raise_and_a_decision_not_to_share_build_the_same_record(
    uow_factory: Factory, clock: FakeClock, directory: Directory
) -> None:
    raised = raise_concern(_command(directory), uow_factory(), clock, CALENDAR)
    decided = record_decision_not_to_share(
        _command(directory), reason="Spoke to the DSL", uow=uow_factory(), clock=clock
    )
    assert isinstance(raised, Raised) and isinstance(decided, DecisionRecorded)
    assert _record(uow_factory, raised.concern_id) == _record(uow_factory, decided.concern_id)
    # Each keeps the reasons of its own decision, and only those (golden rule 7).
    with uow_factory() as uow:
        shared, kept = uow.concerns.get(raised.concern_id), uow.concerns.get(decided.concern_id)
        assert shared is not None and kept is not None
        assert (shared.rationale_ct is not None, shared.not_sharing_reason_ct) == (True, None)
        assert (kept.rationale_ct, kept.not_sharing_reason_ct is not None) == (None, True)


@pytest.fixture
def pg_uow_factory(pg_url: str, ring: KeyRing) -> Iterator[Factory]:
    with postgres_units_of_work(pg_url, ring) as factory:
        yield factory


def _counts(uow_factory: Factory) -> dict[str, int]:
    with uow_factory() as uow:
        return {
            model.__name__: len(uow.session.scalars(select(model)).all())
            for model in (Concern, ConcernEntry, Delivery, OutboxMessage)
        }


@pytest.mark.postgres
def test_two_raises_of_one_submission_racing_to_commit_make_one_concern(
    pg_uow_factory: Factory,
) -> None:
    directory = seed_directory(pg_uow_factory, FakeClock().now())
    cmd = _command(directory)
    clock = RacingClock()
    clock.races.append(lambda: raise_concern(cmd, pg_uow_factory(), FakeClock(), CALENDAR))
    second = raise_concern(cmd, pg_uow_factory(), clock, CALENDAR)
    (first,) = clock.outcomes
    assert isinstance(first, Raised) and not first.duplicate
    assert second == Raised(first.concern_id, first.recipients, duplicate=True)
    assert _counts(pg_uow_factory) == {
        "Concern": 1,
        "ConcernEntry": 1,
        "Delivery": 1 + first.recipients,
        "OutboxMessage": first.recipients,
    }
    with pg_uow_factory() as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("concern.raised") == 1


@pytest.mark.postgres
def test_a_decision_not_to_share_racing_its_own_resubmission_is_recorded_once(
    pg_uow_factory: Factory,
) -> None:
    directory = seed_directory(pg_uow_factory, FakeClock().now())
    cmd = _command(directory)

    def record(clock: FakeClock) -> DecisionRecorded | Invalid:
        return record_decision_not_to_share(
            cmd, reason="No role", uow=pg_uow_factory(), clock=clock
        )

    clock = RacingClock()
    clock.races.append(lambda: record(FakeClock()))
    second = record(clock)
    (first,) = clock.outcomes
    assert isinstance(first, DecisionRecorded)
    assert second == DecisionRecorded(first.concern_id, duplicate=True)
    assert _counts(pg_uow_factory)["Concern"] == 1


@pytest.mark.postgres
def test_a_form_sent_twice_at_once_from_any_surface_is_one_concern(
    pg_uow_factory: Factory,
) -> None:
    """What the web form and the Teams dialog call: the same answers, racing, one concern."""
    directory = seed_directory(pg_uow_factory, FakeClock().now())
    answers = RaiseAnswers(
        client=directory.clients["C-1001"],
        category="neglect",
        severity="high",
        noticed="Always hungry",
        family_informed="yes",
        rationale="The school should know",
        lawful_basis="public_task",
        submission_key="k" * 32,
    )
    raiser = directory.people["amara"]
    form = preview_raise(pg_uow_factory(), answers, raiser_id=raiser)
    assert form.ready and form.reach is not None
    ticked = tuple(sorted(form.reach.recommended_ids))

    def send(clock: FakeClock, via: str) -> object:
        return send_raise(
            pg_uow_factory(),
            RaiseAnswers(**{**answers.__dict__, "recipients": ticked}),
            raiser_id=raiser,
            clock=clock,
            calendar=CALENDAR,
            via=via,
        )

    clock = RacingClock()
    clock.races.append(lambda: send(FakeClock(), "teams"))
    second = send(clock, "web")
    (first,) = clock.outcomes
    assert isinstance(first, Raised) and isinstance(second, Raised)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.concern_id == second.concern_id and _counts(pg_uow_factory)["Concern"] == 1
