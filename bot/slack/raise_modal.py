"""Raising from Slack: `/concern`, the two shortcuts and the modal's two steps.

Each listener acks first (Slack's 3-second window), then turns the payload into handler
inputs, calls one handler and turns its outcome into Block Kit. Slash-command text is only
used to preselect a client and is never echoed; nothing typed in the modal is sent back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack import home_views
from bot.slack.advice import advice_block, asked_view, wants_advice
from bot.slack.network import answer_network_command, is_network_command
from bot.slack.raise_views import (
    STEP_ONE,
    STEP_TWO,
    Context,
    errors_for,
    mrkdwn,
    not_shared,
    plain,
    sent,
    step_one,
    step_two,
)
from bot.slack.raiser import practitioner_for, raiser_for
from handlers.concern.advice import ask_for_advice
from handlers.concern.answers import ANSWER_FIELDS, RaiseAnswers, answers_from
from handlers.concern.not_sharing import DecisionRecorded
from handlers.concern.submission import (
    RaiseForm,
    preview_raise,
    send_or_decide,
)
from handlers.invalid import Invalid
from handlers.my_work.linked import awaiting_with_links
from handlers.network.client_lookup import Raiser
from handlers.network.identity import Known

if TYPE_CHECKING:
    from bot.dependencies import Dependencies

log = structlog.get_logger("flare.slack")

COMMAND = "/concern"
GLOBAL_SHORTCUT = "flare_raise"
MESSAGE_SHORTCUT = "flare_raise_message"
HOME_RAISE = "flare_home_raise"
FILL_THREADS = 4  # was 2: the filled form's p99 fell from 2.6x to 1.7x the bare open (bench)
COULD_NOT_LOAD = "Flare could not load the form just now. Close this and try again."


@dataclass(frozen=True)
class Form:
    """A modal opened in the loading state, waiting to be filled in for its user."""

    client: WebClient
    body: dict[str, Any]
    context: Context
    external_id: str
    typed: str = ""
    prefill: str = ""


def _log_failure(filled: Future[None]) -> None:
    error = filled.exception()
    if error is not None:  # the type only: a Slack error's text could quote what was sent
        log.error("slack.modal_fill_failed", error=type(error).__name__)


def submission_key(team_id: str, view_id: str) -> str:
    """One concern per modal: every submission of the same view carries the same key."""
    digest = hashlib.sha256(f"{team_id}:{view_id}".encode()).hexdigest()[:40]
    return f"slack:{digest}"


def loading_id(team_id: str, trigger_id: str) -> str:
    """The modal's external id: unique per team, so the form can replace the loading view."""
    return "flare-raise-" + hashlib.sha256(f"{team_id}:{trigger_id}".encode()).hexdigest()[:40]


def _refuse_fields(ack: Ack, errors: Mapping[str, str], view: Mapping[str, Any]) -> None:
    """Point each error at its field; a view with no fields of ours gets a plain refusal."""
    shown = errors_for(errors, view)
    if shown:
        ack(response_action="errors", errors=shown)
    else:
        ack(response_action="update", view=refusal_view(COULD_NOT_LOAD))


def loading_view(external_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "external_id": external_id,
        "title": plain("Raise a concern"),
        "close": plain("Cancel"),
        "blocks": [{"type": "section", "text": mrkdwn("Opening Flare…")}],
    }


def refusal_view(message: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Flare"),
        "close": plain("Close"),
        "blocks": [{"type": "section", "text": mrkdwn(message)}],
    }


def _value(state: dict[str, Any], block_id: str) -> Any:
    element = state.get(block_id, {}).get(block_id, {})
    if "selected_options" in element:
        return [o["value"] for o in element.get("selected_options") or []]
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value", "")
    return element.get("value") or ""


def read_answers(body: dict[str, Any]) -> tuple[RaiseAnswers, str]:
    """The modal's answers (its submission key is the view's) and the identifier typed, if any."""
    view = body["view"]
    state = view.get("state", {}).get("values", {})
    values = {f.name: _value(state, f.name) for f in ANSWER_FIELDS}
    team = body.get("team", {}).get("id") or body["user"].get("team_id", "")
    values["submission_key"] = submission_key(team, view["id"])
    return answers_from(values), str(_value(state, "identifier"))


class RaiseModal:
    """The listeners, bound to one Runtime."""

    def __init__(self, runtime: Dependencies, *, filling: Executor | None = None) -> None:
        self.runtime = runtime
        # Filling a modal in (identity, the user's clients, Block Kit, views.update) runs on
        # a few threads of its own: the listener threads stay free to ack and open the next
        # modals of a burst, whose 3-second triggers are what cannot wait.
        self.filling = filling or ThreadPoolExecutor(
            max_workers=FILL_THREADS, thread_name_prefix="flare-slack-fill"
        )

    # --- opening the modal ---------------------------------------------------------------

    def open(
        self,
        client: WebClient,
        body: dict[str, Any],
        *,
        context: Context,
        typed: str = "",
        prefill: str = "",
        respond: Respond | None = None,
    ) -> Future[None]:
        """Open the modal at once (a trigger lapses after 3 s); fill it in for this user next."""
        external_id = loading_id(context.team, body["trigger_id"])
        client.views_open(trigger_id=body["trigger_id"], view=loading_view(external_id))
        form = Form(client, body, context, external_id, typed=typed, prefill=prefill)
        filled = self.filling.submit(self._fill_in, form, respond)
        filled.add_done_callback(_log_failure)  # nobody waits on it: say what went wrong
        return filled

    def _fill_in(self, form: Form, respond: Respond | None) -> None:
        try:
            who = raiser_for(self.runtime, form.client, form.body, typed=form.typed)
            view = refusal_view(who) if isinstance(who, str) else self._step_one(form, who)
        except Exception as exc:  # the modal must not be left loading: say so, fixed wording
            log.error("slack.modal_fill_failed", error=type(exc).__name__)
            who, view = None, refusal_view(COULD_NOT_LOAD)
        try:
            form.client.views_update(external_id=form.external_id, view=view)
        except SlackApiError as exc:  # closed while loading: nothing to fill in
            log.warning("slack.modal_update_failed", error=str(exc.response.get("error")))
        if isinstance(who, str) and respond is not None:
            respond(text=who, response_type="ephemeral", replace_original=False)

    def _step_one(self, form: Form, raiser: Raiser) -> dict[str, Any]:
        view = step_one(
            raiser.clients, form.context, client_id=raiser.chosen or "", prefill=form.prefill
        )
        view["blocks"].append(advice_block())  # seek advice first (bot/slack/advice.py)
        return view

    def command(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        word = str(body.get("text") or "").strip()
        if word.lower() == "help":
            ack(response_type="ephemeral", text=home_views.HELP)
            return
        ack()
        if is_network_command(word):
            answer_network_command(self.runtime, client, body, respond)
            return
        if word.lower() == "inbox":
            who = practitioner_for(self.runtime, client, body)
            if isinstance(who, Known):
                self.inbox(who, respond)
            else:
                respond(text=who, response_type="ephemeral", replace_original=False)
            return
        context = Context(team=body["team_id"], response_url=body.get("response_url", ""))
        self.open(client, body, context=context, typed=word, respond=respond)

    def inbox(self, who: Known, respond: Respond) -> None:
        runtime = self.runtime
        work = awaiting_with_links(
            runtime.uow(),
            practitioner_id=who.practitioner_id,
            minter=runtime.minter,
            clock=runtime.clock,
            via="slack_inbox",
            raised=False,
        )
        blocks = home_views.inbox(work, runtime.clock.now())
        respond(
            text="Your Flare inbox",
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )

    def shortcut(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team = body.get("team", {}).get("id") or body.get("user", {}).get("team_id", "")
        self.open(client, body, context=Context(team=team))

    def message_shortcut(
        self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team = body.get("team", {}).get("id", "")
        message = body.get("message", {})
        channel = body.get("channel", {}).get("id", "")
        context = Context(
            team=team,
            response_url=body.get("response_url", ""),
            channel=channel if not channel.startswith("D") else "",
            message_ts=str(message.get("ts", "")),
            domain=str(body.get("team", {}).get("domain", "")),
        )
        self.open(
            client, body, context=context, prefill=str(message.get("text", "")), respond=respond
        )

    def home_button(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        self.shortcut(ack, body, client)

    # --- the two steps -------------------------------------------------------------------

    def _submitter(self, ack: Ack, body: dict[str, Any], client: WebClient) -> Known | None:
        """Who submitted; someone Flare refuses sees why in the modal, and nothing happens."""
        who = practitioner_for(self.runtime, client, body)
        if isinstance(who, Known):
            return who
        ack(response_action="update", view=refusal_view(who))
        return None

    def check(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Step 1 submitted: field errors, or step 2 with who it will reach."""
        view = body["view"]
        who = self._submitter(ack, body, client)
        if who is None:
            return
        answers, identifier = read_answers(body)
        form = preview_raise(
            self.runtime.uow(),
            answers,
            raiser_id=who.practitioner_id,
            via="slack",
            identifier=identifier,
        )
        if not form.ready or form.reach is None:
            _refuse_fields(ack, form.errors, view)
            return
        if wants_advice(body):
            self._ask_for_advice(ack, form.answers, who, view)
            return
        context = Context.load(view.get("private_metadata"))
        ack(response_action="update", view=step_two(form.clients, form.reach, context))

    def _ask_for_advice(
        self, ack: Ack, answers: RaiseAnswers, who: Known, view: dict[str, Any]
    ) -> None:
        """Step 1 with "ask for advice" ticked: keep the draft, ask, say whom (a role)."""
        runtime = self.runtime
        asked = ask_for_advice(
            runtime.uow(),
            answers,
            raiser_id=who.practitioner_id,
            clock=runtime.clock,
            calendar=runtime.calendar,
            via="slack",
        )
        if isinstance(asked, Invalid):
            errors = {("ask_advice" if k == "advice" else k): v for k, v in asked.errors.items()}
            _refuse_fields(ack, errors, view)
            return
        ack(response_action="update", view=asked_view(asked))
        log.info("slack.advice_asked", duplicate=asked.duplicate)

    def send(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Step 2 submitted: raise (once per view), or record the decision not to share, as the
        raiser chose there; confirm with counts only."""
        view = body["view"]
        who = self._submitter(ack, body, client)
        if who is None:
            return
        answers, identifier = read_answers(body)
        runtime = self.runtime
        outcome = send_or_decide(
            runtime.uow(),
            answers,
            raiser_id=who.practitioner_id,
            clock=runtime.clock,
            calendar=runtime.calendar,
            via="slack",
            identifier=identifier,
        )
        if isinstance(outcome, RaiseForm):
            _refuse_fields(ack, outcome.errors, view)
            return
        if isinstance(outcome, DecisionRecorded):
            ack(response_action="update", view=not_shared(duplicate=outcome.duplicate))
            log.info("slack.not_shared_recorded", duplicate=outcome.duplicate)
            return
        ack(response_action="update", view=sent(outcome.recipients, duplicate=outcome.duplicate))
        log.info("slack.concern_raised", recipients=outcome.recipients, duplicate=outcome.duplicate)
        if not outcome.duplicate:
            self._confirm(Context.load(view.get("private_metadata")), outcome.recipients)

    def _confirm(self, context: Context, recipients: int) -> None:
        """Ephemeral notes in the channel it started from: counts and a permalink only."""
        if not context.response_url:
            return
        hook = WebhookClient(context.response_url)
        people = f"{recipients} {'person' if recipients == 1 else 'people'}"
        hook.send(
            text=f"Your concern was sent to {people} in the client's network.",
            response_type="ephemeral",
            replace_original=False,
        )
        if context.channel and context.message_ts:
            hook.send(
                text=(
                    f"You raised a concern about <{context.permalink}|this message>. If it holds "
                    "details about a child or family, consider removing it from the channel "
                    "(its author or an admin can delete it)."
                ),
                response_type="ephemeral",
                replace_original=False,
            )


def register(app: App, runtime: Dependencies) -> None:
    """Attach the raise listeners to the Bolt app."""
    modal = RaiseModal(runtime)
    app.command(COMMAND)(modal.command)
    app.shortcut(GLOBAL_SHORTCUT)(modal.shortcut)
    app.message_shortcut(MESSAGE_SHORTCUT)(modal.message_shortcut)
    app.action(HOME_RAISE)(modal.home_button)
    app.view(STEP_ONE)(modal.check)
    app.view(STEP_TWO)(modal.send)
