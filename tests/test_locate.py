"""Positions in JSON texts: the walker finds exactly where each value and key is, for any path
asked in any order."""
from __future__ import annotations

import json
import re
from random import Random
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kms_hooks.documents import JsonDocument
from kms_hooks.locate.jsonpos import JsonWalker, LineMap
from kms_hooks.model import Path
from kms_hooks.sources.base import parse_json
from tests.strategies import json_values


def _paths(node: Any, at: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, at + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, at + (index,))




@settings(max_examples=80, deadline=None)
@given(json_values, st.sampled_from([None, 0, 1, 3]), st.booleans(), st.randoms())
def test_every_value_and_key_is_found_exactly(data: Any, indent: int | None,
                                              ascii_only: bool, random: Random) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
    paths = list(_paths(data))
    random.shuffle(paths)
    for repeats in (None, lambda at, key: False):
        walker = JsonWalker(text, repeats)
        for at, value in paths:
            found = walker.offsets(at)
            assert found is not None
            assert json.loads(text[found.start:found.end]) == value
            if at and isinstance(at[-1], str):
                assert json.loads(text[found.key_start:found.key_end]) == at[-1]
            else:
                assert found.key_start == -1


def test_a_repeated_key_is_located_at_its_last_occurrence() -> None:
    text = '{"a": {"x": 1}, "b": 2, "a": {"x": 3, "x": 4}}'
    data, duplicates = parse_json(text)
    assert duplicates  # the parse saw the repeats
    for document in (JsonDocument("f.json", text, data, duplicates),
                     JsonDocument("f.json", text, data)):
        found = document.offsets(("a", "x"))
        assert found is not None
        assert text[found.start:found.end] == "4"
        assert text[found.key_start:found.key_end] == '"x"'
        assert found.key_start == text.rindex('"x"')
        whole = document.offsets(("a",))
        assert whole is not None and whole.start == text.rindex("{")


def test_absent_elements_are_none_and_documents_fall_back_to_the_parent() -> None:
    text = '{"Statement": [{"Effect": "Allow"}]}'
    walker = JsonWalker(text)
    document = JsonDocument("f.json", text, json.loads(text))

    def shown(at: Path) -> str:
        found = document.offsets(at)
        assert found is not None
        return text[found.start:found.end]

    statement = '{"Effect": "Allow"}'
    assert shown(("Statement", 0)) == statement
    for absent in [("Statement", 0, "Resource"), ("Statement", 0, "Resource", 3),
                   ("Statement", 0, 0)]:  # an index into an object
        assert walker.offsets(absent) is None
        assert shown(absent) == statement
    assert shown(("Statement", 5)) == "[" + statement + "]"
    assert shown(("Statement", "x")) == "[" + statement + "]"  # a key into an array
    assert shown(("Statement", 0, "Effect", "x")) == '"Allow"'
    assert shown(("Nothing",)) == text
    assert JsonWalker("  ").offsets(()) is None


def test_spans_of_values_and_keys() -> None:
    text = '{"a": [1, {"b": "x"}], "c": 2}'
    document = JsonDocument("f.json", text, json.loads(text), {})
    assert document.span(("a", 1, "b")).column == 17
    assert document.span(("a", 1, "nope")) == document.span(("a", 1))
    assert document.span(("a", 7)) == document.span(("a",))
    assert document.span(("c",), key=True).column == 24


def test_escaped_keys_and_surrounding_space() -> None:
    text = ' \n{ "a\\u0062" :\t[ 1 , "x" ] }\n'
    walker = JsonWalker(text)
    found = walker.offsets(("ab", 1))
    assert found is not None and text[found.start:found.end] == '"x"'
    key = walker.offsets(("ab",))
    assert key is not None and text[key.key_start:key.key_end] == '"a\\u0062"'
    root = walker.offsets(())
    assert root is not None and (root.start, text[root.end - 1]) == (2, "}")


def test_only_the_way_to_an_element_is_read() -> None:
    # A large document after the element is never scanned: an invalid tail proves it.
    text = '{"Statement": [{"Action": "kms:Decrypt"}], "Rest": [' + "1, " * 1000
    found = JsonWalker(text, lambda at, key: False).offsets(("Statement", 0, "Action"))
    assert found is not None and text[found.start:found.end] == '"kms:Decrypt"'


@pytest.mark.parametrize("text", ["", "a", "\n", "ab\ncd\n", "\n\n", "x\r\ny", "é\n€\nz"])
def test_line_map_counts_newlines_only(text: str) -> None:
    lines = LineMap(text)
    for offset in range(len(text) + 1):
        expected_line = text.count("\n", 0, offset) + 1
        expected_column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        assert lines.line_col(offset) == (expected_line, expected_column)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    assert lines.line_col(starts[-1]) == (len(starts), 1)
