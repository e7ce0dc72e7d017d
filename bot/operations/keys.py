"""`flare keys`: make a master key, re-wrap data keys under the active one, show where they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.operations.environment import fail, open_runtime

if TYPE_CHECKING:
    from bot.runtime import Runtime

REWRAP_BATCH = 500


@click.group()
def keys() -> None:
    """Master keys (FLARE_MASTER_KEYS) and the data keys they wrap."""


@keys.command("generate")
@click.option("--kid", default=None, help="Key id (letters, digits, . _ -); random if omitted.")
def generate(kid: str | None) -> None:
    """Print a new master key as KID:BASE64 (only the key goes to stdout).

    To make it the active key, put it first in FLARE_MASTER_KEYS and keep the old keys
    after it, then run `flare keys rotate`; once that reports nothing left under an old
    key, that key can be removed from the ring.
    """
    from store.crypto import CryptoError, KeyRing, generate_master_key_spec

    spec = generate_master_key_spec(kid)
    try:
        KeyRing.parse(spec)  # the ring's own checks decide what a valid key id is
    except CryptoError as exc:
        raise click.BadParameter(str(exc), param_hint="--kid") from None
    click.echo(spec)
    new_kid = spec.split(":", 1)[0]
    click.echo(
        f'flare: prepend it to the ring, e.g. FLARE_MASTER_KEYS="{new_kid}:...,$FLARE_MASTER_KEYS"'
        " (in demo mode the ring is in var/master.key), then run `flare keys rotate`",
        err=True,
    )


@keys.command("rotate")
@click.option("--batch", default=REWRAP_BATCH, show_default=True, type=click.IntRange(1, 10000))
def rotate(batch: int) -> None:
    """Re-wrap every data key under the active (first) master key.

    Bodies are not re-encrypted: only the data keys are unwrapped with their old master
    key and wrapped again. Each batch commits, so an interrupted run loses nothing; run
    the command again and it continues where it stopped.
    """
    from store.crypto import CryptoError
    from store.keys import keys_to_rewrap, rewrap_batches

    runtime = open_runtime()
    ring = runtime.ring
    with runtime.sessions() as session:
        total = keys_to_rewrap(session, ring)
    done, problem, code = 0, "", 1
    try:
        if total:
            with click.progressbar(
                length=total, label=f"flare: re-wrapping {total} data keys under {ring.active_kid}"
            ) as bar:
                for count in rewrap_batches(runtime.sessions, ring, batch=batch):
                    done += count
                    bar.update(count)
    except CryptoError as exc:
        problem = (
            f"flare: stopped after {done} of {total}: {exc}. Add that master key back to "
            "FLARE_MASTER_KEYS (after the active one) and run `flare keys rotate` again"
        )
    except KeyboardInterrupt:
        problem = f"flare: interrupted after {done} of {total}; run `flare keys rotate` again"
        code = 130
    if done:
        _audit_rotation(runtime, done, complete=not problem)
    if problem:
        fail(problem, code=code)
    counts = _counts(runtime)
    click.echo(
        f"flare: re-wrapped {done} data keys; {counts.get(ring.active_kid, 0)} live data keys "
        f"are under the active key {ring.active_kid}"
    )
    retired = sorted(kid for kid in ring.kids if kid != ring.active_kid and not counts.get(kid))
    if retired:
        click.echo(f"flare: no data key uses {', '.join(retired)}; it can leave the ring")


@keys.command("status")
def status() -> None:
    """How many live data keys each master key wraps, and which ids the ring is missing."""
    runtime = open_runtime()
    ring = runtime.ring
    counts = _counts(runtime)
    for kid in sorted(set(counts) | set(ring.kids)):
        note = "active" if kid == ring.active_kid else "in ring" if kid in ring.kids else "MISSING"
        click.echo(f"{kid}\t{counts.get(kid, 0)}\t{note}")
    missing = sorted(kid for kid in counts if kid not in ring.kids)
    if missing:
        fail(
            f"flare: data keys are wrapped by {', '.join(missing)}, which FLARE_MASTER_KEYS "
            "does not hold; their data cannot be read"
        )


def _counts(runtime: Runtime) -> dict[str, int]:
    """Live (not shredded) data keys per master key id."""
    from sqlalchemy import func, select

    from store.models import DataKey

    with runtime.sessions() as session:
        rows = session.execute(
            select(DataKey.master_kid, func.count())
            .where(DataKey.wrapped.is_not(None))
            .group_by(DataKey.master_kid)
        ).all()
    return {kid: count for kid, count in rows}


def _audit_rotation(runtime: Runtime, rewrapped: int, *, complete: bool) -> None:
    with runtime.uow() as uow:
        uow.audit(
            "keys.rotated",
            at=runtime.clock.now(),
            detail={
                "active": runtime.ring.active_kid,
                "rewrapped": rewrapped,
                "complete": complete,
                "by": "cli",
            },
        )
        uow.commit()
