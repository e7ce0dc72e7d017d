"""The master key ring as its FLARE_MASTER_KEYS spec, for tests that rotate or run the CLI."""

from __future__ import annotations

import pytest

from store.crypto import KeyRing, generate_master_key_spec


@pytest.fixture
def master_spec() -> str:
    return generate_master_key_spec("test1")


@pytest.fixture
def ring(master_spec: str) -> KeyRing:
    """The same ring as the shared fixture, built from `master_spec` (overrides it here)."""
    return KeyRing.parse(master_spec)
