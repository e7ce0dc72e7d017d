"""What a link is lives in one module: `handlers/outbox/links.py` mints every link, revokes
the older ones, and turns a presented token into its stored hash. Nothing else in `bot/` or
`handlers/` builds a `Link` row, calls a minter, or hashes a token itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "handlers" / "outbox" / "links.py"
LINK_WORDS = {"Link", "token_hash", "mint"}  # the row, the hash, the minter's one method


def _names_called(path: Path) -> set[str]:
    called = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in LINK_WORDS:
                called.add(name)
    return called


def test_only_the_links_module_mints_links_or_hashes_tokens() -> None:
    elsewhere = {
        str(path.relative_to(ROOT)): called
        for package in ("bot", "handlers")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != HOME and (called := _names_called(path))
    }
    assert elsewhere == {}
    assert _names_called(HOME) == LINK_WORDS
