"""Ports: what the use cases need from the outside world, and the Pointer they may send.

A `Pointer` has no free-text field. Every field is an enum, a number, a time, an opaque
random id or a Flare link, and construction checks it, so no concern body, client name,
identifier or rationale can be put into one — whatever an adapter or a later change tries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from handlers.values import ChosenBecause, Platform, PointerKind, Severity

OPAQUE_ID = re.compile(r"^[0-9a-f]{32}$")
LINK = re.compile(r"^https?://[A-Za-z0-9.:\-\[\]]+(/[A-Za-z0-9_\-./]*)?$")
REF_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]{0,128}$")


class Clock(Protocol):
    def now(self) -> datetime: ...


class LinkMinter(Protocol):
    """Mints link tokens (>= 256 random bits) and the public URL that carries one."""

    def mint(self) -> str: ...

    def url(self, token: str) -> str: ...


@dataclass(frozen=True)
class MessageRef:
    """Where a pointer landed on a platform (channel and ts, conversation and activity id)."""

    values: Mapping[str, str]

    def __post_init__(self) -> None:
        for key, value in self.values.items():
            if not (REF_VALUE.match(key) and REF_VALUE.match(value)):
                raise ValueError("a message reference holds platform ids only")


@dataclass(frozen=True)
class Pointer:
    kind: PointerKind
    recipient_id: str
    platform: Platform
    idempotency_key: str
    link: str | None = None
    concern_id: str | None = None
    severity: Severity | None = None
    raised_at: datetime | None = None
    entries: int = 0
    recipients: int = 0
    can_acknowledge: bool = False
    can_close: bool = False
    can_ask_to_join: bool = False  # a receipt to a raiser outside the network
    join_request_id: str | None = None  # a join request its recipient may decide now
    acknowledged_at: datetime | None = None
    by_recipient: bool = False
    escalation_level: int = 0
    updates: MessageRef | None = field(default=None)
    awaiting: int = 0
    follow_ups_due: int = 0
    advice_to_give: int = 0  # the digest's advice figures (counts only, never a draft)
    advice_given: int = 0
    chosen: ChosenBecause | None = None  # why this recipient was chosen: a closed reason

    def __post_init__(self) -> None:
        if not isinstance(self.kind, PointerKind) or not isinstance(self.platform, Platform):
            raise TypeError("pointer kind and platform must be enum members")
        if self.severity is not None and not isinstance(self.severity, Severity):
            raise TypeError("pointer severity must be a Severity")
        if self.chosen is not None and not isinstance(self.chosen, ChosenBecause):
            raise TypeError("pointer chosen must be a ChosenBecause")
        opaque = ("concern_id", "join_request_id")
        for name in ("recipient_id", *(n for n in opaque if getattr(self, n))):
            if not OPAQUE_ID.match(getattr(self, name)):
                raise ValueError(f"pointer {name} must be an opaque id")
        if not REF_VALUE.match(self.idempotency_key) or not self.idempotency_key:
            raise ValueError("pointer idempotency key must be an opaque key")
        if self.link is not None and not LINK.match(self.link):
            raise ValueError("pointer link must be a plain Flare URL")
        counts = ("entries", "recipients", "escalation_level", "awaiting", "follow_ups_due")
        for name in (*counts, "advice_to_give", "advice_given"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"pointer {name} must be a non-negative count")


@dataclass(frozen=True)
class Sent:
    ref: MessageRef


@dataclass(frozen=True)
class RetryLater:
    """A transient failure; `after` seconds comes from Retry-After when the platform gave one."""

    reason: str
    after: float | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class Undeliverable:
    """A permanent failure (unknown user, app removed): retrying will not help."""

    reason: str


SendResult = Sent | RetryLater | Undeliverable


class Notifier(Protocol):
    """A chat platform as the use cases see it: it takes pointers, nothing else."""

    platform: Platform

    def send(self, pointer: Pointer) -> SendResult: ...

    def find(self, pointer: Pointer) -> MessageRef | None:
        """After an ambiguous attempt: did a message with this idempotency key land?"""
        ...
