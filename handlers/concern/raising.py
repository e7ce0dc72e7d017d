"""Raise a concern: the concern, one delivery per recipient and their pointers, in one commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from handlers.deadlines import WorkingCalendar, organisation_deadline
from handlers.invalid import MAX_TEXT, Invalid
from handlers.network.routing import NetworkMember, NotInNetwork, who_can_i_share_with
from handlers.outbox.delivery import enqueue_pointer
from handlers.partnership import deadline_policy
from handlers.ports import Clock
from handlers.values import (
    Category,
    ConcernStatus,
    DeliveryRole,
    FamilyInformed,
    LawfulBasis,
    PointerKind,
    Role,
    Severity,
)
from store.models import Concern, ConcernEntry, Delivery, new_id
from store.sealed import ConcernField, EntryField
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RaiseConcern:
    raiser_id: str
    client_id: str
    category: Category
    severity: Severity
    noticed: str
    rationale: str
    lawful_basis: LawfulBasis
    family_informed: FamilyInformed
    submission_key: str
    family_reason: str = ""
    recipients: Collection[str] | None = None  # None: the policy's recommendation
    narrowing_reason: str = ""
    protected_identities: str = ""
    via: str = "web"


@dataclass(frozen=True)
class Raised:
    concern_id: str
    recipients: int
    duplicate: bool = False


RaiseOutcome = Raised | Invalid


def validate(cmd: RaiseConcern) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not cmd.noticed.strip():
        errors["noticed"] = "Enter what you noticed"
    elif len(cmd.noticed) > MAX_TEXT:
        errors["noticed"] = f"What you noticed must be {MAX_TEXT} characters or fewer"
    if not cmd.rationale.strip():
        errors["rationale"] = "Enter why sharing is necessary and proportionate"
    elif len(cmd.rationale) > MAX_TEXT:
        errors["rationale"] = f"The reason for sharing must be {MAX_TEXT} characters or fewer"
    if cmd.family_informed is not FamilyInformed.YES and not cmd.family_reason.strip():
        errors["family_reason"] = "Say why the family has not been told"
    if len(cmd.family_reason) > MAX_TEXT or len(cmd.protected_identities) > MAX_TEXT:
        errors["family_reason"] = f"Keep each answer to {MAX_TEXT} characters or fewer"
    if not cmd.submission_key or len(cmd.submission_key) > 128:
        errors["submission_key"] = "This form has expired; start again"
    return errors


def raise_concern(
    cmd: RaiseConcern, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar
) -> RaiseOutcome:
    """Write the concern, its first entry, deliveries and outbox pointers atomically."""
    errors = validate(cmd)
    if errors:
        return Invalid(errors)
    with uow:
        existing = uow.concerns.by_submission(cmd.submission_key)
        if existing is not None:
            if existing.raiser_id != cmd.raiser_id:
                return Invalid({"submission_key": "This form has expired; start again"})
            count = len([d for d in uow.concerns.deliveries(existing.id) if d.role != "raiser"])
            return Raised(existing.id, count, duplicate=True)
        try:
            options = who_can_i_share_with(
                uow,
                raiser_id=cmd.raiser_id,
                client_id=cmd.client_id,
                category=cmd.category,
                severity=cmd.severity,
            )
        except NotInNetwork:
            return Invalid({"client": "You are not in this client's network"})
        by_id = {m.practitioner_id: m for m in options.members}
        chosen = set(options.recommended_ids if cmd.recipients is None else cmd.recipients)
        errors = _check_recipients(chosen, by_id, options.recommended_ids, cmd)
        if errors:
            return Invalid(errors)

        now = clock.now()
        raiser = uow.directory.practitioner(cmd.raiser_id)
        assert raiser is not None  # membership above proves the raiser exists
        policy = deadline_policy(uow, uow.directory.organisation(raiser.organisation_id))
        concern = Concern(
            id=new_id(),
            client_id=cmd.client_id,
            raiser_id=cmd.raiser_id,
            submission_key=cmd.submission_key,
            category=cmd.category.value,
            severity=cmd.severity.value,
            lawful_basis=cmd.lawful_basis.value,
            family_informed=cmd.family_informed.value,
            status=ConcernStatus.OPEN.value,
            created_at=now,
            acknowledge_by=organisation_deadline(cmd.severity, now, calendar, policy),
        )
        concern.data_key_id = uow.vault.create_key("concern")
        sealed = uow.sealed.concern(concern)
        sealed.seal(ConcernField.RATIONALE, cmd.rationale)
        if cmd.family_reason.strip():
            sealed.seal(ConcernField.FAMILY_REASON, cmd.family_reason)
        if cmd.narrowing_reason.strip():
            sealed.seal(ConcernField.NARROWING_REASON, cmd.narrowing_reason)
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
        for pid in sorted(chosen):
            member = by_id[pid]
            delivery = Delivery(
                id=new_id(),
                concern_id=concern.id,
                recipient_id=pid,
                role=member.role.value,
                platform=member.platform,
                created_at=now,
            )
            uow.concerns.add(delivery)
            enqueue_pointer(
                uow, delivery, PointerKind.NEW_CONCERN, key=f"raise:{delivery.id}", at=now
            )
        uow.audit(
            "concern.raised",
            at=now,
            actor_id=cmd.raiser_id,
            concern_id=concern.id,
            subject=cmd.client_id,
            detail={
                "category": cmd.category.value,
                "severity": cmd.severity.value,
                "lawful_basis": cmd.lawful_basis.value,
                "recipients": len(chosen),
                "narrowed": chosen != set(options.recommended_ids),
                "via": cmd.via,
            },
        )
        uow.audit(
            "concern.routed",
            at=now,
            actor_id=cmd.raiser_id,
            concern_id=concern.id,
            detail={"recipients": sorted(chosen)},
        )
        uow.commit()
        return Raised(concern.id, len(chosen))


def _check_recipients(
    chosen: set[str],
    by_id: dict[str, NetworkMember],
    recommended: frozenset[str],
    cmd: RaiseConcern,
) -> dict[str, str]:
    if not chosen:
        return {"recipients": "Choose at least the lead professional"}
    if not chosen <= set(by_id):
        return {"recipients": "You can only share with people in this client's network"}
    leads = {pid for pid, m in by_id.items() if m.role is Role.LEAD}
    if leads and not leads <= chosen:
        return {"recipients": "The lead professional always receives the concern"}
    if (
        chosen != set(recommended)
        and cmd.recipients is not None
        and not cmd.narrowing_reason.strip()
    ):
        return {"narrowing_reason": "Say why you changed who it goes to"}
    return {}


def add_entry(
    uow: UnitOfWork, concern: Concern, *, author_id: str, kind: str, text: str, at: datetime
) -> ConcernEntry:
    entry = ConcernEntry(
        id=new_id(), concern_id=concern.id, author_id=author_id, kind=kind, created_at=at
    )
    assert concern.data_key_id is not None
    uow.sealed.entry(concern, entry).seal(EntryField.BODY, text)
    uow.concerns.add(entry)
    return entry
