"""`flare directory import FILE` and `flare directory export [FILE]`: the directory as a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.operations.directory_files import (
    FORMATS,
    HeaderProblem,
    ParsedFile,
    format_of,
    private_file,
    read,
    write,
)
from bot.operations.environment import fail, open_runtime

BIG = 200  # rows from which a command shows its progress on stderr
SHOWN = 20  # ids listed per line of a full import's summary
HELP = """Import organisations, practitioners, clients and networks from a CSV file.

\b
The first line is a header naming the columns; `kind` and `ref` are required, the
others may be left out. The full header is:
  kind,ref,name,organisation,email,role,nhs_number,platform,slack_team,slack_user,
  teams_tenant,teams_user,client,slack_workspaces,entra_tenants,directory_roles,
  date_of_birth

\b
Each row's `kind` says what it is and which columns it uses:
  organisation  ref, name, role (its kind: children_centre, school,
                children_services, health, housing or agency),
                slack_workspaces (Slack workspace T... and Enterprise Grid E...
                ids) and entra_tenants (Entra tenant ids), separated by spaces:
                an identity counts only from a workspace or tenant its
                organisation declares
  practitioner  ref, name, organisation (an organisation's ref), email, role (job
                title), platform (slack, teams or playground), slack_team +
                slack_user, teams_tenant + teams_user (Entra object id), each
                in a workspace or tenant the organisation declares
  client        ref (a pseudonymous reference, at most 32 characters), name (stored
                encrypted), nhs_number (optional; checked, stored encrypted and
                searchable only through the blind index), date_of_birth
                (optional, YYYY-MM-DD: with the name, one more identifier,
                stored encrypted and searchable only through the blind index)
  membership    ref (a practitioner's ref), client (a client's ref), role (lead,
                deputy or member)

\b
Rows are matched by `ref`, so importing again updates. Every row is checked before
anything is written: if any line is wrong, each one is reported as `line N: reason`
and nothing is imported (exit 1). See docs/directory.md for an example file.

\b
A file ending .json (or --format json) is read as JSON: {"rows": [{"kind": ...,
"ref": ..., ...}, ...]}, the columns above as keys; problems are `row N: reason`.
`flare directory export` writes either format.

\b
--full: the file is the whole directory (a full export). Practitioners missing from
it are deactivated: signed out, sent no more pointers, their links stop working and
the follow-ups they own go to the client's lead. Those in it who had left are
reinstated. A summary (added, changed, deactivated, by ref) comes first; it is
applied with --yes, or after you confirm at a terminal.
"""

EXPORT_HELP = """Write the directory as the file `flare directory import` reads.

\b
FILE (default: standard output, also `-`) gets every organisation, active
practitioner, client and membership; importing it again changes nothing. It
holds client names and NHS numbers in clear, so a FILE is created readable by
its owner only; keep it safe and delete it when done. The export is audited
(`directory.exported`, with counts only). A FILE ending .json, or --format
json, writes JSON instead of CSV.
"""


class _Stages:
    """One progress line per stage (checking, importing, exporting) on stderr, big files only."""

    LABELS = {
        "checked": "flare: checking",
        "imported": "flare: importing",
        "exported": "flare: exporting",
    }

    def __init__(self, total: int) -> None:
        self._total = total
        self._stage: str | None = None
        self._bar: Any = None

    def __call__(self, stage: str) -> None:
        if self._total < BIG:
            return
        if stage != self._stage:
            self.close()
            self._stage = stage
            label = f"{self.LABELS.get(stage, stage)} {self._total} rows"
            bar = click.progressbar(length=self._total, label=label, file=sys.stderr)
            self._bar = bar.__enter__()
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


class _Counting:
    """A progress line on stderr every EVERY rows, when the total is not known beforehand."""

    EVERY = 1000

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, stage: str) -> None:
        self.done += 1
        if self.done % self.EVERY == 0:
            click.echo(f"flare: {stage} {self.done} rows so far", err=True)


def _plural(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(counts.items()))


@click.group()
def directory() -> None:
    """Organisations, practitioners, clients and their networks."""


def _read(file: Path, output: str) -> ParsedFile:
    try:
        return read(file, output)
    except HeaderProblem as exc:
        fail(f"flare: {file.name}: {exc}")
    except UnicodeDecodeError:
        fail(f"flare: {file.name}: the file must be UTF-8 text")


@directory.command("import", help=HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "chosen", type=click.Choice(FORMATS), help="Default: from FILE's suffix.")
@click.option("--full", is_flag=True, help="The file is the whole directory: deactivate leavers.")
@click.option("--yes", is_flag=True, help="With --full: apply without asking.")
def import_file(file: Path, chosen: str | None, full: bool, yes: bool) -> None:
    from bot.operations.directory_full import confirm_full, print_plan

    if yes and not full:
        fail("flare: --yes goes with --full (a plain import applies without asking)", code=2)
    parsed = _read(file, format_of(file, chosen))
    runtime = open_runtime()
    if full and not parsed.errors:
        plan = _run(runtime, parsed, file, full=True, check_only=True)
        assert plan.plan is not None
        print_plan(plan.plan, file.name, shown=SHOWN)
        if not confirm_full(yes):
            return
    report = _run(runtime, parsed, file, full=full, check_only=bool(parsed.errors))
    click.echo(f"flare: imported {len(parsed.rows)} rows from {file.name}")
    click.echo(f"  created: {_plural(report.created) or 'nothing'}")
    click.echo(f"  updated: {_plural(report.updated) or 'nothing'}")
    if report.plan is not None:
        click.echo(f"  deactivated: {len(report.plan.deactivated)} practitioner(s)")
        click.echo(f"  reinstated: {len(report.plan.reactivated)} practitioner(s)")


def _run(runtime: Any, parsed: ParsedFile, file: Path, *, full: bool, check_only: bool) -> Any:
    """Check (and unless `check_only`, apply) the rows; every problem stops the command."""
    from handlers.network.directory import import_directory

    stages = _Stages(len(parsed.rows))
    try:
        report = import_directory(
            runtime.uow(),
            parsed.rows,
            at=runtime.clock.now(),
            actor="cli",
            progress=stages,
            check_only=check_only,  # unparsed lines: still check the rest, to report all
            full=full,
        )
    finally:
        stages.close()
    errors = sorted(parsed.errors + report.errors)
    if errors:
        for number, problem in errors:
            click.echo(f"{parsed.unit} {number}: {problem}", err=True)
        fail(f"flare: {file.name}: {len(errors)} bad {parsed.unit}(s); nothing was imported")
    return report


@directory.command("export", help=EXPORT_HELP)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "chosen", type=click.Choice(FORMATS), help="Default: from FILE's suffix.")
def export_file(file: Path | None, chosen: str | None) -> None:
    to_stdout = file is None or str(file) == "-"
    output = format_of(None if to_stdout else file, chosen)
    runtime = open_runtime()
    if to_stdout or file is None:
        counts = _export(runtime, sys.stdout, output)
    else:
        try:
            with private_file(file) as stream:  # writable before anything is decrypted
                counts = _export(runtime, stream, output, written=file)
        except OSError as exc:
            fail(f"flare: cannot write {file}: {exc.strerror}")
    where = "standard output" if to_stdout else str(file)
    click.echo(f"flare: exported {_plural(counts) or 'nothing'} to {where} ({output})", err=True)


def _export(runtime: Any, stream: Any, output: str, written: Path | None = None) -> dict[str, int]:
    """Export (audited) and write; an export that cannot be read leaves no file behind."""
    from handlers.network.directory_export import UnreadableClient, export_directory

    stages = _Counting()
    try:
        exported = export_directory(
            runtime.uow(), at=runtime.clock.now(), actor="cli", output=output, progress=stages
        )
    except UnreadableClient as exc:
        if written is not None:
            written.unlink(missing_ok=True)
        fail(f"flare: {exc}; nothing was exported")
    write(exported.rows, stream, output)
    return exported.counts
