"""Golden rule 7: record a decision *not* to share, with its reasons, as carefully as a share.

The decision is a concern with status `not_shared`: the same encrypted body (what was
noticed) and the reason in the rationale field, visible only to the person who decided.
Nobody else is told and no pointer is queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.concern.raising import RaiseConcern, add_entry, validate
from handlers.invalid import MAX_TEXT, Invalid
from handlers.ports import Clock
from handlers.values import ConcernStatus, DeliveryRole
from store.models import Concern, Delivery, new_id
from store.sealed import ConcernField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DecisionRecorded:
    concern_id: str
    duplicate: bool = False


def record_decision_not_to_share(
    cmd: RaiseConcern, *, reason: str, uow: UnitOfWork, clock: Clock
) -> DecisionRecorded | Invalid:
    """Store what was noticed and why it is not being shared; tell no one."""
    errors = {k: v for k, v in validate(cmd).items() if k != "rationale"}
    if not reason.strip():
        errors["not_sharing_reason"] = "Say why you decided not to share"
    elif len(reason) > MAX_TEXT:
        errors["not_sharing_reason"] = f"Keep the reason to {MAX_TEXT} characters or fewer"
    if errors:
        return Invalid(errors)
    with uow:
        existing = uow.concerns.by_submission(cmd.submission_key)
        if existing is not None:
            if existing.raiser_id != cmd.raiser_id:
                return Invalid({"submission_key": "This form has expired; start again"})
            return DecisionRecorded(existing.id, duplicate=True)
        raiser = uow.directory.practitioner(cmd.raiser_id)
        if raiser is None or uow.directory.membership(cmd.client_id, cmd.raiser_id) is None:
            return Invalid({"client": "Choose a client whose network you are in"})
        now = clock.now()
        concern = Concern(
            id=new_id(),
            client_id=cmd.client_id,
            raiser_id=cmd.raiser_id,
            submission_key=cmd.submission_key,
            category=cmd.category.value,
            severity=cmd.severity.value,
            lawful_basis=cmd.lawful_basis.value,
            family_informed=cmd.family_informed.value,
            status=ConcernStatus.NOT_SHARED.value,
            created_at=now,
        )
        concern.data_key_id = uow.vault.create_key("concern")
        sealed = uow.sealed.concern(concern)
        sealed.seal(ConcernField.RATIONALE, reason)
        if cmd.family_reason.strip():
            sealed.seal(ConcernField.FAMILY_REASON, cmd.family_reason)
        if cmd.protected_identities.strip():
            sealed.seal(ConcernField.PROTECTED, cmd.protected_identities)
        uow.concerns.add(concern)
        uow.flush()
        add_entry(uow, concern, author_id=cmd.raiser_id, kind="raised", text=cmd.noticed, at=now)
        uow.concerns.add(
            Delivery(
                concern_id=concern.id,
                recipient_id=cmd.raiser_id,
                role=DeliveryRole.RAISER,
                platform=raiser.preferred_platform,
                created_at=now,
            )
        )
        uow.audit(
            "concern.not_shared",
            at=now,
            actor_id=cmd.raiser_id,
            concern_id=concern.id,
            subject=cmd.client_id,
            detail={"category": cmd.category.value, "severity": cmd.severity.value, "via": cmd.via},
        )
        uow.commit()
        return DecisionRecorded(concern.id)
