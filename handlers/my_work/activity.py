"""What just happened, for the demo console: pointers sent, links opened, acknowledgements.

Read from the audit trail, which holds ids, kinds and platforms — never content — so a line
built from it names a practitioner and a platform and nothing about the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.unit_of_work import UnitOfWork

POINTER_SENT = "pointer.delivered"
LINK_OPENED = "link.opened"
ACKNOWLEDGED = "concern.acknowledged"
ACTIONS = (POINTER_SENT, LINK_OPENED, ACKNOWLEDGED)


@dataclass(frozen=True)
class Happening:
    seq: int
    action: str
    practitioner: str
    platform: str = ""
    kind: str = ""

    def sentence(self) -> str:
        """One line a newcomer reads at a glance."""
        if self.action == POINTER_SENT:
            kind = self.kind.replace("_", " ")
            return f"pointer sent to {self.practitioner} on {self.platform} ({kind})"
        if self.action == LINK_OPENED:
            return f"link opened by {self.practitioner}"
        return f"concern acknowledged by {self.practitioner}"


def latest_seq(uow: UnitOfWork) -> int:
    """Where a console that starts now begins: it tells what happens from here on."""
    with uow:
        return uow.audit_head_seq()


def happenings_since(uow: UnitOfWork, after_seq: int, *, limit: int = 100) -> list[Happening]:
    """Pointers sent, links opened and acknowledgements after `after_seq`, oldest first."""
    with uow:
        events = uow.audit_since(after_seq, actions=ACTIONS, limit=limit)
        names = {p.id: p.name for p in uow.directory.practitioners()} if events else {}
        happenings = []
        for event in events:
            detail = event.detail or {}
            who = event.actor_id if event.action != POINTER_SENT else detail.get("recipient")
            happenings.append(
                Happening(
                    seq=event.seq,
                    action=event.action,
                    practitioner=names.get(str(who), "someone no longer in the directory"),
                    platform=str(detail.get("platform", "")),
                    kind=str(detail.get("kind", "")),
                )
            )
        return happenings
