"""Operator commands for `flare`: directory import and export, master keys, the audit trail.

Each module holds one click group (the directory's file formats and its full import's
summary sit beside it in directory_files.py and directory_full.py); `bot/cli.py`
registers `COMMANDS`.
"""

from __future__ import annotations

import click

from bot.operations.audit import audit
from bot.operations.directory import directory
from bot.operations.follow_through import retention, worker
from bot.operations.keys import keys

COMMANDS: tuple[click.Command, ...] = (directory, keys, audit, worker, retention)
