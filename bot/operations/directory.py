"""`flare directory import FILE.csv`: organisations, practitioners, clients and networks."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from bot.operations.environment import fail, open_runtime
from handlers.network.directory import OPTIONAL_COLUMNS, DirectoryRow

COLUMNS = ("kind", "ref", *OPTIONAL_COLUMNS)
REQUIRED = ("kind", "ref")
HELP = """Import organisations, practitioners, clients and networks from a CSV file.

\b
The first line is a header naming the columns; `kind` and `ref` are required, the
others may be left out. The full header is:
  kind,ref,name,organisation,email,role,nhs_number,platform,slack_team,slack_user,
  teams_tenant,teams_user,client,slack_workspaces,entra_tenants

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
                searchable only through the blind index)
  membership    ref (a practitioner's ref), client (a client's ref), role (lead,
                deputy or member)

\b
Rows are matched by `ref`, so importing again updates. Every row is checked before
anything is written: if any line is wrong, each one is reported as `line N: reason`
and nothing is imported (exit 1). See docs/directory.md for an example file.
"""


class HeaderProblem(Exception):
    """The header line is missing or names columns Flare does not know."""


@dataclass
class ParsedFile:
    rows: list[DirectoryRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse(stream: Iterable[str]) -> ParsedFile:
    """Read the CSV into rows; a line that cannot become a row is an error with its number."""
    reader = csv.reader(stream)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise HeaderProblem("the file is empty; its first line must be the header") from None
    except csv.Error as exc:
        raise HeaderProblem(f"line 1: {exc}") from None
    _check_header(header)
    parsed = ParsedFile()
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.errors.append((start, f"not valid CSV ({exc})"))
            break
        if not any(v.strip() for v in values):
            continue  # blank lines are allowed
        if len(values) != len(header):
            parsed.errors.append(
                (start, f"has {len(values)} fields but the header has {len(header)}")
            )
            continue
        fields = {name: value.strip() for name, value in zip(header, values, strict=True)}
        parsed.rows.append(DirectoryRow(line=start, **fields))
    if not parsed.rows and not parsed.errors:
        raise HeaderProblem("the file has a header but no rows")
    return parsed


def _check_header(header: list[str]) -> None:
    unknown = [name or "(empty)" for name in header if name not in COLUMNS]
    if unknown:
        if set(REQUIRED) - set(header):
            raise HeaderProblem(
                "the first line must be the header, starting kind,ref "
                "(see `flare directory import --help`)"
            )
        raise HeaderProblem(
            f"unknown column(s) in the header: {', '.join(unknown)}; "
            f"the columns are {','.join(COLUMNS)}"
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise HeaderProblem(f"the header lacks the required column(s): {', '.join(missing)}")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise HeaderProblem(f"the header names a column twice: {', '.join(twice)}")


class _Stages:
    """One progress bar per stage (checking, importing), switched as the handler reports."""

    LABELS = {"checked": "flare: checking", "imported": "flare: importing"}

    def __init__(self, total: int) -> None:
        self._total = total
        self._stage: str | None = None
        self._bar: Any = None

    def __call__(self, stage: str) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            label = f"{self.LABELS.get(stage, stage)} {self._total} rows"
            self._bar = click.progressbar(length=self._total, label=label).__enter__()
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _plural(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in sorted(counts.items()))


@click.group()
def directory() -> None:
    """Organisations, practitioners, clients and their networks."""


@directory.command("import", help=HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(file: Path) -> None:
    from handlers.network.directory import import_directory

    try:
        with file.open(newline="", encoding="utf-8-sig") as stream:
            parsed = parse(stream)
    except HeaderProblem as exc:
        fail(f"flare: {file.name}: {exc}")
    except UnicodeDecodeError:
        fail(f"flare: {file.name}: the file must be UTF-8 text")
    runtime = open_runtime()
    stages = _Stages(len(parsed.rows))
    try:
        report = import_directory(
            runtime.uow(),
            parsed.rows,
            at=runtime.clock.now(),
            actor="cli",
            progress=stages,
            check_only=bool(parsed.errors),  # still check the readable lines, to report all
        )
    finally:
        stages.close()
    errors = sorted(parsed.errors + report.errors)
    if errors:
        for line, problem in errors:
            click.echo(f"line {line}: {problem}", err=True)
        fail(f"flare: {file.name}: {len(errors)} bad line(s); nothing was imported")
    click.echo(f"flare: imported {len(parsed.rows)} rows from {file.name}")
    click.echo(f"  created: {_plural(report.created) or 'nothing'}")
    click.echo(f"  updated: {_plural(report.updated) or 'nothing'}")
