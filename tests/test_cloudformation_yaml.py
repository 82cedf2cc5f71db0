"""CloudFormation YAML: short-form tags, scalars as CloudFormation reads them, safe loading, and
positions from node marks (inside embedded JSON strings too)."""
from __future__ import annotations

from typing import Any

import pytest

from kms_hooks.locate.yamlpos import YamlDocument
from kms_hooks.model import Span
from kms_hooks.sources.base import ParseError
from kms_hooks.sources.cloudformation.loader import FUNCTION_TAGS, load, long_form


def data(text: str) -> Any:
    return load(text)[0]


@pytest.mark.parametrize("written, expected", [
    ("!Ref Key", {"Ref": "Key"}),
    ("!Condition IsProd", {"Condition": "IsProd"}),
    ("!GetAtt Key.Arn", {"Fn::GetAtt": ["Key", "Arn"]}),
    ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
    ("!GetAtt [Key, Arn]", {"Fn::GetAtt": ["Key", "Arn"]}),
    ("!Sub arn:${AWS::Partition}:kms", {"Fn::Sub": "arn:${AWS::Partition}:kms"}),
    ("!Sub ['a${X}', {X: b}]", {"Fn::Sub": ["a${X}", {"X": "b"}]}),
    ("!Join [':', [a, b]]", {"Fn::Join": [":", ["a", "b"]]}),
    ("!If [C, a, !Ref AWS::NoValue]", {"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]}),
    ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ("!Split [',', a]", {"Fn::Split": [",", "a"]}),
    ("!FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
    ("!ImportValue shared", {"Fn::ImportValue": "shared"}),
    ("!Base64 text", {"Fn::Base64": "text"}),
    ("!Not [!Equals [a, b]]", {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}),
    ("!And [!Condition A, !Or [!Condition B, !Condition C]]",
     {"Fn::And": [{"Condition": "A"}, {"Fn::Or": [{"Condition": "B"}, {"Condition": "C"}]}]}),
    ("!Cidr [10.0.0.0/16, 6, 5]", {"Fn::Cidr": ["10.0.0.0/16", 6, 5]}),
    ("!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
     {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
])
def test_short_forms_read_as_long_forms(written: str, expected: Any) -> None:
    assert data(f"value: {written}\n") == {"value": expected}


def test_every_function_tag_has_its_long_form() -> None:
    assert all(long_form(tag) == "Fn::" + tag[1:] for tag in FUNCTION_TAGS)
    assert long_form("!Ref") == "Ref" and long_form("!Unknown") is None


def test_scalars_as_cloudformation_reads_them() -> None:
    assert data(
        "Version: 2012-10-17\n"
        "Account: 012345670123\n"
        "Other: 123456789012\n"
        "Enabled: true\n"
        "Off: no\n"
        "Ratio: 1.5\n"
        "Hex: 0x1F\n"
        "Empty:\n"
        "Quoted: '2012-10-17'\n"
    ) == {"Version": "2012-10-17", "Account": "012345670123", "Other": 123456789012,
          "Enabled": True, "Off": False, "Ratio": 1.5, "Hex": "0x1F", "Empty": None,
          "Quoted": "2012-10-17"}


def test_no_object_is_ever_constructed_from_a_tag() -> None:
    loaded = data("a: !!python/object/apply:os.system [echo unsafe]\nb: !Custom x\n")
    assert loaded == {"a": ["echo unsafe"], "b": "x"}


def test_aliases_are_read_and_recursive_ones_refused() -> None:
    assert data("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(ParseError) as raised:
        load("a: &x [1, *x]\n")
    assert raised.value.message == "invalid YAML: an alias refers to a node that contains it"


def test_repeated_keys_are_recorded() -> None:
    loaded, _, duplicates = load("a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert loaded == {"a": {"b": 3, "c": 2}}
    assert duplicates == {id(loaded["a"]): ["b"]}


@pytest.mark.parametrize("text, message, span", [
    ("a: [1, 2\n", "invalid YAML: did not find expected ',' or ']'", Span(2, 1, 2, 2)),
    ("a: b\n\tc: d\n", "invalid YAML: found a tab character that violates indentation",
     Span(2, 1, 2, 2)),
    ("---\na: 1\n---\nb: 2\n", "invalid YAML: expected a single document in the stream, but "
     "found another document", Span(3, 1, 3, 2)),
    ("# only a comment\n", "empty file: not a YAML document", Span(1, 1, 1, 1)),
    ("{a: 1}: b\n", "invalid YAML: a mapping key must be a scalar", Span(1, 1, 1, 2)),
])
def test_parse_errors_say_where(text: str, message: str, span: Span) -> None:
    with pytest.raises(ParseError) as raised:
        load(text)
    assert (raised.value.message, raised.value.span) == (message, span)


TEMPLATE = """\
Resources:
  Key:
    Type: AWS::KMS::Key
  Policy:
    Properties:
      Roles: [!Ref Role]
      Resource: !GetAtt Key.Arn
      Branches: !If [C, "*", !Sub 'arn:${AWS::Partition}:kms']
"""


def document(text: str) -> YamlDocument:
    loaded, root, _ = load(text)
    return YamlDocument("t.yaml", text, root, long_form, loaded)


@pytest.mark.parametrize("at, key, span", [
    (("Resources", "Key"), True, Span(2, 3, 2, 6)),
    (("Resources", "Key", "Type"), False, Span(3, 11, 3, 24)),
    (("Resources", "Policy", "Properties", "Roles", 0), False, Span(6, 15, 6, 24)),
    (("Resources", "Policy", "Properties", "Roles", 0, "Ref"), False, Span(6, 15, 6, 24)),
    (("Resources", "Policy", "Properties", "Resource", "Fn::GetAtt", 1), False,
     Span(7, 17, 7, 32)),
    (("Resources", "Policy", "Properties", "Branches", "Fn::If", 1), False, Span(8, 25, 8, 28)),
    (("Resources", "Policy", "Properties", "Branches", "Fn::If", 2, "Fn::Sub"), False,
     Span(8, 30, 8, 62)),
    # A path that goes further than the file: the deepest element found.
    (("Resources", "Policy", "Properties", "Missing"), False, Span(6, 7, 9, 1)),
    (("Resources", "Policy", "Properties", "Resource", "Ref"), False, Span(7, 17, 7, 32)),
])
def test_spans_follow_paths_through_tags(at: tuple[Any, ...], key: bool, span: Span) -> None:
    assert document(TEMPLATE).span(at, key) == span


def positions_of(style_text: str, target: str) -> tuple[str, list[int] | None]:
    """The mapping of the scalar `value:` and the text it says each character is at."""
    text = f"value: {style_text}\n"
    doc = document(text)
    found = doc.string_offsets(("value",))
    value = doc.data["value"]
    if isinstance(value, dict):
        value = next(iter(value.values()))
    if found is not None:
        assert len(found) == len(value) + 1
        for index, offset in enumerate(found[:-1]):
            # Each character is itself in the file, or the escape that stands for it.
            assert text[offset] in (value[index], "\\") or value[index] == "\n"
    start = value.index(target) if target else 0
    return text, found if found is None else found[start:start + len(target) + 1]


@pytest.mark.parametrize("written", [
    'plain {"a":"b"}',
    "'single ''quoted'' {\"a\": \"b\"}'",
    '"double \\"quoted\\" \\u00e9 {\\"a\\": \\"b\\"}"',
    '!Sub \'with tag {"a": "b"}\'',
    '|\n  literal\n    block {"a": "b"}\n  end\n',
    '!Sub |\n  {\n    "a": "b"\n  }\n',
])
def test_scalar_positions_map_each_character(written: str) -> None:
    text, found = positions_of(written, '"b"')
    assert found is not None
    assert text[found[0]:found[-1]] in ('"b"', '\\"b\\"')


@pytest.mark.parametrize("written", [
    ">\n  folded\n  block\n",
    '"double quoted\n  over lines"',
    "'single quoted\n  over lines'",
    "plain\n  over lines",
    "|2\n    explicit indentation\n",
])
def test_scalar_positions_refused_where_not_exact(written: str) -> None:
    assert positions_of(written, "")[1] is None


def test_plain_scalars_resolve_as_pyyaml_resolves_them() -> None:
    """The composer leaves plain scalars to the builder; PyYAML's own resolver (used without
    libyaml) must give the same data."""
    import yaml

    from kms_hooks.sources.cloudformation import loader as cfn_yaml

    text = ("a: [yes, No, ON, off, ~, null, '', 12, -3, +4, 1_000, 0o17, 012, 0x1F, 1.5, .5, -2.,"
            " 1e5, 1.0e+5, .inf, 2012-10-17, 12:30, <<, =, y, n, 'yes', !!str 12, !!int 12]\n"
            "b:\nc: !Sub x\n")
    fast = load(text)[0]
    saved = cfn_yaml._loader
    cfn_yaml._loader = yaml.SafeLoader
    try:
        assert load(text)[0] == fast
    finally:
        cfn_yaml._loader = saved
    assert fast["a"][:12] == [True, False, True, False, None, None, "", 12, -3, 4, 1000, "0o17"]
    assert fast["b"] is None
