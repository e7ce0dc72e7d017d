"""Operator commands for `flare`: directory import, master keys, the audit trail.

Each module holds one click group; `bot/cli.py` registers `COMMANDS`.
"""

from __future__ import annotations

import click

from bot.operations.audit import audit
from bot.operations.directory import directory
from bot.operations.follow_through import retention, worker
from bot.operations.keys import keys

COMMANDS: tuple[click.Command, ...] = (directory, keys, audit, worker, retention)
