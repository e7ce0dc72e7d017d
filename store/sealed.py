"""Sealed fields: every encrypted column, named once, with the row and data key it is bound to.

A ciphertext's associated data is `flare/<table>/<row id>/<field>` (store.crypto), so it
opens only in the row and column it was sealed for. The names below are those on disk:
renaming a member's value makes every stored value of that field unreadable. A field `x` is
kept in its model's column `x_ct`.

Use cases reach a row's fields through `uow.sealed` (`uow.sealed.concern(concern)`) and name
a field by its enum member, so no table or field string is ever written outside this module;
a field of another record, or a bare string, is refused before anything is sealed.
"""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

from store.crypto import FieldCipher, KeyUnavailable
from store.keys import Vault
from store.models import (
    AdviceRequest,
    Base,
    Client,
    ClientIdentifier,
    Concern,
    ConcernEntry,
    FollowUp,
    PlatformSecret,
    SubjectAccessExport,
)


class ConcernField(Enum):
    """A concern's sealed fields, under the concern's data key."""

    RATIONALE = "rationale"
    FAMILY_REASON = "family_reason"
    NARROWING_REASON = "narrowing_reason"
    PROTECTED = "protected"
    OUTCOME_NOTE = "outcome_note"  # the note of an "other" outcome when the concern closed
    NOT_SHARING_REASON = "not_sharing_reason"  # why a decision not to share was made


class EntryField(Enum):
    """A concern entry's text (what was noticed, information added), under the concern's key."""

    BODY = "body"


class FollowUpField(Enum):
    """A follow-up's action, under its concern's key."""

    NOTE = "note"


class ClientField(Enum):
    """A client's label (name and age as the directory gives it), under the client's key."""

    LABEL = "label"


class IdentifierField(Enum):
    """A client identifier's value (NHS number, name, reference), under the client's key."""

    VALUE = "value"


class SecretField(Enum):
    """A platform secret's value (a Slack installation, a Teams credential), under its own key."""

    VALUE = "value"


class ExportField(Enum):
    """A subject access export's payload (the JSON document), under the export's own key."""

    PAYLOAD = "payload"


class AdviceField(Enum):
    """An advice request's draft (the raise form's answers) and reply, under its own key."""

    DRAFT = "draft"
    REPLY = "reply"


# Which model each record's fields live on: the table name in the associated data is its
# `__tablename__`. Every `*_ct` column of the schema belongs to exactly one field here
# (tests/store/test_sealed_fields.py).
SEALED_RECORDS: dict[type[Enum], type[Base]] = {
    ConcernField: Concern,
    EntryField: ConcernEntry,
    FollowUpField: FollowUp,
    ClientField: Client,
    IdentifierField: ClientIdentifier,
    SecretField: PlatformSecret,
    ExportField: SubjectAccessExport,
    AdviceField: AdviceRequest,
}

F = TypeVar("F", bound=Enum)


def column(field: Enum) -> str:
    """The model attribute that holds a field's ciphertext."""
    return f"{field.value}_ct"


class SealedRow(Generic[F]):
    """The sealed fields of one row: `seal` writes a field's column, `open` reads it."""

    def __init__(self, fields: type[F], key: bytes, row: Base) -> None:
        model = SEALED_RECORDS[fields]
        if not isinstance(row, model):
            raise TypeError(f"{fields.__name__} are sealed on {model.__name__} rows")
        row_id = getattr(row, "id", None)
        if not isinstance(row_id, str):
            raise ValueError("a row's id is set before its fields are sealed")
        self._fields = fields
        self._row = row
        self.row_id = row_id
        self._cipher = FieldCipher(key, model.__tablename__, row_id)

    def _declared(self, field: F) -> F:
        if not isinstance(field, self._fields):
            raise TypeError(f"not one of the {self._fields.__name__} members")
        return field

    def seal(self, field: F, text: str) -> None:
        """Encrypt `text` into the field's column (the row is written when the uow flushes)."""
        name = self._declared(field)
        setattr(self._row, column(name), self._cipher.seal(name.value, text))

    def open(self, field: F) -> str:
        """The field's text; CryptoError when nothing is sealed there or it does not open."""
        name = self._declared(field)
        blob: bytes | None = getattr(self._row, column(name))
        return self._cipher.open(name.value, blob or b"")

    def open_or_blank(self, field: F) -> str:
        """The field's text, or "" when it was left empty (never sealed)."""
        name = self._declared(field)
        if getattr(self._row, column(name)) is None:
            return ""
        return self.open(name)


class Sealed:
    """A row's sealed fields under the right data key; reached as `uow.sealed`."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def _key(self, key_id: str | None) -> bytes:
        if key_id is None:
            raise KeyUnavailable("the data key is shredded")
        return self._vault.data_key(key_id)

    def concern(self, concern: Concern) -> SealedRow[ConcernField]:
        return SealedRow(ConcernField, self._key(concern.data_key_id), concern)

    def entry(self, concern: Concern, entry: ConcernEntry) -> SealedRow[EntryField]:
        return SealedRow(EntryField, self._key(concern.data_key_id), entry)

    def follow_up(self, concern: Concern, follow_up: FollowUp) -> SealedRow[FollowUpField]:
        return SealedRow(FollowUpField, self._key(concern.data_key_id), follow_up)

    def client(self, client: Client) -> SealedRow[ClientField]:
        return SealedRow(ClientField, self._key(client.data_key_id), client)

    def identifier(
        self, client: Client, identifier: ClientIdentifier
    ) -> SealedRow[IdentifierField]:
        return SealedRow(IdentifierField, self._key(client.data_key_id), identifier)

    def platform_secret(self, secret: PlatformSecret) -> SealedRow[SecretField]:
        return SealedRow(SecretField, self._key(secret.data_key_id), secret)

    def export(self, export: SubjectAccessExport) -> SealedRow[ExportField]:
        return SealedRow(ExportField, self._key(export.data_key_id), export)

    def advice(self, request: AdviceRequest) -> SealedRow[AdviceField]:
        return SealedRow(AdviceField, self._key(request.data_key_id), request)

    def forget_concern(self, concern: Concern) -> None:
        """Empty every sealed field of a concern whose key is shredded (noise without it)."""
        for field in ConcernField:
            setattr(concern, column(field), None)
