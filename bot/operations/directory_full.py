"""`flare directory import --full`: the summary shown first, and the confirmation to apply it.

The summary names rows by kind and ref only (never a name, email or NHS number).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from handlers.network.directory_export import FullPlan


def print_plan(plan: FullPlan, file_name: str, *, shown: int) -> None:
    """What the full import of `file_name` would do, on stdout, before anything changes."""
    click.echo(
        f"flare: a full import of {file_name} would make "
        f"{len(plan.added)} added, {len(plan.changed)} changed, "
        f"{len(plan.deactivated)} deactivated ({plan.unchanged} rows unchanged)"
    )
    _listed("added", [f"{kind} {key}" for kind, key in plan.added], shown)
    _listed("changed", [f"{kind} {key}" for kind, key in plan.changed], shown)
    _listed("deactivated", [f"practitioner {ref}" for ref in plan.deactivated], shown)
    _listed("reinstated", [f"practitioner {ref}" for ref in plan.reactivated], shown)


def _listed(label: str, items: Sequence[str], shown: int) -> None:
    if not items:
        return
    more = len(items) - shown
    tail = f", and {more} more" if more > 0 else ""
    click.echo(f"  {label}: {', '.join(items[:shown])}{tail}")


def interactive() -> bool:
    """Is someone at a terminal to answer a question?"""
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm_full(yes: bool) -> bool:
    """Apply now? With --yes, yes; at a terminal, ask; otherwise it was a dry run."""
    if yes:
        return True
    if interactive() and click.confirm("Apply this full import?", default=False, err=True):
        return True
    click.echo("flare: nothing was changed; run again with --yes to apply")
    return False
