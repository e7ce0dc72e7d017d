"""The restore drill in docs/operations.md, performed: pg_dump a database holding concerns,
restore it into another, read the concerns with the key ring, and verify the audit chain."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from handlers.concern.viewing import Unreadable, view_concern
from store.audit import verify
from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.unit_of_work import UnitOfWork
from tests.canary_concern import canary_client, raise_canary_concern
from tests.conftest import FakeClock, UowFactory, _pg_database
from tests.directory import seed_directory
from tests.identifiers import fresh_nhs_number

pytestmark = pytest.mark.postgres
FIELDS = ("label", "noticed", "rationale", "family_reason", "narrowing_reason", "protected")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _units(engine: Engine, ring: KeyRing) -> UowFactory:
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions, ring)


def test_a_pg_dump_restored_elsewhere_opens_with_the_key_ring_and_verifies(
    tmp_path: Path,
) -> None:
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "postgresql-client needed"
    with contextlib.ExitStack() as stack:
        source_url = stack.enter_context(contextlib.contextmanager(_pg_database)())
        target_url = stack.enter_context(contextlib.contextmanager(_pg_database)())
        source, target = make_engine(source_url), make_engine(target_url)
        stack.callback(source.dispose)
        stack.callback(target.dispose)
        ring, clock = KeyRing.parse(generate_master_key_spec("drill1")), FakeClock()
        upgrade(source)
        live = _units(source, ring)
        people = seed_directory(live, clock.now()).people
        texts = {field: f"drill-{field}-{secrets.token_hex(6)}" for field in FIELDS}
        client = canary_client(live, clock, name=texts["label"], nhs=fresh_nhs_number())
        raised = raise_canary_concern(live, clock, people, client, texts, recipients=["chloe"])
        with live() as uow:
            before = verify(uow.session)
        assert before.ok and before.checked > 0

        dump = tmp_path / "flare.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--file", str(dump), _libpq(source_url)], check=True
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", _libpq(target_url), str(dump)], check=True
        )

        restored = _units(target, ring)
        view = view_concern(
            restored(), concern_id=raised.concern_id, practitioner_id=people["chloe"], clock=clock
        )
        assert view.client_label == texts["label"]
        assert view.rationale == texts["rationale"]
        assert texts["noticed"] in [entry.text for entry in view.entries]
        with restored() as uow:
            # The source's head, kept apart as the docs ask, is still in the restored chain.
            after = verify(uow.session, expect_head=f"{before.head_seq}:{before.head_hash}")
        # The restore holds every event the source had, plus the view just audited.
        assert after.ok and after.checked == before.checked + 1

        # Without the key ring a backup is ciphertext: keep the ring apart from the dumps.
        stranger = _units(target, KeyRing.parse(generate_master_key_spec("drill1")))
        with pytest.raises(Unreadable):
            view_concern(
                stranger(),
                concern_id=raised.concern_id,
                practitioner_id=people["chloe"],
                clock=clock,
            )
