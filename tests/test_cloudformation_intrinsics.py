"""Intrinsic functions resolved to what they return, never guessed."""
from __future__ import annotations

from typing import Any

import pytest

from kms_hooks.kms import arn
from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Span, Value, Where
from kms_hooks.sources.base import FixedDocument
from kms_hooks.sources.cloudformation.intrinsics import KEY_ARN, IntrinsicReader, Template

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Pattern": {"Type": "String", "Default": "arn:aws:kms:*:*:key/*"},
        "Choice": {"Type": "String", "AllowedValues": ["*", "alias/app"], "Default": "*"},
        "Arns": {"Type": "CommaDelimitedList", "Default": "arn:aws:kms:*:*:key/*, alias/x"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/key"},
        "Open": {"Type": "String"},
        "Flag": {"Type": "String", "AllowedValues": [True, False]},
    },
    "Mappings": {
        "Keys": {
            "us-east-1": {"Arn": "arn:aws:kms:us-east-1:111122223333:key/a", "Ids": ["a", "b"]},
            "eu-west-1": {"Arn": "arn:aws:kms:eu-west-1:111122223333:alias/b"},
        },
    },
    "Resources": {
        "DataKey": {"Type": "AWS::KMS::Key"},
        "Replica": {"Type": "AWS::KMS::ReplicaKey"},
        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/data"}},
        "StackAlias": {"Type": "AWS::KMS::Alias",
                       "Properties": {"AliasName": {"Fn::Sub": "alias/${AWS::StackName}"}}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
    },
}
WHERE = Where(FixedDocument("t.json", Span(1, 1, 1, 1)), ("x",))


def values(node: Any, yaml: bool = False) -> list[Value] | None:
    return IntrinsicReader(Template(TEMPLATE, yaml)).values(node, WHERE)


def texts(node: Any) -> list[str | None]:
    found = values(node)
    assert found is not None
    return [v.text for v in found]


@pytest.mark.parametrize("name, text", [
    ("AWS::AccountId", THIS_ACCOUNT),
    ("AWS::Partition", SPECIFIC),
    ("AWS::Region", SPECIFIC),
    ("AWS::URLSuffix", SPECIFIC),
    ("AWS::StackName", SPECIFIC),
    ("AWS::NotificationARNs", None),
])
def test_pseudo_parameters(name: str, text: str | None) -> None:
    assert texts({"Ref": name}) == [text]


def test_no_value_is_dropped() -> None:
    assert values({"Ref": "AWS::NoValue"}) == []


def test_ref_of_a_key_is_its_key_id_with_the_arn_as_fix() -> None:
    for logical_id in ("DataKey", "Replica"):
        (found,) = values({"Ref": logical_id}) or []
        assert (found.text, found.kind) == (SPECIFIC, "key-id")
        assert found.display == f'{{"Ref": "{logical_id}"}}'
        assert found.fix is not None and found.fix.title == f'{{"Fn::GetAtt": ["{logical_id}", "Arn"]}}'
        assert arn.classify_value(found).kind == arn.KEY_ID
    (yaml_found,) = values({"Ref": "DataKey"}, yaml=True) or []
    assert yaml_found.fix is not None and yaml_found.fix.title == "!GetAtt DataKey.Arn"


def test_get_att_of_keys() -> None:
    (key_arn,) = values({"Fn::GetAtt": ["DataKey", "Arn"]}) or []
    assert (key_arn.text, key_arn.kind) == (KEY_ARN, "key-arn")
    resource = arn.classify_value(key_arn)
    assert resource.kind == arn.KEY_ARN and resource.this_account
    (key_id,) = values({"Fn::GetAtt": "Replica.KeyId"}) or []
    assert key_id.fix is not None and (key_id.kind, key_id.fix.title) == ("key-id", '{"Fn::GetAtt": ["Replica", "Arn"]}')
    assert texts({"Fn::GetAtt": ["Replica", "Arn"]}) == [KEY_ARN]
    # An alias has no attributes; other resources' attributes are not KMS values.
    assert texts({"Fn::GetAtt": ["Alias", "Arn"]}) == [None]
    assert texts({"Fn::GetAtt": ["Bucket", "Arn"]}) == [None]


def test_ref_of_an_alias_is_its_name() -> None:
    (found,) = values({"Ref": "Alias"}) or []
    assert (found.text, found.kind) == ("alias/data", "alias-name")
    assert texts({"Ref": "StackAlias"}) == [f"alias/{SPECIFIC}"]


def test_parameters_take_what_the_template_says() -> None:
    (pattern,) = values({"Ref": "Pattern"}, yaml=True) or []
    assert pattern.text == "arn:aws:kms:*:*:key/*"
    assert pattern.display == '{Ref: Pattern} (its Default "arn:aws:kms:*:*:key/*")'
    assert texts({"Ref": "Choice"}) == ["*", "alias/app"]  # each allowed value is checked
    assert texts({"Ref": "Arns"}) == ["arn:aws:kms:*:*:key/*", "alias/x"]
    assert texts({"Ref": "FromSsm"}) == [None]  # the Default names the SSM parameter
    assert texts({"Ref": "Open"}) == [None]
    assert texts({"Ref": "Flag"}) == ["true", "false"]
    assert texts({"Ref": "Unknown"}) == [None]


@pytest.mark.parametrize("node, text", [
    ({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${DataKey}"},
     f"arn:{SPECIFIC}:kms:{SPECIFIC}:{THIS_ACCOUNT}:key/{SPECIFIC}"),
    ({"Fn::Sub": "arn:aws:kms:*:${AWS::AccountId}:key/*"}, f"arn:aws:kms:*:{THIS_ACCOUNT}:key/*"),
    # A parameter inside a string is one definite value, whatever its Default.
    ({"Fn::Sub": "arn:aws:kms:*:${Pattern}:key/*"}, f"arn:aws:kms:*:{SPECIFIC}:key/*"),
    ({"Fn::Sub": "${DataKey.Arn}"}, KEY_ARN),
    ({"Fn::Sub": "${Alias}"}, "alias/data"),
    ({"Fn::Sub": "${Bucket.Arn}/*"}, f"{SPECIFIC}/*"),
    ({"Fn::Sub": "arn:aws:s3:::b/${!aws:username}/*"}, "arn:aws:s3:::b/${aws:username}/*"),
    ({"Fn::Sub": ["arn:aws:kms:${R}:${A}:key/${K}",
                  {"R": "us-east-1", "A": {"Ref": "AWS::AccountId"}, "K": {"Ref": "DataKey"}}]},
     f"arn:aws:kms:us-east-1:{THIS_ACCOUNT}:key/{SPECIFIC}"),
    ({"Fn::Join": [":", ["arn:aws:kms", {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"},
                         "alias/x"]]}, f"arn:aws:kms:{SPECIFIC}:{THIS_ACCOUNT}:alias/x"),
    ({"Fn::Join": ["", ["arn:aws:kms:*:", {"Fn::ImportValue": "account"}, ":key/*"]]},
     f"arn:aws:kms:*:{SPECIFIC}:key/*"),
    ({"Fn::Join": [",", {"Ref": "Arns"}]}, "arn:aws:kms:*:*:key/*,alias/x"),
    ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
    ({"Fn::Select": ["0", {"Ref": "Arns"}]}, "arn:aws:kms:*:*:key/*"),
    ({"Fn::Select": [1, {"Fn::FindInMap": ["Keys", "us-east-1", "Ids"]}]}, "b"),
    ({"Fn::FindInMap": ["Keys", "us-east-1", "Arn"]}, "arn:aws:kms:us-east-1:111122223333:key/a"),
])
def test_strings_built_from_pieces(node: Any, text: str) -> None:
    assert texts(node) == [text]


def test_sub_display_is_its_template_string() -> None:
    (found,) = values({"Fn::Sub": ["arn:${P}", {"P": "aws"}]}) or []
    assert (found.text, found.display) == ("arn:aws", "arn:${P}")


def test_find_in_map_with_a_key_known_only_at_deploy_gives_every_entry() -> None:
    assert texts({"Fn::FindInMap": ["Keys", {"Ref": "AWS::Region"}, "Arn"]}) == [
        "arn:aws:kms:us-east-1:111122223333:key/a", "arn:aws:kms:eu-west-1:111122223333:alias/b"]
    assert texts({"Fn::FindInMap": ["Keys", "ap-south-1", "Arn"]}) == [None]
    assert texts({"Fn::FindInMap": ["Missing", "a", "b"]}) == [None]


def test_if_gives_both_branches_at_their_own_places() -> None:
    found = values({"Fn::If": ["C", "*", {"Ref": "DataKey"}]}) or []
    assert [(v.text, v.kind, v.where.at) for v in found] == [
        ("*", None, ("x", "Fn::If", 1)), (SPECIFIC, "key-id", ("x", "Fn::If", 2))]
    assert texts({"Fn::If": ["C", "*", {"Ref": "AWS::NoValue"}]}) == ["*"]
    assert texts({"Fn::Sub": ["${X}", {"X": {"Fn::If": ["C", "a", "b"]}}]}) == ["a", "b"]


def test_select_of_a_written_list_reads_the_element_itself() -> None:
    (found,) = values({"Fn::Select": [1, ["*", {"Ref": "DataKey"}]]}) or []
    assert (found.kind, found.where.at) == ("key-id", ("x", "Fn::Select", 1, 1))


@pytest.mark.parametrize("node", [
    {"Fn::ImportValue": "shared-key"},
    {"Fn::GetAZs": ""},
    {"Fn::Base64": "x"},
    {"Fn::Select": [5, ["a"]]},
    {"Fn::Split": [",", {"Ref": "Open"}]},
    {"Fn::Join": [",", {"Ref": "Open"}]},
    {"Fn::Sub": 42},
    {"Fn::Transform": {"Name": "AWS::Include"}},
    {"Fn::NotYetKnown": "x"},
])
def test_what_cannot_be_known_is_unknown(node: Any) -> None:
    assert texts(node) == [None]


def test_too_many_alternatives_make_a_value_unknown() -> None:
    choice = {"Fn::If": ["C", "a", "b"]}
    assert len(texts({"Fn::Join": ["", [choice] * 5]})) == 32
    assert texts({"Fn::Join": ["", [choice] * 6]}) == [None]


def test_objects_that_are_not_functions_are_not_values() -> None:
    assert values({"Ref": "DataKey", "Other": 1}) is None
    assert values(["a"]) is None


def test_nodes_expand_if_and_drop_no_value() -> None:
    reader = IntrinsicReader(Template(TEMPLATE, False))
    node = {"Fn::If": ["C", {"Fn::If": ["D", {"a": 1}, {"Ref": "AWS::NoValue"}]}, {"b": 2}]}
    assert [(n, w.at) for n, w in reader.nodes(node, WHERE)] == [
        ({"a": 1}, ("x", "Fn::If", 1, "Fn::If", 1)), ({"b": 2}, ("x", "Fn::If", 2))]


def test_strings_of_a_sub_template_policy_are_substituted() -> None:
    reader = IntrinsicReader(Template(TEMPLATE, False), sub_variables={"Id": {"Ref": "DataKey"}})
    (found,) = reader.values("arn:aws:kms:*:${AWS::AccountId}:key/${Id}", WHERE) or []
    assert found.text == f"arn:aws:kms:*:{THIS_ACCOUNT}:key/{SPECIFIC}"
    # Inside a JSON string nothing is a function: an object there is just a wrong type.
    assert reader.values({"Ref": "DataKey"}, WHERE) is None


def test_a_key_arn_where_the_key_id_belongs_matches_nothing() -> None:
    """What a SAM KMS policy template builds from a key ARN: arn:...:key/arn:...:key/ID."""
    built = "arn:aws:kms:us-east-1:111122223333:key/arn:aws:kms:us-east-1:111122223333:key/abc"
    assert arn.classify(built).kind == arn.MALFORMED
    assert arn.classify("arn:aws:kms:us-east-1:111122223333:key/abc").kind == arn.KEY_ARN


def test_aliases_whose_names_refer_to_each_other() -> None:
    template = {"Resources": {
        "A": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": {"Fn::Sub": "${B}"}}},
        "B": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": {"Ref": "A"}}},
    }}
    found = IntrinsicReader(Template(template, False)).values({"Ref": "A"}, WHERE) or []
    assert [(v.text, v.kind) for v in found] == [(f"alias/{SPECIFIC}", "alias-name")]
