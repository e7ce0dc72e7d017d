"""The shared test helpers catch what they are for: a canary anywhere, an answer overridden."""

from __future__ import annotations

import pytest

from handlers.values import FamilyInformed, Severity
from tests.directory import Directory
from tests.no_leak import assert_no_canary, canary_needles
from tests.raising import ANSWERS, raise_command


def test_a_canary_in_any_place_fails_and_names_the_place() -> None:
    needles = canary_needles("qzMARKzq", nhs="9434765919")
    assert needles == ["qzMARKzq", "9434765919", "943 476 5919"]
    assert_no_canary(needles, logs="nothing here", sent_to_slack=b"nor here")
    for place, haystack in (("logs", "a qzMARKzq b"), ("sent_to_teams", b"x 943 476 5919")):
        with pytest.raises(AssertionError) as caught:
            assert_no_canary(needles, **{place: haystack})
        assert place.replace("_", " ") in str(caught.value)


def test_a_raise_command_takes_the_defaults_and_any_override() -> None:
    d = Directory({"amara": "p-amara", "dev": "p-dev"}, {"C-1001": "c-1", "C-1002": "c-2"})
    plain = raise_command(d)
    assert (plain.raiser_id, plain.client_id, plain.submission_key) == ("p-amara", "c-1", "sub-1")
    assert plain.noticed == ANSWERS["noticed"] and plain.severity is ANSWERS["severity"]
    other = raise_command(
        d, raiser="dev", client="C-1002", key="k", severity=Severity.LOW, client_id="c-9",
        family_informed=FamilyInformed.YES, family_reason="",
    )  # fmt: skip
    assert (other.raiser_id, other.client_id, other.submission_key) == ("p-dev", "c-9", "k")
    assert other.severity is Severity.LOW and other.family_reason == ""
