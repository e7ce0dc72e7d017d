"""The encrypted store on SQLite and PostgreSQL: tampering fails closed, rotation keeps data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from handlers.concern.viewing import ConcernView, Unreadable, view_concern
from handlers.network.directory import find_client
from store.crypto import CryptoError, KeyRing, generate_master_key_spec
from store.db import session_factory
from store.keys import keys_to_rewrap, rewrap_batches
from store.models import Client, ClientIdentifier, Concern, ConcernEntry, DataKey, SystemKey
from store.sealed import ClientField, IdentifierField
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock, UowFactory
from tests.directory import Directory, seed_directory
from tests.store.flows import Texts, add_info, add_name_identifier, raise_full

World = tuple[Directory, str, str, str]
"""The directory, two raised concerns and the information added to the first."""


@pytest.fixture
def world(uow_factory: UowFactory, clock: FakeClock) -> World:
    d = seed_directory(uow_factory, clock.now())
    first = raise_full(uow_factory, d, clock)
    clock.advance(minutes=5)
    info = add_info(uow_factory, d, clock, first, Texts().information)
    second = raise_full(uow_factory, d, clock, client="C-1002")
    return d, first, second, info


def _view(uow_factory: UowFactory, d: Directory, clock: FakeClock, concern_id: str) -> ConcernView:
    return view_concern(
        uow_factory(),
        concern_id=concern_id,
        practitioner_id=d.people["dev"],
        clock=clock,
        reveal_identities=True,  # the raiser: the protected field is read back too
    )


def _set(uow_factory: UowFactory, model: Any, row_id: str, **values: object) -> None:
    with uow_factory() as uow:
        uow.session.execute(update(model).where(model.id == row_id).values(**values))
        uow.commit()


def _get(uow_factory: UowFactory, model: Any, row_id: str, column: str) -> Any:
    with uow_factory() as uow:
        return getattr(uow.session.get(model, row_id), column)


def test_a_clean_concern_reads_back(
    uow_factory: UowFactory, clock: FakeClock, world: World
) -> None:
    d, first, _second, _info = world
    view = _view(uow_factory, d, clock, first)
    texts = Texts()
    assert view.rationale == texts.rationale and view.family_reason == texts.family_reason
    assert view.narrowing_reason == texts.narrowing_reason
    assert view.protected_identities == texts.protected
    assert [e.text for e in view.entries] == [texts.noticed, texts.information]
    assert view.client_label == "Jamie Rivers (age 4)"


def test_tampered_ciphertext_fails_closed(
    uow_factory: UowFactory, clock: FakeClock, world: World
) -> None:
    d, first, _second, _info = world
    blob = bytearray(_get(uow_factory, Concern, first, "rationale_ct"))
    blob[-5] ^= 0x01
    _set(uow_factory, Concern, first, rationale_ct=bytes(blob))
    with pytest.raises(Unreadable):
        _view(uow_factory, d, clock, first)


def test_ciphertext_moved_to_another_field_fails(
    uow_factory: UowFactory, clock: FakeClock, world: World
) -> None:
    d, first, _second, _info = world
    rationale = _get(uow_factory, Concern, first, "rationale_ct")
    _set(uow_factory, Concern, first, family_reason_ct=rationale)
    with pytest.raises(Unreadable):
        _view(uow_factory, d, clock, first)


def test_entry_moved_to_another_row_of_the_same_concern_fails(
    uow_factory: UowFactory, clock: FakeClock, world: World
) -> None:
    """Same data key, different row id: only the associated data stops it."""
    d, first, _second, info = world
    with uow_factory() as uow:
        raised = uow.session.scalars(
            select(ConcernEntry.body_ct).where(
                ConcernEntry.concern_id == first, ConcernEntry.kind == "raised"
            )
        ).one()
    _set(uow_factory, ConcernEntry, info, body_ct=raised)
    with pytest.raises(Unreadable):
        _view(uow_factory, d, clock, first)


def test_ciphertext_moved_to_another_concern_fails(
    uow_factory: UowFactory, clock: FakeClock, world: World
) -> None:
    d, first, second, _info = world
    moved = _get(uow_factory, Concern, first, "rationale_ct")
    _set(uow_factory, Concern, second, rationale_ct=moved)
    with pytest.raises(Unreadable):
        _view(uow_factory, d, clock, second)


def test_identifier_moved_to_another_row_fails(uow_factory: UowFactory, world: World) -> None:
    d, *_ = world
    add_name_identifier(uow_factory, d.clients["C-1001"], "Jamie Rivers")
    with uow_factory() as uow:
        client = uow.directory.client(d.clients["C-1001"])
        assert client is not None
        name, nhs = sorted(uow.directory.identifiers(client.id), key=lambda i: i.kind)
        assert uow.sealed.identifier(client, name).open(IdentifierField.VALUE) == "Jamie Rivers"
        name.value_ct = nhs.value_ct  # in this session only: never flushed
        with pytest.raises(CryptoError):
            uow.sealed.identifier(client, name).open(IdentifierField.VALUE)


def _uow_with(engine: Engine, spec: str) -> UowFactory:
    """A unit-of-work factory on the same database under another key ring."""
    ring = KeyRing.parse(spec)
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions, ring)


def test_wrong_master_key_fails_closed(engine: Engine, clock: FakeClock, world: World) -> None:
    d, first, _second, _info = world
    impostor = _uow_with(engine, generate_master_key_spec("test1"))  # same id, new bytes
    with pytest.raises(Unreadable):
        _view(impostor, d, clock, first)


def test_missing_master_key_id_fails_closed(engine: Engine, clock: FakeClock, world: World) -> None:
    d, first, _second, _info = world
    elsewhere = _uow_with(engine, generate_master_key_spec("other"))
    with pytest.raises(Unreadable):
        _view(elsewhere, d, clock, first)


def test_blind_index_finds_by_normalised_identifiers(uow_factory: UowFactory, world: World) -> None:
    d, *_ = world
    add_name_identifier(uow_factory, d.clients["C-1002"], "Sky Morgan")
    with uow_factory() as uow:
        for raw in ("9434765919", "943 476 5919", " 943-476-5919 "):
            found = find_client(uow, raw=raw, kinds=["nhs_number"])
            assert found is not None and found.id == d.clients["C-1001"]
        found = find_client(uow, raw="  SKY   morgan ", kinds=["nhs_number", "name"])
        assert found is not None and found.id == d.clients["C-1002"]
        assert find_client(uow, raw="9434765918", kinds=["nhs_number"]) is None
        stored = uow.session.scalars(select(ClientIdentifier.blind)).all()
        assert all("9434765919" not in blind for blind in stored)


def test_rotation_keeps_everything_readable(
    engine: Engine, uow_factory: UowFactory, master_spec: str, clock: FakeClock, world: World
) -> None:
    d, first, second, _info = world
    add_name_identifier(uow_factory, d.clients["C-1001"], "Jamie Rivers")
    new_spec = generate_master_key_spec("new")
    both = KeyRing.parse(f"{new_spec},{master_spec}")
    sessions = session_factory(engine)
    with sessions() as session:
        total = keys_to_rewrap(session, both)
    assert total >= 6  # blind index, two concerns, three clients
    assert sum(rewrap_batches(sessions, both, batch=2)) == total

    only_new = _uow_with(engine, new_spec)
    with only_new() as uow:
        assert set(uow.session.scalars(select(DataKey.master_kid)).all()) == {"new"}
        assert uow.session.scalars(select(SystemKey.name)).all() == ["blind-index"]
        found = find_client(uow, raw="943 476 5919", kinds=["nhs_number"])
        assert found is not None and found.id == d.clients["C-1001"]
        for client in uow.session.scalars(select(Client)).all():
            uow.sealed.client(client).open(ClientField.LABEL)
        for ident in uow.session.scalars(select(ClientIdentifier)).all():
            owner = uow.directory.client(ident.client_id)
            assert owner is not None
            value = uow.sealed.identifier(owner, ident).open(IdentifierField.VALUE)
            assert value in ("9434765919", "9434765870", "Jamie Rivers")
    view = _view(only_new, d, clock, first)
    assert [e.text for e in view.entries] == [Texts().noticed, Texts().information]
    assert _view(only_new, d, clock, second).rationale == Texts().rationale
    with pytest.raises(Unreadable):  # and the old key alone no longer opens anything
        _view(_uow_with(engine, master_spec), d, clock, first)


def test_rotation_resumes_after_an_interruption(
    engine: Engine, master_spec: str, world: World
) -> None:
    new = KeyRing.parse(f"{generate_master_key_spec('new')},{master_spec}")
    sessions = session_factory(engine)
    with sessions() as session:
        total = keys_to_rewrap(session, new)
    batches = rewrap_batches(sessions, new, batch=1)
    assert next(batches) == 1 and next(batches) == 1
    batches.close()  # the operator pressed Ctrl-C
    with sessions() as session:
        assert keys_to_rewrap(session, new) == total - 2
    assert sum(rewrap_batches(sessions, new, batch=1)) == total - 2
    with sessions() as session:
        assert keys_to_rewrap(session, new) == 0
