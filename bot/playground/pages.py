"""The playground pages (demo and test only)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
