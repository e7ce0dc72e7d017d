"""Platform secrets are encrypted at rest, bound to their row, and shredded on delete."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from store.crypto import CryptoError
from store.models import DataKey, PlatformSecret
from store.platform_secrets import PlatformSecrets
from tests.conftest import UowFactory

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOKEN = "xoxb-1234-secret-token-value"


def test_put_get_replace_delete(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        secrets = PlatformSecrets(uow.session, uow.vault)
        secrets.put("slack", "team:T1", TOKEN, at=AT, detail={"team_id": "T1"})
        secrets.put("slack", "team:T2", "other", at=AT, detail={})
        uow.commit()
    with uow_factory() as uow:
        secrets = PlatformSecrets(uow.session, uow.vault)
        assert secrets.get("slack", "team:T1") == TOKEN
        assert secrets.get("teams", "team:T1") is None
        assert list(secrets.scopes("slack")) == ["team:T1", "team:T2"]
        row = uow.session.scalars(
            select(PlatformSecret).where(PlatformSecret.scope == "team:T1")
        ).one()
        assert TOKEN.encode() not in row.value_ct and row.detail == {"team_id": "T1"}
        secrets.put("slack", "team:T1", TOKEN + "-rotated", at=AT, detail={"team_id": "T1"})
        uow.commit()
    with uow_factory() as uow:
        secrets = PlatformSecrets(uow.session, uow.vault)
        assert secrets.get("slack", "team:T1") == TOKEN + "-rotated"
        key_id = uow.session.scalars(
            select(PlatformSecret.data_key_id).where(PlatformSecret.scope == "team:T1")
        ).one()
        assert secrets.delete("slack", "team:T1") is True
        assert secrets.delete("slack", "team:T1") is False
        uow.commit()
    with uow_factory() as uow:
        key = uow.session.get(DataKey, key_id)
        assert key is not None and key.wrapped is None  # shredded
        assert PlatformSecrets(uow.session, uow.vault).get("slack", "team:T1") is None


def test_a_ciphertext_moved_to_another_row_does_not_open(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        secrets = PlatformSecrets(uow.session, uow.vault)
        secrets.put("slack", "team:T1", TOKEN, at=AT, detail={})
        secrets.put("slack", "team:T2", "other", at=AT, detail={})
        uow.commit()
    with uow_factory() as uow:
        rows = {r.scope: r for r in uow.session.scalars(select(PlatformSecret))}
        rows["team:T2"].value_ct = rows["team:T1"].value_ct
        rows["team:T2"].data_key_id = rows["team:T1"].data_key_id
        uow.commit()
    with uow_factory() as uow, pytest.raises(CryptoError):
        PlatformSecrets(uow.session, uow.vault).get("slack", "team:T2")
