"""The directory file on disk: CSV (a header, then one row a line) or JSON (`{"rows": [...]}`).

Reading turns each row into a handlers.network.directory_rows.DirectoryRow and each unreadable
one into a numbered problem; writing does the reverse, so an export is a file import reads.
Problems name columns and positions, never a value a row carries.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from handlers.network.directory_rows import COLUMNS, DirectoryRow

REQUIRED = ("kind", "ref")
FORMATS = ("csv", "json")
JSON_VERSION = 1


class HeaderProblem(Exception):
    """The file as a whole cannot be read: no header, unknown columns, not JSON."""


@dataclass
class ParsedFile:
    rows: list[DirectoryRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    unit: str = "line"  # what a problem's number counts: CSV lines, or JSON rows


def format_of(path: Path | None, chosen: str | None) -> str:
    """The format asked for, else the file's suffix says JSON, else CSV."""
    if chosen:
        return chosen
    return "json" if path is not None and path.suffix.lower() == ".json" else "csv"


def read(path: Path, output: str) -> ParsedFile:
    """Parse a directory file of either format (HeaderProblem or UnicodeDecodeError)."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return parse_json(stream.read()) if output == "json" else parse(stream)


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


def parse_json(text: str) -> ParsedFile:
    """Read `{"rows": [{"kind": ..., "ref": ..., ...}, ...]}`; problems count rows from 1."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HeaderProblem(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise HeaderProblem('the file must be a JSON object with a list of "rows"')
    if not rows:
        raise HeaderProblem("the file has no rows")
    parsed = ParsedFile(unit="row")
    for number, item in enumerate(rows, start=1):
        problem = _json_row_problem(item)
        if problem:
            parsed.errors.append((number, problem))
        else:
            cells = {name: str(value).strip() for name, value in item.items()}
            parsed.rows.append(DirectoryRow(line=number, **cells))
    return parsed


def _json_row_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "is not an object of column names and text"
    unknown = sorted(str(name) for name in item if name not in COLUMNS)
    if unknown:
        return f"unknown column(s): {', '.join(unknown)}; the columns are {','.join(COLUMNS)}"
    not_text = sorted(name for name, value in item.items() if not isinstance(value, str))
    if not_text:
        return f"column(s) {', '.join(not_text)} must be text"
    return None


def write(rows: Iterable[DirectoryRow], stream: IO[str], output: str) -> None:
    """Write the rows as a file `read` takes back unchanged."""
    if output == "json":
        stream.write(f'{{"flare_directory": {JSON_VERSION}, "rows": [\n')
        first = True
        for row in rows:
            cells = {name: value for name, value in row.cells().items() if value}
            stream.write(("" if first else ",\n") + json.dumps(cells, ensure_ascii=False))
            first = False
        stream.write("\n]}\n")
        return
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells().values())


@contextmanager
def private_file(path: Path) -> Iterator[IO[str]]:
    """A file only its owner may read (it holds client names), created or emptied."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_TRUNC
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        yield stream
