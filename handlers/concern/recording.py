"""Writing a concern's record: the one builder that raising and not-sharing both use.

A concern (raised, or a decision not to share) is the same record either way: the concern
row under its own data key with its sealed answers, its first entry (what was noticed), and
the raiser's own delivery. A submission key makes it once, however often it is submitted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from handlers.concern.answers import EXPIRED, RaiseConcern
from handlers.invalid import Invalid
from handlers.outbox.delivery import add_delivery
from handlers.values import ConcernStatus, DeliveryRole
from store.models import Concern, ConcernEntry, Practitioner, new_id
from store.sealed import ConcernField, EntryField
from store.unit_of_work import UnitOfWork

Outcome = TypeVar("Outcome")


def once_per_submission(
    uow: UnitOfWork,
    *,
    write: Callable[[], Outcome | Invalid],
    earlier: Callable[[], Outcome | Invalid | None],
) -> Outcome | Invalid:
    """Write it in one transaction, unless its submission key made it before.

    Two submissions of one form may both find nothing earlier and race to commit: the store's
    unique submission key refuses the second, which then answers with the first.
    """
    with uow:
        try:
            return earlier() or write()
        except IntegrityError:
            uow.rollback()
            return earlier() or Invalid({"submission_key": EXPIRED})


def earlier_submission(uow: UnitOfWork, cmd: RaiseConcern) -> Concern | Invalid | None:
    """The concern this submission key already made (the raiser's own), a refusal, or None."""
    existing = uow.concerns.by_submission(cmd.submission_key)
    if existing is not None and existing.raiser_id != cmd.raiser_id:
        return Invalid({"submission_key": EXPIRED})
    return existing


def build_concern(
    uow: UnitOfWork,
    cmd: RaiseConcern,
    *,
    raiser: Practitioner,
    status: ConcernStatus,
    rationale: str,
    at: datetime,
    acknowledge_by: datetime | None = None,
    narrowing_reason: str = "",
    raiser_role: DeliveryRole = DeliveryRole.RAISER,
) -> Concern:
    """The concern, its sealed answers, first entry and the raiser's delivery (not committed)."""
    concern = Concern(
        id=new_id(),
        client_id=cmd.client_id,
        raiser_id=cmd.raiser_id,
        submission_key=cmd.submission_key,
        category=cmd.category.value,
        severity=cmd.severity.value,
        lawful_basis=cmd.lawful_basis.value,
        special_category=cmd.special_category.value,
        family_informed=cmd.family_informed.value,
        status=status.value,
        created_at=at,
        acknowledge_by=acknowledge_by,
    )
    concern.data_key_id = uow.vault.create_key("concern")
    sealed = uow.sealed.concern(concern)
    if rationale.strip():  # a decision not to share keeps no justification for sharing
        sealed.seal(ConcernField.RATIONALE, rationale)
    if status is ConcernStatus.NOT_SHARED and cmd.not_sharing_reason.strip():
        sealed.seal(ConcernField.NOT_SHARING_REASON, cmd.not_sharing_reason)
    if cmd.family_reason.strip():
        sealed.seal(ConcernField.FAMILY_REASON, cmd.family_reason)
    if narrowing_reason.strip():
        sealed.seal(ConcernField.NARROWING_REASON, narrowing_reason)
    if cmd.protected_identities.strip():
        sealed.seal(ConcernField.PROTECTED, cmd.protected_identities)
    uow.concerns.add(concern)
    uow.flush()
    add_entry(uow, concern, author_id=cmd.raiser_id, kind="raised", text=cmd.noticed, at=at)
    add_delivery(
        uow, concern.id, cmd.raiser_id, role=raiser_role, platform=raiser.preferred_platform, at=at
    )
    return concern


def add_entry(
    uow: UnitOfWork, concern: Concern, *, author_id: str, kind: str, text: str, at: datetime
) -> ConcernEntry:
    """One sealed entry in a concern's record (what was noticed, or information added)."""
    entry = ConcernEntry(
        id=new_id(), concern_id=concern.id, author_id=author_id, kind=kind, created_at=at
    )
    assert concern.data_key_id is not None
    uow.sealed.entry(concern, entry).seal(EntryField.BODY, text)
    uow.concerns.add(entry)
    return entry
