"""`flare audit verify`: walk the hash chain and print the checkpoint to keep elsewhere."""

from __future__ import annotations

import click

from bot.operations.environment import fail, open_runtime


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit trail."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    metavar="SEQ:HASH",
    default=None,
    help="A head printed by an earlier run; catches a chain cut short or rewritten after it.",
)
@click.option(
    "--from",
    "start",
    metavar="SEQ:HASH",
    default=None,
    help="Start after this verified head (printed by an earlier run) instead of the first event.",
)
def verify(checkpoint: str | None, start: str | None) -> None:
    """Recompute every link of the audit chain; exit 1 at the first broken one.

    A hash chain shows edits, deletions and reordering. It cannot show that its newest
    events were cut off, or that the whole chain was rewritten: keep the head this command
    prints (SEQ:HASH) somewhere the application cannot write, and pass it back with
    --checkpoint next time. With --from SEQ:HASH (the same kind of head) only the events
    after it are walked, so a long chain can be verified incrementally.
    """
    from store.audit import parse_checkpoint
    from store.audit import verify as verify_chain

    for value, hint in ((checkpoint, "--checkpoint"), (start, "--from")):
        try:
            parse_checkpoint(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    runtime = open_runtime()
    with runtime.sessions() as session:
        result = verify_chain(session, expect_head=checkpoint, start=start)
    if not result.ok:
        click.echo(f"flare: checked {result.checked} events", err=True)
        if result.head_hash:
            click.echo(f"flare: last good event {result.head_seq}:{result.head_hash}", err=True)
        fail(f"flare: audit chain broken at event {result.broken_at}: {result.reason}")
    since = f" after event {start.partition(':')[0]}" if start else ""
    click.echo(f"flare: audit chain intact, {result.checked} events checked{since}")
    click.echo(f"head {result.head_seq}:{result.head_hash}")
    click.echo("flare: keep that head outside the database; pass it as --checkpoint next time")
