"""What Flare does with a verified Teams activity: parse, call one handler, answer.

- conversationUpdate / installationUpdate (the bot added to a personal chat): identify the
  user and store the 1:1 conversation reference, then say hello (or why not).
- message in personal chat: `help`, `inbox` (fresh pointers for what is waiting),
  `network add|role|remove|leave …` (handlers.follow_through.network_commands).
- invoke composeExtension/fetchTask, task/fetch: open the raise dialog;
  composeExtension/submitAction, task/submit: its next step or the raise itself.
- `join`, its dialog and the join verbs on cards: bot/teams/joining.py.
- invoke adaptiveCard/action, verb "acknowledge": acknowledge and refresh the card in place;
  verb "close" (the outcome chosen in the card): close the concern, and say so.

Users are known by tenant id + AAD object id, and only from a tenant some organisation
declares (in a multi-tenant bot anyone's tenant can send activities); on first contact in
such a tenant the Bot Connector's member lookup supplies the UPN that
`handlers.network.identity.identify` links by.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import structlog

from bot.dependencies import Dependencies
from bot.teams.activity import Activity
from bot.teams.cards import (
    ACKNOWLEDGE_VERB,
    CARD_CONTENT_TYPE,
    CARD_SCHEMA,
    CARD_VERSION,
    CLOSE_VERB,
    acknowledged_card,
)
from bot.teams.child_dialog import ChildDialog
from bot.teams.connector import BotConnector, ConversationRef, Done
from bot.teams.dialog import submitted, task_message
from bot.teams.joining import VERBS, TeamsJoining, is_join_step, prompt_activity
from bot.teams.package import RAISE_COMMAND_ID
from handlers.follow_through.acknowledge import Acknowledged, AlreadyAcknowledged, acknowledge
from handlers.follow_through.acknowledged_card import acknowledged_pointer
from handlers.follow_through.closing import AlreadyClosed, CloseConcern, Closed, close_concern
from handlers.follow_through.network_commands import network_command
from handlers.invalid import Invalid
from handlers.my_work.awaiting import Counts
from handlers.my_work.resend import resend_pending
from handlers.network.identity import (
    Ambiguous,
    ChatIdentity,
    Identified,
    Known,
    Unknown,
    explain,
    identify,
    refuse,
)
from handlers.outbox.conversations import ConversationReference, remember_conversation
from handlers.outbox.pointer_words import advice_given_words, advice_to_give_words
from handlers.retention.inbound_keys import first_delivery
from handlers.values import Platform

log = structlog.get_logger("flare")

OPEN_DIALOG = ("composeExtension/fetchTask", "task/fetch")
SUBMIT_DIALOG = ("composeExtension/submitAction", "task/submit")
CARD_ACTION = "adaptiveCard/action"
HELP = (
    "Flare lets you raise a safeguarding concern without putting anything sensitive in chat. "
    "Flare messages only ever point to Flare, where the people who need to know can read it."
)
HELP_LINES = (
    "**Raise a concern**: the button below, the Flare action in a message's '...' menu, or "
    "Flare in the compose box's apps.",
    "**inbox**: fresh links to the concerns waiting for you.",
    "**network add CLIENT PERSON**, **network role …**, **network remove …**, "
    "**network leave CLIENT**: change a client's network (leads and deputies; anyone may "
    "leave). PERSON is their Flare reference.",
    "**join**: ask to join a child's network, by NHS number or reference.",
    "**help**: this message.",
)
INBOX_IN_PERSONAL_CHAT = "Ask for your inbox in your personal chat with Flare."
NETWORK_IN_PERSONAL_CHAT = "Change a network in your personal chat with Flare."
NOT_ALLOWED = "Only the lead professional or their deputy can acknowledge this concern."
NOT_ALLOWED_TO_CLOSE = "Only the lead professional or their deputy can close this concern."
CLOSED = "The concern is closed. Everyone it was shared with has been told (not how)."
CHOOSE_OUTCOME = "Choose how the concern was resolved, or close it on the concern page."
UNKNOWN_ACTION = {
    "statusCode": 400,
    "type": "application/vnd.microsoft.error",
    "value": {"code": "BadRequest", "message": "Unknown action"},
}


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to one activity (invokes carry a body; other activities do not)."""

    status: int = 200
    body: dict[str, Any] | None = None


def invoke_answer(body: dict[str, Any]) -> Answer:
    return Answer(200, body)


class TeamsInbound:
    def __init__(self, deps: Dependencies, *, connector: BotConnector) -> None:
        self._uow = deps.uow
        self._clock = deps.clock
        self._connector = connector
        self._tenant_id = deps.settings.teams_tenant_id
        self._dialog = ChildDialog(deps, f"{deps.settings.public_url}/raise/advice")
        self._joining = TeamsJoining(deps)

    def handle(self, activity: Activity) -> Answer:
        if activity.type == "invoke":
            return self._invoke(activity)
        if activity.type in ("message", "conversationUpdate", "installationUpdate"):
            if activity.id and not first_delivery(
                self._uow(), platform=Platform.TEAMS, key=f"activity:{activity.id}"
            ):
                log.info("teams.redelivery_dropped", type=activity.type)
                return Answer()
            if activity.type == "message":
                self._message(activity)
            elif self._bot_added(activity):
                self._welcome(activity)
        return Answer()

    # who is it

    def _who(self, activity: Activity) -> Identified:
        if not (activity.tenant_id and activity.aad_object_id):
            return Unknown("no_match")
        who = ChatIdentity(Platform.TEAMS, activity.tenant_id.lower(), activity.aad_object_id)
        if self._tenant_id and who.workspace != self._tenant_id.lower():
            return refuse(self._uow(), who, Unknown("tenant_not_configured"), clock=self._clock)
        outcome = identify(self._uow(), who, clock=self._clock, email_lookup_follows=True)
        if isinstance(outcome, Unknown) and outcome.reason == "no_email":
            email = self._verified_email(activity)
            outcome = identify(self._uow(), replace(who, email=email), clock=self._clock)
        if not isinstance(outcome, Known):
            log.info("teams.unknown_user", reason=outcome.reason)
        return outcome

    def _verified_email(self, activity: Activity) -> str | None:
        """The UPN (else the e-mail) of the member, as the tenant's directory has it.

        Only asked for a tenant an organisation declares (identify refused the rest), where
        the tenant's administrators, not the user, control both.
        """
        if not activity.conversation_id or not activity.user_id:
            return None
        outcome = self._connector.member(_conversation(activity), activity.user_id)
        if not isinstance(outcome, Done):
            log.warning("teams.member_lookup_failed", reason=getattr(outcome, "reason", ""))
            return None
        member = outcome.body
        if member.get("aadObjectId") != activity.aad_object_id:
            return None
        email = member.get("userPrincipalName") or member.get("email")
        return email.strip().lower() if isinstance(email, str) and "@" in email else None

    # conversation activities

    def _bot_added(self, activity: Activity) -> bool:
        if activity.type == "installationUpdate":
            return activity.action in ("add", "add-upgrade")
        return bool(activity.bot_id) and activity.bot_id in activity.members_added

    def _welcome(self, activity: Activity) -> None:
        if not activity.is_personal:
            return
        who = self._who(activity)
        if isinstance(who, Known):
            self._remember(activity, who)
            self._reply(activity, _help_activity())
        else:
            self._reply(activity, _text(explain(who)))

    def _remember(self, activity: Activity, who: Known) -> None:
        if not activity.is_personal:
            return
        try:
            reference = ConversationReference(
                service_url=activity.service_url,
                conversation_id=activity.conversation_id,
                tenant_id=activity.tenant_id,
                user_id=activity.user_id,
                bot_id=activity.bot_id,
            )
        except ValueError:
            log.warning("teams.conversation_not_stored", reason="unexpected ids")
            return
        remember_conversation(
            self._uow(), practitioner_id=who.practitioner_id, reference=reference, clock=self._clock
        )

    def _message(self, activity: Activity) -> None:
        who = self._who(activity)
        if not isinstance(who, Known):
            self._reply(activity, _text(explain(who)))
            return
        self._remember(activity, who)
        if activity.command == "inbox" and not activity.is_personal:
            self._reply(activity, _text(INBOX_IN_PERSONAL_CHAT))
        elif activity.command == "network" and not activity.is_personal:
            self._reply(activity, _text(NETWORK_IN_PERSONAL_CHAT))
        elif activity.command == "network":
            reply = network_command(
                self._uow(),
                actor_id=who.practitioner_id,
                words=activity.arguments,
                clock=self._clock,
            )
            self._reply(activity, _text(reply.text))
        elif activity.command == "join":
            self._reply(activity, prompt_activity())
        elif activity.command == "inbox":
            resent = resend_pending(
                self._uow(),
                practitioner_id=who.practitioner_id,
                platform=Platform.TEAMS,
                clock=self._clock,
            )
            self._reply(activity, _text(inbox_text(resent.counts)))
        else:
            self._reply(activity, _help_activity())

    def _reply(self, activity: Activity, reply: dict[str, Any]) -> None:
        outcome = self._connector.send(_conversation(activity), reply)
        if not isinstance(outcome, Done):
            log.warning("teams.reply_failed", reason=getattr(outcome, "reason", ""))

    # invokes

    def _invoke(self, activity: Activity) -> Answer:
        if activity.name not in (*OPEN_DIALOG, *SUBMIT_DIALOG, CARD_ACTION):
            return Answer(200, {})
        command = activity.value.get("commandId")
        if activity.name.startswith("composeExtension/") and command != RAISE_COMMAND_ID:
            return Answer(200, {})
        who = self._who(activity)
        if isinstance(who, Unknown | Ambiguous):
            if activity.name == CARD_ACTION:
                return invoke_answer(_card_message(explain(who)))
            return invoke_answer(task_message(explain(who)))
        self._remember(activity, who)
        if activity.name != CARD_ACTION and is_join_step(submitted(activity.value)):
            return invoke_answer(
                self._joining.dialog(who.practitioner_id, submitted(activity.value))
            )
        if activity.name in OPEN_DIALOG:
            return invoke_answer(self._dialog.open(who.practitioner_id))
        if activity.name in SUBMIT_DIALOG:
            return invoke_answer(
                self._dialog.submit(who.practitioner_id, submitted(activity.value))
            )
        return self._card_action(activity, who)

    def _card_action(self, activity: Activity, who: Known) -> Answer:
        action = activity.value.get("action")
        action = action if isinstance(action, dict) else {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        if action.get("verb") in VERBS and isinstance(data, dict):
            verb = str(action["verb"])
            return invoke_answer(self._joining.card_action(who.practitioner_id, verb, data))
        concern_id = data.get("concern") if isinstance(data, dict) else None
        if not isinstance(concern_id, str) or action.get("verb") not in (
            ACKNOWLEDGE_VERB,
            CLOSE_VERB,
        ):
            return Answer(200, UNKNOWN_ACTION)
        if action.get("verb") == CLOSE_VERB:
            chosen = data.get("outcome") if isinstance(data, dict) else None
            return self._close(who, concern_id, chosen if isinstance(chosen, str) else "")
        outcome = acknowledge(
            self._uow(),
            concern_id=concern_id,
            practitioner_id=who.practitioner_id,
            clock=self._clock,
            via="teams",
        )
        if not isinstance(outcome, Acknowledged | AlreadyAcknowledged):
            return invoke_answer(_card_message(NOT_ALLOWED))
        pointer = acknowledged_pointer(
            self._uow(),
            concern_id=concern_id,
            practitioner_id=who.practitioner_id,
            platform=Platform.TEAMS,
        )
        if pointer is None:
            return invoke_answer(_card_message(NOT_ALLOWED))
        card = acknowledged_card(pointer, self._clock.now())
        return invoke_answer({"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})

    def _close(self, who: Known, concern_id: str, outcome: str) -> Answer:
        """The outcome chosen in the card -> close_concern -> a message in its place."""
        command = CloseConcern(concern_id, who.practitioner_id, outcome, via="teams")
        closed = close_concern(self._uow(), command, clock=self._clock)
        if isinstance(closed, Closed | AlreadyClosed):
            return invoke_answer(_card_message(CLOSED))
        if isinstance(closed, Invalid):
            return invoke_answer(_card_message(CHOOSE_OUTCOME))
        return invoke_answer(_card_message(NOT_ALLOWED_TO_CLOSE))


def _conversation(activity: Activity) -> ConversationRef:
    return ConversationRef(
        id=activity.conversation_id,
        service_url=activity.service_url,
        tenant_id=activity.tenant_id,
        user_id=activity.user_id,
        bot_id=activity.bot_id,
    )


def _text(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def _card_message(text: str) -> dict[str, Any]:
    """An Action.Execute answer that shows a message and leaves the card as it was."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


def inbox_text(counts: Counts) -> str:
    """The `inbox` reply: the read model's figures; the fresh links follow as pointers."""
    parts = []
    if counts.to_acknowledge:
        parts.append(f"{counts.to_acknowledge} to acknowledge")
    if counts.unread:
        parts.append(f"{counts.unread} not yet read")
    if counts.follow_ups:
        parts.append(
            f"{counts.follow_ups} follow-up{'' if counts.follow_ups == 1 else 's'} of yours"
        )
    if counts.advice_to_give:
        parts.append(advice_to_give_words(counts.advice_to_give))
    if counts.advice_given:
        parts.append(advice_given_words(counts.advice_given))
    if not parts:
        return "Nothing is waiting for you in Flare."
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else parts[0]
    text = f"Waiting for you: {listed}."
    if counts.to_acknowledge or counts.unread or counts.advice_to_give or counts.advice_given:
        text += " Fresh links follow, one message each."
    return text


def _help_activity() -> dict[str, Any]:
    card = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": [
            {"type": "TextBlock", "text": "Flare", "weight": "bolder", "size": "medium"},
            {"type": "TextBlock", "text": HELP, "wrap": True},
            *({"type": "TextBlock", "text": line, "wrap": True} for line in HELP_LINES),
        ],
        "actions": [
            {
                "type": "Action.Submit",
                "title": "Raise a concern",
                "data": {"msteams": {"type": "task/fetch"}, "flare_step": "open"},
            }
        ],
    }
    return {
        "type": "message",
        "summary": "How to use Flare",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }
