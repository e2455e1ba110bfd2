"""The front's form decoder against the standard library's, on any input."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from handlers.http_parse import form_fields, parse

fields = st.lists(st.tuples(st.text(), st.text()), max_size=6)


@given(fields)
def test_an_encoded_form_decodes_as_urllib_decodes_it(pairs: list[tuple[str, str]]):
    raw = urlencode(pairs)
    assert form_fields(raw) == parse_qsl(raw, keep_blank_values=True) == pairs


@given(st.text(alphabet=st.sampled_from("ab=&%+\\ é9fFzZ"), max_size=40) | st.text(max_size=40))
def test_any_body_at_all_decodes_as_urllib_decodes_it(raw: str):
    """Broken escapes, stray backslashes, raw non-ASCII: the same answer, never an exception."""
    assert form_fields(raw) == parse_qsl(raw, keep_blank_values=True)


def test_an_interaction_payload_is_the_json_slack_sent():
    payload = {"type": "block_actions", "text": 'Shop «1» 🙂 "q" \\ 100% + more'}
    raw = urlencode({"payload": json.dumps(payload)})
    assert parse(raw, "application/x-www-form-urlencoded") == payload
