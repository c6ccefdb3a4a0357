"""Authorisation number formats: only the four placeholders, {seq} once, plain text otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet.core.errors import ValidationFailed
from dealernet.network.service.numbering import authorisation_number, check_format


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{network}-{region}-{seq:4}", "DEMO-EAST-0007"),
        ("SC{year}{seq:5}", "SC202700007"),
        ("{seq}", "7"),
        ("特约{region}{seq:3}号", "特约EAST007号"),
    ],
)
def test_a_format_fills_its_placeholders(template: str, expected: str) -> None:
    assert authorisation_number(check_format(template), network="DEMO", region="EAST", year=2027, seq=7) == expected


@pytest.mark.parametrize(
    "template",
    ["", "{network}-{region}", "{seq}{seq}", "{seq:0}", "{network.__class__}-{seq}", "{0}{seq}", "x{seq", "a" * 61],
)
def test_a_format_without_one_seq_or_with_other_braces_is_refused(template: str) -> None:
    with pytest.raises(ValidationFailed):
        check_format(template)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20), st.integers(1, 10**6))
def test_plain_text_is_kept_as_it_is(prefix: str, seq: int) -> None:
    template = prefix.strip() + "{seq}"
    number = authorisation_number(check_format(template), network="N", region="R", year=2027, seq=seq)
    assert number == prefix.strip() + str(seq)


def test_a_number_too_long_for_the_contract_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        authorisation_number("{network}{network}{seq:9}", network="N" * 20, region="R", year=2027, seq=1)
