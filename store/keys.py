"""The vault: creates, unwraps (cached per unit of work), re-wraps and shreds data keys."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.crypto import (
    BlindIndex,
    CryptoError,
    KeyRing,
    KeyUnavailable,
    forget,
    new_data_key,
)
from store.models import DataKey, SystemKey, new_id, utcnow


class Vault:
    """Data-key operations for one database session under one key ring."""

    def __init__(self, session: Session, ring: KeyRing) -> None:
        self._session = session
        self._ring = ring
        self._cache: dict[str, bytes] = {}

    def create_key(self, purpose: str) -> str:
        key_id = new_id()
        data_key = new_data_key()
        kid, wrapped = self._ring.wrap(data_key, key_id=key_id)
        self._session.add(DataKey(id=key_id, purpose=purpose, master_kid=kid, wrapped=wrapped))
        self._session.flush()  # rows that reference the key may be flushed before it otherwise
        self._cache[key_id] = data_key
        return key_id

    def data_key(self, key_id: str) -> bytes:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        row = self._session.get(DataKey, key_id)
        if row is None or row.wrapped is None:
            raise KeyUnavailable("data key is shredded or missing")
        key = self._ring.unwrap(row.master_kid, row.wrapped, key_id=key_id)
        self._cache[key_id] = key
        return key

    def shred(self, key_id: str) -> None:
        row = self._session.get(DataKey, key_id)
        if row is not None:
            row.wrapped = None
            row.shredded_at = utcnow()
        key = self._cache.pop(key_id, None)
        if key is not None:
            forget(key)
        self._ring.forget(key_id)

    def system_key(self, name: str) -> bytes:
        """A named application key, created on first use and rotated with the ring."""
        row = self._session.get(SystemKey, name)
        if row is None:
            key_id = self.create_key(f"system:{name}")
            self._session.add(SystemKey(name=name, data_key_id=key_id))
            self._session.flush()
            return self.data_key(key_id)
        return self.data_key(row.data_key_id)

    def blind_index(self) -> BlindIndex:
        return BlindIndex(self.system_key("blind-index"))


@dataclass(frozen=True)
class RotationProgress:
    total: int
    done: int


def keys_to_rewrap(session: Session, ring: KeyRing) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(DataKey)
            .where(DataKey.wrapped.is_not(None), DataKey.master_kid != ring.active_kid)
        )
        or 0
    )


def rewrap_batches(
    session_scope: Callable[[], Session], ring: KeyRing, *, batch: int = 500
) -> Generator[int, None, None]:
    """Re-wrap every data key under the active master key, a committed batch at a time.

    Resumable: each batch commits, and only keys not yet under the active key are picked.
    Bodies are never re-encrypted. Yields the number re-wrapped per batch.
    """
    while True:
        with session_scope() as session, session.begin():
            rows = session.scalars(
                select(DataKey)
                .where(DataKey.wrapped.is_not(None), DataKey.master_kid != ring.active_kid)
                .order_by(DataKey.id)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                assert row.wrapped is not None
                try:
                    key = ring.unwrap(row.master_kid, row.wrapped, key_id=row.id)
                except CryptoError as exc:
                    raise CryptoError(f"data key {row.id} cannot be unwrapped: {exc}") from None
                row.master_kid, row.wrapped = ring.wrap(key, key_id=row.id)
        yield len(rows)
