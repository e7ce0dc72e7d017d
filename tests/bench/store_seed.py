"""Fill a Flare database at a council's scale with COPY, with a progress bar.

Rows are made in Python in blocks and streamed through PostgreSQL's COPY. They are
consistent (every foreign key points at a row that exists, every audit event links to the
one before it), so foreign-key triggers are switched off for the loading session only
(`session_replication_role = replica`) instead of checked row by row. Ids are 32 hex digits
like Flare's, but counted rather than random, so the primary-key indexes grow at their end.

Filler rows are history that no sweep should touch: concerns closed inside the retention
period and raised before the pattern window, pointers already sent, follow-ups done. Their
ciphertexts share one filler data key; the rows the bench measures are made through
Flare's own handlers.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

import click
import psycopg

from store.crypto import BlindIndex

BLOCK = 20_000
PROGRESS_SECONDS = 10.0  # a line this often when stderr is no terminal (no bar drawn)
ORGANISATIONS = 20
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # filler history lies before this


def rid(tag: str, n: int) -> str:
    """A Flare-shaped id: two hex digits naming the table, then the row number."""
    return f"{tag}{n:030x}"


@dataclass(frozen=True)
class Sizes:
    """Row counts at scale 1: 1M clients, 5M memberships, 2M concerns, 10M audit events."""

    clients: int
    memberships_per_client: int = 5
    concerns_per_client: int = 2
    audit_per_client: int = 10

    @classmethod
    def at(cls, scale: float) -> Sizes:
        return cls(clients=max(10, round(1_000_000 * scale)))

    @property
    def practitioners(self) -> int:
        return max(50, self.clients // 50)

    @property
    def concerns(self) -> int:
        return self.clients * self.concerns_per_client

    @property
    def memberships(self) -> int:
        return self.clients * self.memberships_per_client

    @property
    def audit_events(self) -> int:
        return self.clients * self.audit_per_client

    def member(self, client: int, k: int) -> int:
        """The k-th member (k < 5) of a client's network; k = 0 is the lead."""
        # + k: members of one network come from different organisations (n % 20)
        return (client * 7 + k * (self.practitioners // 5 + 1)) % self.practitioners


@dataclass(frozen=True)
class Filler:
    """What filler rows share: the filler data key and a sealed blob to store."""

    data_key_id: str
    blob_hex: str
    blind: BlindIndex
    organisation_ids: tuple[str, ...]


def _ts(at: datetime) -> str:
    return at.isoformat()


@cache
def _days_ago(days: int, hours: int = 0) -> str:
    """A filler timestamp; filler times come from a few thousand values, so each is made once."""
    return _ts(EPOCH - timedelta(days=days, hours=hours))


@cache
def _concern_times(days: int, hours: int) -> tuple[str, str, str, str]:
    """raised, acknowledge_by, acknowledged_at, closed_at."""
    raised = EPOCH - timedelta(days=days, hours=hours)
    return (
        _ts(raised),
        _ts(raised + timedelta(days=2)),
        _ts(raised + timedelta(hours=3)),
        _ts(raised + timedelta(days=20)),
    )


class Loader:
    """COPY blocks of rows into one table, moving one progress bar."""

    def __init__(self, conn: psycopg.Connection[Any], total: int, label: str) -> None:
        self.conn = conn
        self.bar = click.progressbar(
            length=total, label=label, file=sys.stderr, show_pos=True, show_eta=True
        )
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.total, self.label, self.started = total, label, time.monotonic()
        self.drawn = sys.stderr.isatty()  # click draws no bar on a file (a log): say lines
        self.said_at = self.started

    def copy(self, table: str, columns: str, lines: Iterator[str]) -> None:
        """COPY into `table` with its plain (non-unique) indexes dropped, then rebuilt."""
        indexes = self.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname LIKE 'ix%%' AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
            (table,),
        ).fetchall()
        started = time.perf_counter()
        for name, _definition in indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self._copy(table, columns, lines)
        for _name, definition in indexes:
            self.conn.execute(definition)
        self.conn.commit()
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started

    def _copy(self, table: str, columns: str, lines: Iterator[str]) -> None:
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            block: list[str] = []
            for line in lines:
                block.append(line)
                if len(block) >= BLOCK:
                    copy.write("".join(block))
                    self._moved(table, len(block))
                    block = []
            if block:
                copy.write("".join(block))
                self._moved(table, len(block))

    def _moved(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count
        self.bar.update(count)
        if not self.drawn and time.monotonic() - self.said_at >= PROGRESS_SECONDS:
            self.said_at = time.monotonic()
            print(self.progress_line(), file=sys.stderr, flush=True)

    def progress_line(self) -> str:
        """The bar as one line of text, for a log (`make bench` run without a terminal)."""
        done = sum(self.rows.values())
        elapsed = time.monotonic() - self.started
        left = elapsed * (self.total - done) / done if done else 0.0
        return (
            f"{self.label}: {done:,} of {self.total:,} rows "
            f"({100 * done / max(self.total, 1):.0f}%), {elapsed:.0f} s, about {left:.0f} s left"
        )


def renice_backend(conn: psycopg.Connection[Any]) -> None:
    """Lower the priority of this connection's own PostgreSQL backend (a shared machine)."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        if pid:
            os.setpriority(os.PRIO_PROCESS, int(pid[0]), 19)
    except OSError:
        pass  # not ours to renice: the load is bounded anyway


def seed_range(
    conn: psycopg.Connection[Any], sizes: Sizes, filler: Filler, start: int, stop: int, label: str
) -> dict[str, tuple[int, float]]:
    """Clients [start, stop) with their identifiers, networks, concerns and history.

    Returns (rows, seconds) per table."""
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET maintenance_work_mem = '512MB'")
    total = (stop - start) * (
        2 + sizes.memberships_per_client + sizes.concerns_per_client * 3.25 + sizes.audit_per_client
    )
    loader = Loader(conn, int(total), label)
    with loader.bar:
        steps: list[tuple[str, str, Callable[[], Iterator[str]]]] = [
            ("clients", "id, reference, data_key_id, label_ct, created_at",
             lambda: _clients(filler, start, stop)),
            ("client_identifiers", "id, client_id, kind, value_ct, blind",
             lambda: _identifiers(filler, start, stop)),
            ("memberships", "id, client_id, practitioner_id, role, created_at",
             lambda: _memberships(sizes, start, stop)),
            ("concerns", CONCERN_COLUMNS, lambda: _concerns(sizes, filler, start, stop)),
            ("deliveries", DELIVERY_COLUMNS, lambda: _deliveries(sizes, start, stop)),
            ("outbox", OUTBOX_COLUMNS, lambda: _outbox(sizes, start, stop)),
            ("follow_ups", FOLLOW_UP_COLUMNS, lambda: _follow_ups(sizes, start, stop)),
        ]  # fmt: skip
        for table, columns, lines in steps:
            loader.copy(table, columns, lines())
        seq, head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone() or (
            0,
            "0" * 64,
        )
        events = (stop - start) * sizes.audit_per_client
        chain = AuditChain(int(seq), str(head))
        loader.copy("audit_events", AUDIT_COLUMNS, chain.lines(sizes, start, events))
        conn.execute(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (chain.seq, chain.head),
        )
        conn.commit()
    conn.execute("SET session_replication_role = origin")
    conn.commit()
    return {t: (n, loader.seconds[t]) for t, n in loader.rows.items()}


def _clients(filler: Filler, start: int, stop: int) -> Iterator[str]:
    key, blob = filler.data_key_id, filler.blob_hex
    for n in range(start, stop):
        yield f"{rid('0c', n)}\tB-{n}\t{key}\t{blob}\t{_days_ago(400 + n % 300, n % 24)}\n"


def identifier(n: int) -> str:
    return f"R{n}"


def _identifiers(filler: Filler, start: int, stop: int) -> Iterator[str]:
    blob = filler.blob_hex
    for n in range(start, stop):
        blind = filler.blind.digest("reference", identifier(n))
        yield f"{rid('1c', n)}\t{rid('0c', n)}\treference\t{blob}\t{blind}\n"


ROLES = ("lead", "deputy", "member", "member", "member")


def _memberships(sizes: Sizes, start: int, stop: int) -> Iterator[str]:
    at = _days_ago(400)
    per = sizes.memberships_per_client
    for n in range(start, stop):
        client = rid("0c", n)
        for k in range(per):
            person = rid("0b", sizes.member(n, k))
            yield f"{rid('0a', n * per + k)}\t{client}\t{person}\t{ROLES[k % 5]}\t{at}\n"


CONCERN_COLUMNS = (
    "id, client_id, raiser_id, submission_key, category, severity, lawful_basis, "
    "family_informed, data_key_id, rationale_ct, status, acknowledge_by, acknowledged_at, "
    "acknowledged_by_id, escalation_level, created_at, closed_at"
)
CATEGORIES = ("neglect", "physical", "emotional", "health", "education", "housing")
SEVERITIES = ("high", "medium", "low", "medium")


def _concerns(sizes: Sizes, filler: Filler, start: int, stop: int) -> Iterator[str]:
    per = sizes.concerns_per_client
    key, blob = filler.data_key_id, filler.blob_hex
    for n in range(start, stop):
        lead = rid("0b", sizes.member(n, 0))
        raiser = rid("0b", sizes.member(n, 2))
        for k in range(per):
            c = n * per + k
            raised, ack_by, ack_at, closed = _concern_times(60 + c % 300, c % 24)
            yield (
                f"{rid('0e', c)}\t{rid('0c', n)}\t{raiser}\tbench-{c}\t{CATEGORIES[c % 6]}\t"
                f"{SEVERITIES[c % 4]}\tpublic_task\tyes\t{key}\t{blob}\tclosed\t"
                f"{ack_by}\t{ack_at}\t{lead}\t0\t{raised}\t{closed}\n"
            )


DELIVERY_COLUMNS = (
    "id, concern_id, recipient_id, role, platform, created_at, delivered_at, viewed_at, "
    "acknowledged_at"
)


def _deliveries(sizes: Sizes, start: int, stop: int) -> Iterator[str]:
    per = sizes.concerns_per_client
    for n in range(start, stop):
        lead = rid("0b", sizes.member(n, 0))
        for k in range(per):
            c = n * per + k
            at = _days_ago(60 + c % 300)
            times = f"{at}\t{at}\t{at}\t{at}"
            yield f"{rid('0d', c)}\t{rid('0e', c)}\t{lead}\tlead\tplayground\t{times}\n"


OUTBOX_COLUMNS = (
    "id, idempotency_key, recipient_id, platform, kind, concern_id, delivery_id, detail, "
    "state, attempts, next_attempt_at, created_at, sent_at"
)


def _outbox(sizes: Sizes, start: int, stop: int) -> Iterator[str]:
    per = sizes.concerns_per_client
    for n in range(start, stop):
        lead = rid("0b", sizes.member(n, 0))
        for k in range(per):
            c = n * per + k
            at = _days_ago(60 + c % 300)
            yield (
                f"{rid('0f', c)}\tdelivery:{rid('0d', c)}:new_concern\t{lead}\tplayground\t"
                f"new_concern\t{rid('0e', c)}\t{rid('0d', c)}\t{{}}\tsent\t1\t{at}\t{at}\t{at}\n"
            )


FOLLOW_UP_COLUMNS = (
    "id, concern_id, owner_id, created_by_id, due_at, state, reminders_sent, created_at, done_at"
)


def _follow_ups(sizes: Sizes, start: int, stop: int) -> Iterator[str]:
    per = sizes.concerns_per_client
    for n in range(start, stop):
        lead = rid("0b", sizes.member(n, 0))
        c = n * per
        if n % 2:
            continue  # one follow-up for every four concerns
        due, made = _days_ago(50 + c % 300), _days_ago(57 + c % 300)
        yield (f"{rid('1f', c)}\t{rid('0e', c)}\t{lead}\t{lead}\t{due}\tdone\t3\t{made}\t{due}\n")


AUDIT_COLUMNS = "seq, at, action, actor_id, concern_id, subject, detail, prev_hash, hash"
ACTIONS = (
    "concern.raised",
    "pointer.sent",
    "link.opened",
    "concern.viewed",
    "concern.acknowledged",
)


class AuditChain:
    """Audit events hashed exactly as store.audit does, continuing from a head.

    The canonical JSON is written out by hand (the same bytes as store.audit's json.dumps
    with sorted keys: every value here is plain ASCII); the bench verifies the chain it
    made, so a difference would fail the run.
    """

    def __init__(self, seq: int, head: str) -> None:
        self.seq, self.head = seq, head

    def lines(self, sizes: Sizes, first_client: int, count: int) -> Iterator[str]:
        per_client = sizes.audit_per_client
        for i in range(count):
            client = first_client + i // per_client
            concern = rid("0e", client * sizes.concerns_per_client)
            actor = rid("0b", sizes.member(client, i % 5))
            yield self.append(ACTIONS[i % len(ACTIONS)], actor, concern)

    def append(self, action: str, actor: str, concern: str) -> str:
        self.seq = seq = self.seq + 1
        at = f"{_second(seq // 100)}.{seq % 100 * 10_000:06d}+00:00"  # 100 events a second
        canonical = (
            f'{{"action":"{action}","actor":"{actor}","at":"{at}","concern":"{concern}",'
            f'"detail":{{}},"prev":"{self.head}","seq":{seq},"subject":null}}'
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        line = f"{seq}\t{at}\t{action}\t{actor}\t{concern}\t\\N\t{{}}\t{self.head}\t{digest}\n"
        self.head = digest
        return line


@lru_cache(maxsize=4096)
def _second(n: int) -> str:
    return (EPOCH - timedelta(days=30) + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S")
