"""Golden rule 7: record a decision *not* to share, with its reasons, as carefully as a share.

The decision is a concern with status `not_shared`: the same encrypted body (what was
noticed) and the reasons for not sharing in a sealed field of their own (no justification
for sharing is asked for or kept). Nobody is told and no pointer is queued; who may read it
(the raiser, their organisation's safeguarding lead and DPO) is `network.access`'s rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from handlers.concern.answers import NOT_IN_NETWORK, RaiseConcern, validate
from handlers.concern.recording import build_concern, earlier_submission, once_per_submission
from handlers.invalid import Invalid
from handlers.ports import Clock
from handlers.values import ConcernStatus, SharingDecision
from store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DecisionRecorded:
    concern_id: str
    duplicate: bool = False


def record_decision_not_to_share(
    cmd: RaiseConcern, *, uow: UnitOfWork, clock: Clock, reason: str | None = None
) -> DecisionRecorded | Invalid:
    """Store what was noticed and why it is not being shared; tell no one.

    The reasons are `cmd.not_sharing_reason` (`reason`, when given, replaces it).
    """
    cmd = replace(
        cmd,
        decision=SharingDecision.NOT_SHARE,
        rationale="",
        not_sharing_reason=cmd.not_sharing_reason if reason is None else reason,
    )
    errors = validate(cmd)
    if errors:
        return Invalid(errors)
    return once_per_submission(
        uow,
        write=lambda: _record(cmd, uow, clock),
        earlier=lambda: _already_recorded(uow, cmd),
    )


def _record(cmd: RaiseConcern, uow: UnitOfWork, clock: Clock) -> DecisionRecorded | Invalid:
    raiser = uow.directory.practitioner(cmd.raiser_id)
    if raiser is None or uow.directory.membership(cmd.client_id, cmd.raiser_id) is None:
        return Invalid({"client": NOT_IN_NETWORK})
    now = clock.now()
    concern = build_concern(
        uow, cmd, raiser=raiser, status=ConcernStatus.NOT_SHARED, rationale="", at=now
    )
    uow.audit(
        "concern.not_shared",
        at=now,
        actor_id=cmd.raiser_id,
        concern_id=concern.id,
        subject=cmd.client_id,
        detail={
            "category": cmd.category.value,
            "severity": cmd.severity.value,
            "lawful_basis": cmd.lawful_basis.value,
            "special_category": cmd.special_category.value,
            "via": cmd.via,
        },
    )
    uow.commit()
    return DecisionRecorded(concern.id)


def _already_recorded(uow: UnitOfWork, cmd: RaiseConcern) -> DecisionRecorded | Invalid | None:
    earlier = earlier_submission(uow, cmd)
    if earlier is None or isinstance(earlier, Invalid):
        return earlier
    return DecisionRecorded(earlier.id, duplicate=True)
