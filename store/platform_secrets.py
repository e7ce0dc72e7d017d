"""Platform secrets (Slack installations, Teams credentials), encrypted at rest.

Each row's value is AES-256-GCM under its own data key, bound to the row and field, like
any sensitive field; deleting a secret shreds its data key before the row goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.keys import Vault
from store.models import PlatformSecret, new_id
from store.sealed import Sealed, SecretField


class PlatformSecrets:
    """Put, get and delete one secret per (platform, scope)."""

    def __init__(self, session: Session, vault: Vault) -> None:
        self._s = session
        self._vault = vault
        self._sealed = Sealed(vault)

    def _row(self, platform: str, scope: str) -> PlatformSecret | None:
        return self._s.scalars(
            select(PlatformSecret).where(
                PlatformSecret.platform == platform, PlatformSecret.scope == scope
            )
        ).first()

    def put(
        self, platform: str, scope: str, value: str, *, at: datetime, detail: dict[str, Any]
    ) -> None:
        """Store (or replace) a secret; `detail` is plaintext and must hold no secret."""
        row = self._row(platform, scope)
        if row is None:
            row = PlatformSecret(
                id=new_id(),
                platform=platform,
                scope=scope,
                data_key_id=self._vault.create_key(f"secret:{platform}"),
                value_ct=b"",
            )
            self._s.add(row)
        self._sealed.platform_secret(row).seal(SecretField.VALUE, value)
        row.detail = dict(detail)
        row.updated_at = at
        self._s.flush()

    def get(self, platform: str, scope: str) -> str | None:
        row = self._row(platform, scope)
        if row is None:
            return None
        return self._sealed.platform_secret(row).open(SecretField.VALUE)

    def delete(self, platform: str, scope: str) -> bool:
        """Shred the secret's data key, then delete the row; False if there was none."""
        row = self._row(platform, scope)
        if row is None:
            return False
        self._vault.shred(row.data_key_id)
        self._s.delete(row)
        self._s.flush()
        return True

    def scopes(self, platform: str) -> Sequence[str]:
        return self._s.scalars(
            select(PlatformSecret.scope)
            .where(PlatformSecret.platform == platform)
            .order_by(PlatformSecret.scope)
        ).all()
