"""The raw body of a platform request (/slack/events, /api/messages), read with a cap.

One limit for every inbound platform request: a body over MAX_BODY bytes gets 413 without
being read further. A `Content-Length` above the cap is refused before a byte is read; a
body that streams past the cap (chunked, or a lying length) stops being read at the cap.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

MAX_BODY = 1024 * 1024  # 1 MiB: far above any Slack payload or Bot Framework activity


class Refusal(Exception):
    """A request refused before anything happened; `status` and `reason` are safe to log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> JSONResponse:
        """The answer: why, for a malformed request; only "unauthorized" for a 401."""
        said = "unauthorized" if self.status == 401 else self.reason.replace("_", " ")
        return JSONResponse({"error": said}, status_code=self.status)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body as bytes, or Refusal(413) as soon as it is known to exceed `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        digits = declared.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise Refusal(400, "bad_content_length")
        if len(digits) > 15 or int(digits) > limit:
            raise Refusal(413, "too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal(413, "too_large")
        chunks.append(chunk)
    return b"".join(chunks)
