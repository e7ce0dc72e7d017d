"""Slack's own rules for what Flare sends: the checker, the fake API's answer, and every
Block Kit builder under inputs as large and odd as production can give them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import home_views
from bot.slack.blocks import fallback_text, pointer_blocks, pointer_metadata
from bot.slack.raise_modal import COULD_NOT_LOAD, loading_id, loading_view, refusal_view
from bot.slack.raise_views import Context, errors_for, not_shared, sent, step_one, step_two
from handlers.my_work.awaiting import AdviceLine, Awaiting, ConcernLine, OwnedFollowUp
from handlers.my_work.linked import LinkedAwaiting
from handlers.network.client_lookup import ClientOption
from handlers.network.identity import AMBIGUOUS_MESSAGE, UNKNOWN_MESSAGE
from handlers.network.routing import NetworkMember, ShareOptions
from handlers.ports import Pointer
from handlers.values import Category, ChosenBecause, Platform, PointerKind, Role, Severity
from tests.slack.block_kit_check import message_problems, reply_problems, view_problems
from tests.slack.conftest import BOT_TOKEN, TEAM
from tests.slack.fake_api import FakeSlackAPI

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _modal(**extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Raise a concern"},
        "submit": {"type": "plain_text", "text": "Next"},
        "blocks": [
            {
                "type": "input",
                "block_id": "noticed",
                "label": {"type": "plain_text", "text": "What did you notice?"},
                "element": {"type": "plain_text_input", "action_id": "noticed"},
            }
        ],
    }
    view.update(extra)
    return view


def _options(n: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"v{i}"} for i in range(n)]


# -- the checker finds what Slack refuses ---------------------------------------------------
def test_a_well_formed_modal_passes() -> None:
    assert view_problems(_modal(), kind="modal") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "view.title.text: 25 characters"),
        ({"submit": {"type": "plain_text", "text": "y" * 25}}, "view.submit.text: 25"),
        ({"close": {"type": "plain_text", "text": "z" * 25}}, "view.close.text: 25"),
        ({"submit": None}, "view.submit: required when the view has an input block"),
        ({"private_metadata": "m" * 3001}, "view.private_metadata: 3001 characters"),
        ({"callback_id": "c" * 256}, "view.callback_id: 256 characters"),
        ({"blocks": [{"type": "divider"}] * 101}, "view.blocks: 101 blocks, at most 100"),
        ({"titel": "typo"}, "view.titel: not a field slack_sdk knows"),
        ({"type": "home"}, "view.type: 'home', this method takes 'modal'"),
    ],
)
def test_view_limits(change: dict[str, Any], expected: str) -> None:
    view = _modal(**change)
    if change.get("submit", "") is None:
        del view["submit"]
    assert any(p.startswith(expected) for p in view_problems(view, kind="modal"))


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}},
            "slack_sdk refused it: text attribute cannot exceed 3000",
        ),
        ({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}, "151 characters"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "must be plain_text"),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}],
            },
            "view.blocks[1].elements[0].text.text: 76 characters, at most 75",
        ),
        (
            {
                "type": "input",
                "block_id": "boxes",
                "label": {"type": "plain_text", "text": "l" * 2001},
                "element": {"type": "checkboxes", "action_id": "boxes", "options": _options(2)},
            },
            "view.blocks[1].label.text: 2001 characters",
        ),
        (
            {
                "type": "input",
                "block_id": "boxes",
                "label": {"type": "plain_text", "text": "Send to"},
                "element": {"type": "checkboxes", "action_id": "boxes", "options": _options(11)},
            },
            "view.blocks[1].element.options: 11 options, at most 10",
        ),
        (
            {
                "type": "input",
                "block_id": "radio",
                "label": {"type": "plain_text", "text": "How serious?"},
                "element": {"type": "radio_buttons", "action_id": "r", "options": _options(11)},
            },
            "view.blocks[1].element.options: 11 options, at most 10",
        ),
        (
            {
                "type": "input",
                "block_id": "pick",
                "label": {"type": "plain_text", "text": "Client"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": _options(3),
                    "initial_option": _options(4)[3],
                },
            },
            "view.blocks[1].element.initial_option(s)[0]: matches none of the options",
        ),
        (
            {
                "type": "input",
                "block_id": "typed",
                "label": {"type": "plain_text", "text": "Notes"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "typed",
                    "placeholder": {"type": "plain_text", "text": "p" * 151},
                },
            },
            "view.blocks[1].element.placeholder.text: 151 characters",
        ),
        ({"type": "divider", "block_id": "noticed"}, "block_id 'noticed' used 2 times"),
        ({"type": "divider", "block_id": "d" * 256}, "view.blocks[1].block_id: 256 characters"),
        ({"type": "no_such_block"}, "view.blocks[1]: not a block type slack_sdk knows"),
        (
            {"type": "section", "text": {"type": "mrkdwn", "text": "Smith & <Jones>"}},
            "view.blocks[1].text.text: an unescaped & or <",
        ),
    ],
)
def test_block_limits(block: dict[str, Any], expected: str) -> None:
    view = _modal()
    view["blocks"].append(block)
    problems = view_problems(view, kind="modal")
    assert any(expected in p for p in problems), problems


def test_mrkdwn_may_hold_links_mentions_and_entities() -> None:
    text = "See <https://flare.test/l/x|this> for <@U123> &amp; <!here> &lt;ok&gt;"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    assert message_problems({"text": "t", "blocks": [section]}) == []


def test_message_limits() -> None:
    section = {"type": "section", "text": {"type": "plain_text", "text": "t"}}
    assert message_problems({"text": "t", "blocks": [section]}) == []
    assert "message.text: 40001 characters, at most 40000" in message_problems(
        {"text": "x" * 40_001}
    )
    assert "blocks: 51 blocks, at most 50" in message_problems(
        {"text": "t", "blocks": [section] * 51}
    )
    assert "message: neither text nor blocks" in message_problems({})
    assert any(
        "input block cannot be in a message" in p
        for p in message_problems({"text": "t", "blocks": _modal()["blocks"]})
    )
    assert any("message.metadata" in p for p in message_problems({"text": "t", "metadata": {}}))


def test_errors_must_name_an_input_block_of_the_submitted_view() -> None:
    submitted = {"view": _modal()}
    assert (
        reply_problems(submitted, {"response_action": "errors", "errors": {"noticed": "x"}}) == []
    )
    assert reply_problems(submitted, {"response_action": "errors", "errors": {"client": "x"}}) == [
        "errors.client: no input block has this block_id"
    ]


def test_the_fake_answers_as_slack_does_and_keeps_the_violation(slack: FakeSlackAPI) -> None:
    client = WebClient(token="xoxb-test-t1", base_url=slack.url)
    view = _modal(title={"type": "plain_text", "text": "A title far too long for Slack"})
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id="1.2.trigger", view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    section = {"type": "section", "text": {"type": "plain_text", "text": "t"}}
    with pytest.raises(SlackApiError) as too_many:
        client.chat_postMessage(channel="C1", text="t", blocks=[section] * 51)
    assert too_many.value.response["error"] == "invalid_blocks"
    # What the autouse fixture would fail this test with (taken here, so it passes).
    taken = FakeSlackAPI.refused_anywhere()
    assert [v.where for v in taken] == ["views.open", "chat.postMessage"]
    assert "view.title.text: 30 characters, at most 24" in taken[0].problems
    assert FakeSlackAPI.refused_anywhere() == []


def test_an_edit_that_keeps_a_block_id_is_recorded_though_slack_takes_it(
    slack: FakeSlackAPI,
) -> None:
    slack.add_user(TEAM, "U1", email=None)
    client = WebClient(token=BOT_TOKEN, base_url=slack.url)
    block = {"type": "section", "block_id": "title", "text": {"type": "plain_text", "text": "a"}}
    posted = client.chat_postMessage(channel="U1", text="a", blocks=[block])
    edited = client.chat_update(
        channel=posted["channel"], ts=posted["ts"], text="b", blocks=[block]
    )
    assert edited["ok"]  # Slack's docs ask for a new block_id; Slack does not refuse
    (violation,) = FakeSlackAPI.refused_anywhere()
    assert violation.where == "chat.update"
    assert violation.problems == ("blocks: block_id 'title' reused from the previous iteration",)


# -- every builder stays inside Slack's limits, whatever production gives it -----------------
ids = st.integers(min_value=0, max_value=2**128 - 1).map(lambda n: f"{n:032x}")
words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300)
refusals = st.sampled_from([UNKNOWN_MESSAGE, AMBIGUOUS_MESSAGE, COULD_NOT_LOAD])
# A client reference is whatever the directory file says, up to 32 characters.
references = st.text(alphabet="CK-0129 &<>*_`~", min_size=1, max_size=32) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=32
)


@st.composite
def client_lists(draw: st.DrawFn) -> tuple[list[ClientOption], str]:
    """Up to 250 clients (a lead in a large network), one of them perhaps chosen already."""
    count = draw(st.integers(min_value=0, max_value=250))
    first = draw(st.integers(min_value=0, max_value=2**64))
    clients = [ClientOption(f"{first + i:032x}", f"C-{first + i}") for i in range(count)]
    chosen = draw(st.integers(min_value=-1, max_value=count - 1)) if clients else -1
    return clients, clients[chosen].client_id if chosen >= 0 else ""


members = st.builds(
    NetworkMember,
    practitioner_id=ids,
    name=words,
    job_title=st.text(max_size=200),
    organisation=st.text(max_size=200),
    role=st.sampled_from(Role),
    platform=st.sampled_from(["slack", "teams"]),
    recommended=st.booleans(),
    why=st.text(max_size=300),
)
contexts = st.builds(
    Context,
    team=st.from_regex(r"T[A-Z0-9]{8,11}", fullmatch=True),
    response_url=st.from_regex(
        r"https://hooks\.slack\.com/commands/T[0-9A-Z]{9}/[0-9]{13}/[a-zA-Z0-9]{24}", fullmatch=True
    ),
    channel=st.from_regex(r"C[A-Z0-9]{8,11}", fullmatch=True),
    message_ts=st.from_regex(r"[0-9]{10}\.[0-9]{6}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9-]{1,21}", fullmatch=True),
)


@SETTINGS
@given(client_lists(), contexts, st.text(max_size=50_000))
def test_step_one_is_always_a_modal_slack_accepts(
    listed: tuple[list[ClientOption], str], context: Context, prefill: str
) -> None:
    clients, chosen = listed
    view = step_one(clients, context, client_id=chosen, prefill=prefill)
    assert view_problems(view, kind="modal") == []


@SETTINGS
@given(
    client_lists(),
    st.lists(members, max_size=40, unique_by=lambda m: m.practitioner_id),
    references,
    contexts,
)
def test_step_two_is_always_a_modal_slack_accepts(
    listed: tuple[list[ClientOption], str],
    network: list[NetworkMember],
    reference: str,
    context: Context,
) -> None:
    options = ShareOptions("a" * 32, reference, tuple(network))
    view = step_two(listed[0], options, context)
    assert view_problems(view, kind="modal") == []


@SETTINGS
@given(st.integers(min_value=0, max_value=10**9), st.booleans(), refusals)
def test_the_other_modals_are_accepted(recipients: int, duplicate: bool, message: str) -> None:
    for view in (
        sent(recipients, duplicate=duplicate),
        not_shared(duplicate=duplicate),
        loading_view(loading_id("T1", "1.2.trigger")),
        refusal_view(message),
    ):
        assert view_problems(view, kind="modal") == []


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["client", "noticed", "rationale", "x", "submission_key"]),
        words,
        min_size=1,
    )
)
def test_field_errors_name_input_blocks_of_the_view(errors: dict[str, str]) -> None:
    for view in (step_one((), Context()), step_one([ClientOption("a" * 32, "C-1")], Context())):
        reply = {"response_action": "errors", "errors": errors_for(errors, view)}
        assert reply_problems({"view": view}, reply) == []


times = st.integers(min_value=-(10**7), max_value=10**7).map(lambda s: NOW + timedelta(seconds=s))
lines = st.builds(
    ConcernLine,
    concern_id=ids,
    client_reference=st.just("C-1001"),
    category=st.sampled_from(Category),
    severity=st.sampled_from(Severity),
    status=st.sampled_from(["open", "acknowledged", "closed", "not_shared"]),
    raised_at=times,
    acknowledge_by=st.none() | times,
    late=st.booleans(),
    entries=st.integers(min_value=0, max_value=10_000),
)
line_lists = st.lists(lines, max_size=60, unique_by=lambda line: line.concern_id).map(tuple)
advice_lines = st.lists(
    st.builds(
        AdviceLine,
        request_id=ids,
        page=ids.map(lambda i: f"/advice/{i}"),
        client_reference=st.just("C-1001"),
        severity=st.sampled_from(Severity),
        asked_at=times,
        respond_by=st.none() | times,
        answered_at=st.none() | times,
        late=st.booleans(),
    ),
    max_size=30,
    unique_by=lambda line: line.request_id,
).map(tuple)
owned_follow_ups = st.builds(
    OwnedFollowUp, concern=lines, follow_up_id=ids, due_at=times, overdue=st.booleans()
)


@st.composite
def linked(draw: st.DrawFn) -> LinkedAwaiting:
    awaiting = Awaiting(
        draw(line_lists),
        tuple(draw(st.lists(owned_follow_ups, max_size=60, unique_by=lambda f: f.follow_up_id))),
        draw(line_lists),
        (),
        draw(line_lists),
        draw(advice_lines),
        draw(advice_lines),
    )
    some = st.sampled_from([line.concern_id for line in awaiting.raised] or ["x" * 32])
    link = "https://flare.test/l/" + "t" * 43
    pages = {
        line.request_id: f"https://flare.test{line.page}"
        for line in (*awaiting.advice_to_give, *awaiting.advice_given)
    }
    return LinkedAwaiting(awaiting, {c: link for c in draw(st.lists(some, max_size=20))}, pages)


@SETTINGS
@given(linked())
def test_app_home_and_the_inbox_are_always_accepted(work: LinkedAwaiting) -> None:
    assert view_problems(home_views.home(work, NOW), kind="home") == []
    inbox = home_views.inbox(work, NOW)
    assert message_problems({"text": "Your Flare inbox", "blocks": inbox}) == []


@SETTINGS
@given(refusals)
def test_a_refused_home_and_the_help_are_accepted(message: str) -> None:
    assert view_problems(home_views.refused_home(message), kind="home") == []
    assert message_problems({"text": home_views.HELP, "response_type": "ephemeral"}) == []


pointers = st.builds(
    Pointer,
    kind=st.sampled_from(PointerKind),
    recipient_id=ids,
    platform=st.just(Platform.SLACK),
    idempotency_key=st.from_regex(r"[A-Za-z0-9_.:\-]{1,128}", fullmatch=True),
    link=st.none() | st.just("https://flare.test/l/" + "t" * 43),
    concern_id=st.none() | ids,
    severity=st.none() | st.sampled_from(Severity),
    raised_at=st.none() | times,
    entries=st.integers(min_value=0, max_value=10_000),
    recipients=st.integers(min_value=0, max_value=10_000),
    can_acknowledge=st.booleans(),
    can_close=st.booleans(),
    can_ask_to_join=st.booleans(),
    join_request_id=st.none() | ids,
    acknowledged_at=st.none() | times,
    by_recipient=st.booleans(),
    escalation_level=st.integers(min_value=0, max_value=5),
    awaiting=st.integers(min_value=0, max_value=10_000),
    follow_ups_due=st.integers(min_value=0, max_value=10_000),
    chosen=st.none() | st.sampled_from(ChosenBecause),
)


@SETTINGS
@given(pointers)
def test_every_pointer_is_a_message_slack_accepts(pointer: Pointer) -> None:
    message = {
        "text": fallback_text(pointer, NOW),
        "blocks": pointer_blocks(pointer, NOW),
        "metadata": pointer_metadata(pointer),
    }
    assert message_problems(message) == []
