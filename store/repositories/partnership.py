"""The partnership's settings: one row per setting a partnership admin changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import PartnershipSetting


class PartnershipRepository:
    """Partnership-wide settings, stored sparsely (a missing row keeps the default)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def values(self) -> dict[str, Any]:
        """Every stored setting, by name."""
        return {row.name: row.value for row in self._s.scalars(select(PartnershipSetting))}

    def put(self, name: str, value: Any, *, at: datetime) -> None:
        row = self._s.get(PartnershipSetting, name)
        if row is None:
            self._s.add(PartnershipSetting(name=name, value=value, updated_at=at))
        else:
            row.value, row.updated_at = value, at
