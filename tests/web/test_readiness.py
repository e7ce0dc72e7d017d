"""`/readyz` takes a replica out of rotation when it could not serve: no database, a schema
that is not at head, or a key ring that cannot open the data it holds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store.crypto import KeyRing, generate_master_key_spec
from store.db import make_engine
from store.migrate import upgrade
from store.readiness import migration_heads
from tests.store.test_migrations import downgrade_to_the_squash
from tests.web.conftest import World


def _readyz(world: World) -> tuple[int, dict[str, object]]:
    response = world.browser("amara").get("/readyz")
    return response.status_code, response.json()


def test_ready_when_database_schema_and_keys_are_sound(world: World) -> None:
    assert _readyz(world) == (200, {"ready": True})


def test_not_ready_when_the_schema_is_not_at_head(world: World) -> None:
    (head,) = migration_heads()  # one history, one head
    with world.runtime.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_one'"))
    try:
        assert _readyz(world) == (503, {"ready": False, "reason": "schema_not_at_head"})
    finally:
        with world.runtime.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert _readyz(world)[0] == 200


# PostgreSQL only: going back to 0001 on SQLite rebuilds tables under a seeded directory's
# keys; the same re-stamp on SQLite is in tests/store/test_migrations.py, on an empty store.
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_database_at_the_head_before_the_squash_is_ready_after_db_upgrade(
    world: World,
) -> None:
    downgrade_to_the_squash(world.runtime.engine)
    assert _readyz(world) == (503, {"ready": False, "reason": "schema_not_at_head"})
    upgrade(world.runtime.engine)  # what `flare db upgrade` runs: it re-stamps, builds nothing
    assert _readyz(world) == (200, {"ready": True})


def test_not_ready_when_the_active_master_key_cannot_unwrap_a_data_key(world: World) -> None:
    sound = world.runtime.ring
    # The same key id with other key material: what a mistyped FLARE_MASTER_KEYS looks like.
    world.runtime.ring = KeyRing.parse(generate_master_key_spec(sound.active_kid))
    assert _readyz(world) == (503, {"ready": False, "reason": "master_key_cannot_unwrap"})
    # A ring that lacks the key the data was wrapped under (an old key dropped too early).
    world.runtime.ring = KeyRing.parse(generate_master_key_spec("other"))
    assert _readyz(world) == (503, {"ready": False, "reason": "master_key_cannot_unwrap"})
    world.runtime.ring = sound
    assert _readyz(world)[0] == 200


def test_not_ready_when_the_database_is_unreachable(world: World) -> None:
    sound = world.runtime.engine
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    world.runtime.engine = make_engine("postgresql://flare@127.0.0.1:1/flare")
    try:
        assert _readyz(world) == (503, {"ready": False, "reason": "database_unreachable"})
    finally:
        world.runtime.engine.dispose()
        world.runtime.engine = sound
