"""JsonWalker finds the same offsets as the full index, for any path asked in any order."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kms_hooks.documents import WalkedJsonDocument
from kms_hooks.locate.jsonpos import JsonWalker, index_json

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=4),
    max_leaves=25)


@settings(max_examples=60, deadline=None)
@given(values, st.sampled_from([None, 1, 2]), st.booleans(), st.randoms())
def test_walker_agrees_with_the_index(data: object, indent: int | None, ascii_only: bool,
                                      random: object) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
    full = index_json(text)
    paths = list(full)
    random.shuffle(paths)  # type: ignore[attr-defined]
    walker = JsonWalker(text)
    for path in paths:
        expected, found = full[path], walker.offsets(path)
        assert found is not None
        assert (found.start, found.end, found.key_start, found.key_end) == (
            expected.start, expected.end, expected.key_start, expected.key_end)


def test_absent_paths_fall_back_to_their_parent() -> None:
    text = '{"a": [1, {"b": "x"}], "c": 2}'
    document = WalkedJsonDocument("f.json", text, json.loads(text))
    assert document.span(("a", 1, "b")).column == 17
    assert document.span(("a", 1, "nope")) == document.span(("a", 1))
    assert document.span(("a", 7)) == document.span(("a",))
    assert document.span(("c",), key=True).column == 24
    assert JsonWalker(text).offsets(("a", 0, "x")) is None
