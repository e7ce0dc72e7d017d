"""Sealed fields, on SQLite and PostgreSQL: every declared field round-trips, values sealed
before the typed accessors still open, and a field that is not declared cannot be written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

import pytest
from sqlalchemy import select

from store import crypto
from store.models import (
    AdviceRequest,
    Base,
    Client,
    ClientIdentifier,
    Concern,
    FollowUp,
    PlatformSecret,
    SubjectAccessExport,
    new_id,
)
from store.platform_secrets import PlatformSecrets
from store.sealed import (
    SEALED_RECORDS,
    AdviceField,
    ClientField,
    ConcernField,
    EntryField,
    ExportField,
    FollowUpField,
    IdentifierField,
    SealedRow,
    SecretField,
    column,
)
from store.unit_of_work import UnitOfWork
from tests.conftest import FakeClock
from tests.directory import seed_directory
from tests.store.flows import raise_full

UowFactory = Callable[[], UnitOfWork]

DECLARED = [field for fields in SEALED_RECORDS for field in fields]

# The associated data already on disk: (table, field) for every field sealed before the typed
# accessors existed. Written out, not derived, so a rename shows up here as a failure.
ON_DISK: dict[Enum, tuple[str, str]] = {
    ConcernField.RATIONALE: ("concerns", "rationale"),
    ConcernField.FAMILY_REASON: ("concerns", "family_reason"),
    ConcernField.NARROWING_REASON: ("concerns", "narrowing_reason"),
    ConcernField.PROTECTED: ("concerns", "protected"),
    ConcernField.OUTCOME_NOTE: ("concerns", "outcome_note"),
    ConcernField.NOT_SHARING_REASON: ("concerns", "not_sharing_reason"),
    EntryField.BODY: ("concern_entries", "body"),
    FollowUpField.NOTE: ("follow_ups", "note"),
    ClientField.LABEL: ("clients", "label"),
    IdentifierField.VALUE: ("client_identifiers", "value"),
    SecretField.VALUE: ("platform_secrets", "value"),
    ExportField.PAYLOAD: ("subject_access_exports", "payload"),
    AdviceField.DRAFT: ("advice_requests", "draft"),
    AdviceField.REPLY: ("advice_requests", "reply"),
}


@dataclass(frozen=True)
class Rows:
    concern_id: str
    follow_up_id: str
    client_id: str
    secret_scope: str
    export_id: str
    advice_id: str


@dataclass(frozen=True)
class Target:
    """One row holding a record's fields, its data key id, and its typed accessor."""

    row: Base
    key_id: str
    sealed: SealedRow[Any]


def _concern(uow: UnitOfWork, rows: Rows) -> Concern:
    concern = uow.concerns.get(rows.concern_id)
    assert concern is not None and concern.data_key_id is not None
    return concern


def _client(uow: UnitOfWork, rows: Rows) -> Client:
    client = uow.directory.client(rows.client_id)
    assert client is not None
    return client


def _concern_target(uow: UnitOfWork, rows: Rows) -> Target:
    concern = _concern(uow, rows)
    assert concern.data_key_id is not None
    return Target(concern, concern.data_key_id, uow.sealed.concern(concern))


def _entry_target(uow: UnitOfWork, rows: Rows) -> Target:
    concern = _concern(uow, rows)
    entry = uow.concerns.entries(concern.id)[0]
    assert concern.data_key_id is not None
    return Target(entry, concern.data_key_id, uow.sealed.entry(concern, entry))


def _follow_up_target(uow: UnitOfWork, rows: Rows) -> Target:
    concern = _concern(uow, rows)
    follow_up = uow.concerns.follow_up(rows.follow_up_id)
    assert follow_up is not None and concern.data_key_id is not None
    return Target(follow_up, concern.data_key_id, uow.sealed.follow_up(concern, follow_up))


def _client_target(uow: UnitOfWork, rows: Rows) -> Target:
    client = _client(uow, rows)
    return Target(client, client.data_key_id, uow.sealed.client(client))


def _identifier_target(uow: UnitOfWork, rows: Rows) -> Target:
    client = _client(uow, rows)
    ident = uow.directory.identifiers(client.id)[0]
    return Target(ident, client.data_key_id, uow.sealed.identifier(client, ident))


def _secret_target(uow: UnitOfWork, rows: Rows) -> Target:
    secret = uow.session.scalars(
        select(PlatformSecret).where(PlatformSecret.scope == rows.secret_scope)
    ).one()
    return Target(secret, secret.data_key_id, uow.sealed.platform_secret(secret))


def _export_target(uow: UnitOfWork, rows: Rows) -> Target:
    export = uow.exports.get(rows.export_id)
    assert export is not None
    return Target(export, export.data_key_id, uow.sealed.export(export))


def _advice_target(uow: UnitOfWork, rows: Rows) -> Target:
    request = uow.session.get(AdviceRequest, rows.advice_id)
    assert request is not None and request.data_key_id is not None
    return Target(request, request.data_key_id, uow.sealed.advice(request))


TARGETS: dict[type[Enum], Callable[[UnitOfWork, Rows], Target]] = {
    ConcernField: _concern_target,
    EntryField: _entry_target,
    FollowUpField: _follow_up_target,
    ClientField: _client_target,
    IdentifierField: _identifier_target,
    SecretField: _secret_target,
    ExportField: _export_target,
    AdviceField: _advice_target,
}


@pytest.fixture
def rows(uow_factory: UowFactory, clock: FakeClock) -> Rows:
    """A row of every sealed record: a concern (with its entry), a follow-up, a client (with
    its identifiers), a platform secret and a subject access export."""
    d = seed_directory(uow_factory, clock.now())
    concern_id = raise_full(uow_factory, d, clock)
    with uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None
        follow_up = FollowUp(
            id=new_id(),
            concern_id=concern_id,
            owner_id=d.people["chloe"],
            created_by_id=d.people["chloe"],
            due_at=clock.now() + timedelta(days=2),
            state="open",
            created_at=clock.now(),
        )
        uow.sealed.follow_up(concern, follow_up).seal(FollowUpField.NOTE, "Call the school")
        uow.concerns.add(follow_up)
        PlatformSecrets(uow.session, uow.vault).put(
            "slack", "team:T1", "xoxb-token", at=clock.now(), detail={}
        )
        export = SubjectAccessExport(
            id=new_id(),
            client_id=d.clients["C-1001"],
            creator_id=d.people["chloe"],
            data_key_id=uow.vault.create_key("export"),
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(hours=24),
        )
        uow.sealed.export(export).seal(ExportField.PAYLOAD, "{}")
        uow.exports.add(export)
        advice = AdviceRequest(
            id=new_id(),
            raiser_id=d.people["chloe"],
            adviser_id=d.people["chloe"],
            adviser_role="duty_contact",
            client_id=d.clients["C-1001"],
            submission_key=new_id(),
            severity="low",
            created_at=clock.now(),
        )
        advice.data_key_id = uow.vault.create_key("advice")
        uow.session.add(advice)
        uow.commit()
    return Rows(concern_id, follow_up.id, d.clients["C-1001"], "team:T1", export.id, advice.id)


def test_every_record_has_a_row_in_these_tests() -> None:
    assert set(TARGETS) == set(SEALED_RECORDS)


def test_every_encrypted_column_is_a_declared_field() -> None:
    columns = {
        (table.name, col.name)
        for table in Base.metadata.sorted_tables
        for col in table.columns
        if col.name.endswith("_ct")
    }
    declared = {(SEALED_RECORDS[type(f)].__tablename__, column(f)) for f in DECLARED}
    assert declared == columns


def test_the_on_disk_names_are_unchanged() -> None:
    """Table and field go into each ciphertext's associated data: renaming one loses data."""
    assert {f: (SEALED_RECORDS[type(f)].__tablename__, f.value) for f in DECLARED} == ON_DISK


@pytest.mark.parametrize("field", DECLARED, ids=str)
def test_every_sealed_field_round_trips(uow_factory: UowFactory, rows: Rows, field: Enum) -> None:
    text = f"{field} — ünïcødé, 🙂, and a newline\nhere"
    with uow_factory() as uow:
        target = TARGETS[type(field)](uow, rows)
        target.sealed.seal(field, text)
        uow.commit()
    with uow_factory() as uow:
        target = TARGETS[type(field)](uow, rows)
        stored = getattr(target.row, column(field))
        assert isinstance(stored, bytes) and text.encode() not in stored
        assert target.sealed.open(field) == text
        assert target.sealed.open_or_blank(field) == text


@pytest.mark.parametrize("field", list(ON_DISK), ids=str)
def test_a_value_sealed_the_old_way_still_opens(
    uow_factory: UowFactory, rows: Rows, field: Enum
) -> None:
    """Sealed as handlers did before, with the associated data spelled out by hand."""
    table, name = ON_DISK[field]
    with uow_factory() as uow:
        target = TARGETS[type(field)](uow, rows)
        aad = f"flare/{table}/{target.sealed.row_id}/{name}".encode()
        key = uow.vault.data_key(target.key_id)
        setattr(target.row, f"{name}_ct", crypto.seal(key, b"sealed the old way", aad))
        uow.commit()
    with uow_factory() as uow:
        target = TARGETS[type(field)](uow, rows)
        assert target.sealed.open(field) == "sealed the old way"
        target.sealed.seal(field, "sealed the new way")
        blob = getattr(target.row, f"{name}_ct")
        key = uow.vault.data_key(target.key_id)
        assert crypto.unseal(key, blob, aad) == b"sealed the new way"


def test_a_forgotten_concern_keeps_none_of_its_sealed_fields(
    uow_factory: UowFactory, rows: Rows
) -> None:
    with uow_factory() as uow:
        concern = _concern(uow, rows)
        uow.sealed.concern(concern).seal(ConcernField.OUTCOME_NOTE, "closed: other")
        uow.sealed.concern(concern).seal(ConcernField.NOT_SHARING_REASON, "decided: not to")
        assert all(getattr(concern, column(f)) is not None for f in ConcernField)
        uow.sealed.forget_concern(concern)
        uow.commit()
    with uow_factory() as uow:
        concern = _concern(uow, rows)
        assert all(getattr(concern, column(f)) is None for f in ConcernField)


def test_a_field_left_empty_opens_blank_and_is_unreadable_when_asked_for() -> None:
    sealed = SealedRow(ConcernField, crypto.new_data_key(), Concern(id=new_id()))
    assert sealed.open_or_blank(ConcernField.FAMILY_REASON) == ""
    with pytest.raises(crypto.CryptoError):
        sealed.open(ConcernField.FAMILY_REASON)


def test_a_bare_string_cannot_be_sealed_and_nothing_is_written() -> None:
    concern = Concern(id=new_id())
    sealed = SealedRow(ConcernField, crypto.new_data_key(), concern)
    for wrong in ("rationale", "rationle", "rationale_ct"):
        with pytest.raises(TypeError):
            sealed.seal(wrong, "text")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            sealed.open(wrong)  # type: ignore[arg-type]
    assert (concern.rationale_ct, concern.family_reason_ct, concern.protected_ct) == (None,) * 3


def test_another_records_field_cannot_be_sealed_on_a_row() -> None:
    client = Client(id=new_id(), label_ct=b"")
    sealed = SealedRow(ClientField, crypto.new_data_key(), client)
    for wrong in (ConcernField.RATIONALE, IdentifierField.VALUE, SecretField.VALUE):
        with pytest.raises(TypeError):
            sealed.seal(wrong, "text")  # type: ignore[arg-type]
    assert client.label_ct == b""


def test_a_record_is_sealed_only_on_its_own_model() -> None:
    with pytest.raises(TypeError):
        SealedRow(IdentifierField, crypto.new_data_key(), Client(id=new_id()))
    with pytest.raises(TypeError):
        SealedRow(ConcernField, crypto.new_data_key(), ClientIdentifier(id=new_id()))


def test_a_row_without_its_id_cannot_be_sealed() -> None:
    """The id is bound into the associated data, so it must be known before sealing."""
    with pytest.raises(ValueError):
        SealedRow(ConcernField, crypto.new_data_key(), Concern())
