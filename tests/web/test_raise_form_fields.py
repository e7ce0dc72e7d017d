"""The web raise form asks the questions `handlers.concern.answers` describes, with their
labels, and says what the one parse of category and severity says when they are wrong."""

from __future__ import annotations

import re
from dataclasses import fields

from handlers.concern.answers import BY_NAME, RaiseAnswers
from tests.web.browser import Browser
from tests.web.conftest import World
from tests.web.flows import ANSWERS, sign_in, step_two

WEB_ONLY = {"csrf", "change", "everywhere", "advice"}  # the page's own (sign-out, ask advice)
BUTTONS = {"decision"}  # answered by the button pressed (share, or record not sharing)
LABEL = re.compile(r'<label class="label" for="(\w+)">([^<]*)</label>')
LEGEND = re.compile(r'<legend class="fieldset__legend">([^<]*)</legend>.*?name="(\w+)"', re.S)
NAMES = re.compile(r'<(?:input|textarea|select|button)[^>]*\bname="(\w+)"')
ERROR = re.compile(r'<p class="error-message" id="(\w+)-error">.*?</span> ([^<]*)</p>', re.S)


def asked(html: str) -> tuple[set[str], dict[str, str]]:
    """The names a page posts, and each question's label as shown."""
    labels = {name: text.removesuffix(" (optional)") for name, text in LABEL.findall(html)}
    labels |= {name: text for text, name in LEGEND.findall(html)}
    names = set(NAMES.findall(html)) - WEB_ONLY
    return names, {name: label for name, label in labels.items() if name in names}


def signed_in(world: World) -> Browser:
    amara = world.browser("amara")
    sign_in(world, amara, "amara")
    return amara


def test_both_steps_ask_the_answers_fields_with_their_described_labels(sqlite_world: World) -> None:
    amara = signed_in(sqlite_world)
    one_names, one_labels = asked(amara.get("/raise").text)
    two = step_two(sqlite_world, amara, "C-1001")
    assert two.status_code == 200
    two_names, two_labels = asked(two.text)
    assert one_names | two_names == {f.name for f in fields(RaiseAnswers)}
    shown = one_labels | two_labels
    assert shown == {name: BY_NAME[name].label for name in shown}
    assert set(shown) == {f.name for f in fields(RaiseAnswers)} - {"submission_key"} - BUTTONS
    assert 'name="decision" value="share"' in two.text
    assert 'name="decision" value="not_share"' in two.text


def test_a_bad_category_or_severity_gets_the_one_message(sqlite_world: World) -> None:
    amara = signed_in(sqlite_world)
    page = step_two(sqlite_world, amara, "C-1001", category="bogus", severity="")
    assert page.status_code == 400
    errors = dict(ERROR.findall(page.text))
    assert errors["category"] == BY_NAME["category"].missing == "Choose what kind of concern it is"
    assert errors["severity"] == BY_NAME["severity"].missing == "Choose how serious it is"
    assert ANSWERS["noticed"] in page.text  # kept for correcting
