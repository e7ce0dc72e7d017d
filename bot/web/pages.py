"""Link pages, sign-in, concern pages and the raise form (filled in by the web work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
