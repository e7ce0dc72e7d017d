"""An inbound Bot Framework activity, reduced to the ids and fields Flare reads.

Parsing takes only what the adapter needs; free text (a message's `text`, a dialog's
answers in `value`) stays in this object and is never logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


class BadActivity(ValueError):
    """The body is not a Bot Framework activity."""


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Activity:
    type: str
    id: str
    name: str
    service_url: str
    channel_id: str
    conversation_id: str
    conversation_type: str
    user_id: str
    aad_object_id: str
    tenant_id: str
    bot_id: str
    text: str = field(repr=False)
    value: Mapping[str, Any] = field(repr=False)
    action: str = ""
    members_added: tuple[str, ...] = ()

    @classmethod
    def parse(cls, body: Any) -> Activity:
        if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
            raise BadActivity("not an activity")
        conversation = _dict(body.get("conversation"))
        sender = _dict(body.get("from"))
        channel_data = _dict(body.get("channelData"))
        tenant = _str(_dict(channel_data.get("tenant")).get("id")) or _str(
            conversation.get("tenantId")
        )
        added = body.get("membersAdded")
        return cls(
            type=body["type"],
            id=_str(body.get("id")),
            name=_str(body.get("name")),
            service_url=_str(body.get("serviceUrl")),
            channel_id=_str(body.get("channelId")),
            conversation_id=_str(conversation.get("id")),
            conversation_type=_str(conversation.get("conversationType")),
            user_id=_str(sender.get("id")),
            aad_object_id=_str(sender.get("aadObjectId")),
            tenant_id=tenant,
            bot_id=_str(_dict(body.get("recipient")).get("id")),
            text=_str(body.get("text")),
            value=_dict(body.get("value")),
            action=_str(body.get("action")),
            members_added=tuple(
                _str(_dict(m).get("id")) for m in (added if isinstance(added, list) else [])
            ),
        )

    @property
    def command(self) -> str:
        """A personal-chat command: the first word, without a leading @mention."""
        words = MENTION.sub(" ", self.text).replace("\u00a0", " ").split()
        return words[0].lower().strip("/!.") if words else ""

    @property
    def arguments(self) -> str:
        """The words after the command (a personal-chat command's own text)."""
        words = MENTION.sub(" ", self.text).replace("\u00a0", " ").split()
        return " ".join(words[1:])

    @property
    def is_personal(self) -> bool:
        return self.conversation_type in ("", "personal")
