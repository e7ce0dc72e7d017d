"""Block Kit builders: the modal's shape, what it may preset, and Slack's limits."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

from bot.slack import home_views
from bot.slack.raise_views import (
    STEP_ONE,
    STEP_TWO,
    Context,
    answer_blocks,
    errors_for,
    sent,
    step_one,
    step_two,
)
from handlers.concern.answers import BY_NAME, RaiseAnswers
from handlers.my_work.awaiting import Awaiting, ConcernLine
from handlers.my_work.linked import LinkedAwaiting
from handlers.network.client_lookup import ClientOption
from handlers.network.routing import NetworkMember, ShareOptions
from handlers.values import Category, Role, Severity

CLIENTS = (ClientOption("a" * 32, "C-1001"), ClientOption("b" * 32, "C-1002"))
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _inputs(view: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _member(pid: str, role: Role, recommended: bool) -> NetworkMember:
    return NetworkMember(
        pid, f"Person {pid[:1]}", "Nurse", "School", role, "slack", recommended, ""
    )


def test_step_one_lists_references_and_presets_only_ids() -> None:
    view = step_one(CLIENTS, Context(team="T1"), client_id="b" * 32)
    assert view["callback_id"] == STEP_ONE and view["private_metadata"] == '{"team":"T1"}'
    inputs = _inputs(view)
    assert list(inputs) == [
        "client",
        "identifier",
        "category",
        "severity",
        "noticed",
        "family_informed",
        "family_reason",
        "lawful_basis",
        "special_category",
        "protected_identities",
    ]
    client = inputs["client"]["element"]
    assert [o["text"]["text"] for o in client["options"]] == ["C-1001", "C-1002"]
    assert client["initial_option"]["value"] == "b" * 32
    assert all(b["element"]["action_id"] == name for name, b in inputs.items())
    assert all("initial_value" not in b["element"] for b in inputs.values())
    assert len(view["title"]["text"]) <= 24


def test_without_clients_the_identifier_is_required() -> None:
    inputs = {b["block_id"]: b for b in answer_blocks(())}
    assert "client" not in inputs and inputs["identifier"]["optional"] is False


def test_message_shortcut_prefills_what_you_noticed_only() -> None:
    view = step_one(CLIENTS, Context(), prefill="x" * 4000)
    prefilled = [b for b in _inputs(view).values() if "initial_value" in b["element"]]
    assert [b["block_id"] for b in prefilled] == ["noticed"]
    assert len(prefilled[0]["element"]["initial_value"]) == 3000


def test_step_two_pre_ticks_the_policy_and_repeats_inputs_without_values() -> None:
    options = ShareOptions(
        "a" * 32,
        "C-1001",
        (_member("1" * 32, Role.LEAD, True), _member("2" * 32, Role.MEMBER, False)),
    )
    view = step_two(CLIENTS, options, Context(team="T1"))
    assert view["callback_id"] == STEP_TWO and view["submit"]["text"] == "Submit"
    inputs = _inputs(view)
    boxes = inputs["recipients"]["element"]
    assert [o["value"] for o in boxes["options"]] == ["1" * 32, "2" * 32]
    assert [o["value"] for o in boxes["initial_options"]] == ["1" * 32]
    assert {"noticed", "rationale", "narrowing_reason", "not_sharing_reason"} <= set(inputs)
    # Share or not is asked here, beside the recipients; sharing is the preset choice.
    assert inputs["decision"]["element"]["initial_option"]["value"] == "share"
    assert inputs["rationale"]["optional"] and inputs["not_sharing_reason"]["optional"]
    for block in inputs.values():
        element = block["element"]
        assert "initial_value" not in element
        assert block["block_id"] in ("recipients", "decision") or "initial_option" not in element


def test_a_network_larger_than_ten_is_listed_whole_in_a_multi_select() -> None:
    network = tuple(_member(f"{i:032x}", Role.MEMBER, i % 3 == 0) for i in range(12))
    view = step_two(CLIENTS, ShareOptions("a" * 32, "C-1001", network), Context(team="T1"))
    people = _inputs(view)["recipients"]["element"]
    assert people["type"] == "multi_static_select"  # checkboxes hold at most 10
    assert [o["value"] for o in people["options"]] == [m.practitioner_id for m in network]
    ticked = [o["value"] for o in people["initial_options"]]
    assert ticked == [m.practitioner_id for m in network if m.recommended]


def test_errors_land_on_a_block_of_the_view() -> None:
    view = step_one((), Context())
    shown = errors_for({"client": "Choose", "submission_key": "expired", "noticed": "Enter"}, view)
    assert shown == {"identifier": "Choose expired", "noticed": "Enter"}


def test_sent_says_counts_only() -> None:
    assert "3 people" in str(sent(3)) and "1 person" in str(sent(1))
    assert "not been sent again" in str(sent(2, duplicate=True))


def test_context_round_trips_and_builds_a_permalink() -> None:
    context = Context(team="T1", channel="C9", message_ts="1700000000.000100", domain="acme")
    assert Context.load(context.dump()) == context
    assert context.permalink == "https://acme.slack.com/archives/C9/p1700000000000100"
    assert Context.load("not json") == Context() and Context.load("[1]") == Context()


def test_home_and_inbox_show_counts_severities_and_links() -> None:
    item = ConcernLine(
        "c" * 32,
        "C-REFERENCE",
        Category.NEGLECT,
        Severity.HIGH,
        "open",
        NOW - timedelta(hours=3),
        acknowledge_by=NOW + timedelta(hours=1),
        late=False,
        entries=2,
    )
    more = tuple(replace(item, concern_id=f"{n:032x}") for n in range(11))
    work = LinkedAwaiting(
        Awaiting((item, *more), (), (), (), ()), {item.concern_id: "https://flare.test/l/tok"}
    )
    view = home_views.home(work, NOW)
    text = str(view)
    assert view["type"] == "home" and "(12)" in text and "High" in text and "3 h ago" in text
    assert "…and 2 more" in text and "2 entries" in text  # the first ten of twelve are shown
    assert "C-REFERENCE" not in text and "Neglect" not in text  # for Flare's own pages only
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert buttons == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open", "emoji": False},
            "url": "https://flare.test/l/tok",
            "action_id": "flare_open_ack_" + "c" * 32,
        }
    ]
    assert "Concerns you raised" not in str(home_views.inbox(work, NOW))
    empty = LinkedAwaiting(Awaiting((), (), (), (), ()), {})
    assert "Nothing is waiting" in str(home_views.inbox(empty, NOW))


def test_both_steps_ask_the_answers_fields_with_their_described_labels() -> None:
    members = (_member("a" * 32, Role.LEAD, True), _member("b" * 32, Role.MEMBER, False))
    options = ShareOptions("c" * 32, "C-1001", members)
    asked = _inputs(step_one(CLIENTS, Context())) | _inputs(step_two(CLIENTS, options, Context()))
    asked.pop("identifier")  # Slack's own second way to name the client
    # The submission key is the view's own id: nothing to ask.
    assert set(asked) == {f.name for f in fields(RaiseAnswers)} - {"submission_key"}
    for name, block in asked.items():
        described = BY_NAME[name]
        assert block["label"]["text"] == described.label, name
        assert block.get("hint", {}).get("text", "") == described.hint, name
        options_shown = [o["value"] for o in block["element"].get("options", [])]
        if described.choices is not None:
            assert options_shown == [v for v, _ in described.options()], name
