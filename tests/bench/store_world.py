"""The store bench's two throwaway databases: one seeded at 1x, one at 10x.

Each is a whole Flare (its own runtime, clock, filler key and practitioners) on a database
of its own on 127.0.0.1 (FLARE_BENCH_PG names the server), dropped at the end, also when the
run fails. The 10x database holds the 1x database's rows and nine times as many more.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert

from bot.composition import build_runtime
from bot.config import Settings
from bot.playground.notifier import PlaygroundNotifier
from bot.runtime import Runtime
from handlers.values import Platform
from store.crypto import generate_master_key_spec
from store.migrate import upgrade
from store.models import Client, Organisation, new_id
from store.sealed import ClientField
from tests.bench.store_plans import Explainer
from tests.bench.store_report import NETWORKS_OF_ONE
from tests.bench.store_seed import ORGANISATIONS, Filler, Sizes, renice_backend, rid


@dataclass
class BenchClock:
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.at


@contextmanager
def bench_database() -> Iterator[str]:
    admin = os.environ.get(
        "FLARE_BENCH_PG",
        os.environ.get("FLARE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    name = f"flare_bench_store_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    """One database and the Flare on it; `result` gathers what is measured there."""

    runtime: Runtime
    url: str
    sizes: Sizes
    clock: BenchClock
    filler: Filler
    explainer: Explainer
    label: str = ""  # "1x" or "10x"
    clients: int = 0  # clients 0 .. clients - 1 are seeded
    inbox_person: str = ""
    inbox_clients: frozenset[int] = frozenset()  # the networks that practitioner is in
    result: dict[str, Any] = field(default_factory=dict)

    def psycopg(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self.url)
        renice_backend(conn)
        return conn


def build(url: str, sizes: Sizes, var_dir: Path, label: str) -> World:
    var_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        env="test",
        public_url="https://flare.bench",
        database_url=url,
        master_keys=generate_master_key_spec("bench"),
        var_dir=var_dir,
        run_worker_in_serve=False,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    clock = BenchClock()
    runtime.clock = clock  # type: ignore[assignment]
    runtime.notifiers[Platform.PLAYGROUND] = PlaygroundNotifier(runtime.uow, clock)
    organisations = [new_id() for _ in range(ORGANISATIONS)]
    with runtime.uow() as uow:
        uow.session.execute(
            insert(Organisation),
            [
                {"id": o, "ref": f"org-{n}", "name": f"Agency {n}", "kind": "school", "policy": {}}
                for n, o in enumerate(organisations)
            ],
        )
        key_id = uow.vault.create_key("bench-filler")
        filler_row = Client(id="filler", data_key_id=key_id)
        uow.sealed.client(filler_row).seal(ClientField.LABEL, "filler")
        blob = filler_row.label_ct
        blind = uow.vault.blind_index()
        uow.commit()
    filler = Filler(key_id, "\\\\x" + blob.hex(), blind, tuple(organisations))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cols = "id, ref, organisation_id, name, job_title, preferred_platform, is_admin, active"
        with cur.copy(f"COPY practitioners ({cols}, created_at) FROM STDIN") as copy:
            for n in range(sizes.practitioners):
                org = organisations[n % ORGANISATIONS]
                person = f"{rid('0b', n)}\tbench-p{n}\t{org}\tP {n}\t\tplayground\tf\tt"
                copy.write(f"{person}\t2025-01-01T00:00:00+00:00\n")
        for n, org in enumerate(organisations):  # escalation's last step
            cur.execute(
                "UPDATE organisations SET duty_contact_id = %s WHERE id = %s", (rid("0b", n), org)
            )
        conn.commit()
    explainer = Explainer(runtime.engine, url)
    return World(runtime, url, sizes, clock, filler, explainer, label)


def add_inbox_person(world: World, clients: int) -> None:
    """A practitioner in 200 networks (fewer at toy sizes), with two delivered concerns in
    each (half unread), among the first `clients` clients."""
    networks = min(NETWORKS_OF_ONE, clients)
    person = rid("0b", world.sizes.practitioners + 1)
    with world.psycopg() as conn:
        conn.execute(
            "INSERT INTO practitioners (id, ref, organisation_id, name, job_title, "
            "preferred_platform, is_admin, active, created_at) VALUES "
            "(%s, 'bench-inbox', %s, 'Inbox', '', 'playground', false, true, now())",
            (person, world.filler.organisation_ids[0]),
        )
        per = world.sizes.concerns_per_client
        for n in range(networks):
            client = n * (clients // networks)
            conn.execute(
                "INSERT INTO memberships (id, client_id, practitioner_id, role, created_at) "
                "VALUES (%s, %s, %s, 'member', now())",
                (new_id(), rid("0c", client), person),
            )
            for k in range(per):
                concern = rid("0e", client * per + k)
                conn.execute(
                    "INSERT INTO deliveries (id, concern_id, recipient_id, role, platform, "
                    "created_at, delivered_at, viewed_at) VALUES (%s, %s, %s, 'member', "
                    "'playground', now(), now(), CASE WHEN %s THEN now() END)",
                    (new_id(), concern, person, k % 2 == 0),
                )
        conn.commit()
    world.inbox_person = person
    world.inbox_clients = frozenset(n * (clients // networks) for n in range(networks))
