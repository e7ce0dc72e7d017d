"""`flare worker` (the scheduler and its sweeps), `flare retention run`, `hold` and `release`."""

from __future__ import annotations

import signal
import threading

import click

from bot.operations.environment import SETTINGS_EXIT, claim_database, fail, open_runtime


@click.command()
@click.option("--no-sweeps", is_flag=True, help="Deliver the outbox only (no escalations etc.).")
def worker(no_sweeps: bool) -> None:
    """Deliver the outbox and run the sweeps until stopped (any number may run)."""
    from bot.config import SettingsError
    from bot.metrics_listener import listen_for_metrics
    from bot.playground.notifier import PlaygroundNotifier
    from bot.scheduler import Scheduler
    from handlers.values import Platform

    runtime = open_runtime()
    claim_database(runtime)
    if runtime.settings.is_demo_like:
        runtime.notifiers.setdefault(
            Platform.PLAYGROUND, PlaygroundNotifier(runtime.uow, runtime.clock)
        )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        listener = listen_for_metrics(runtime, runtime.settings.host)
    except SettingsError as exc:
        fail(exc.line, code=SETTINGS_EXIT)
    platforms = ", ".join(sorted(p.value for p in runtime.notifiers)) or "none"
    click.echo(f"flare: worker started (platforms: {platforms}); Ctrl-C to stop", err=True)
    Scheduler(runtime, sweeps=not no_sweeps).run_until(stop)
    if listener is not None:
        listener.stop()
    click.echo("flare: worker stopped", err=True)


@click.group()
def retention() -> None:
    """Retention: crypto-shred and delete concerns (and unsent advice drafts) past their period."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be shredded.")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10000))
def retention_run(dry_run: bool, batch: int) -> None:
    """Shred data keys, then delete rows, leaving audit tombstones that still verify; then
    forget requests for advice never sent. The scheduled retention sweep makes the same pass."""
    from handlers.retention.concerns import UNSENT_ADVICE, retention_due, run_retention

    runtime = open_runtime()
    counts = retention_due(runtime.uow, runtime.clock)
    total = sum(c.due for c in counts)
    for count in counts:
        click.echo(f"{count.organisation}: {count.due} due (kept {count.retention_days} days)")
    if dry_run:
        click.echo(f"flare: dry run: {total} concerns would be shredded and deleted")
        return
    shredded = deleted = forgotten = 0
    with click.progressbar(length=total, label=f"flare: shredding {total} concerns") as bar:
        for report in run_retention(runtime.uow, runtime.clock, batch=batch):
            shredded += report.shredded
            deleted += report.deleted
            forgotten += report.rows.get(UNSENT_ADVICE, 0)
            bar.update(report.shredded)
    click.echo(
        f"flare: retention: {shredded} concerns shredded, {deleted} deleted, "
        f"{forgotten} unsent advice drafts forgotten"
    )


@retention.command("hold")
@click.argument("client_ref")
@click.option("--by", "by_ref", default=None, help="The data protection officer's reference.")
def retention_hold(client_ref: str, by_ref: str | None) -> None:
    """Put a client under a legal hold: retention shreds none of its concerns (audited)."""
    _legal_hold(client_ref, by_ref, held=True)


@retention.command("release")
@click.argument("client_ref")
@click.option("--by", "by_ref", default=None, help="The data protection officer's reference.")
def retention_release(client_ref: str, by_ref: str | None) -> None:
    """Release a client's legal hold: retention applies to its concerns again (audited)."""
    _legal_hold(client_ref, by_ref, held=False)


def _legal_hold(client_ref: str, by_ref: str | None, *, held: bool) -> None:
    from handlers.retention.legal_hold import (
        HoldChanged,
        Unchanged,
        UnknownClient,
        set_legal_hold,
    )

    runtime = open_runtime()
    outcome = set_legal_hold(
        runtime.uow(), client_reference=client_ref, held=held, clock=runtime.clock, by_ref=by_ref
    )
    if isinstance(outcome, UnknownClient):
        fail(f"flare: no client with the reference {client_ref!r}")
    if not isinstance(outcome, HoldChanged | Unchanged):
        fail(f"flare: no active practitioner with the reference {by_ref!r}")
    state = "under a legal hold" if held else "not under a legal hold"
    already = " already" if isinstance(outcome, Unchanged) else ""
    click.echo(f"flare: client {client_ref} is{already} {state}")
