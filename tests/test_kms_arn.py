"""Classification of Resource entries (the rule catalog's "Resource values")."""
from __future__ import annotations

import pytest

from kms_hooks.kms import arn
from kms_hooks.kms.arn import Resource, classify, classify_value
from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Value, Where

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ACCOUNT = "111122223333"
PARTITIONS = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
    "aws-iso": "us-iso-east-1",
    "aws-iso-b": "us-isob-east-1",
    "aws-iso-e": "eu-isoe-west-1",
    "aws-iso-f": "us-isof-south-1",
    "aws-eusc": "eusc-de-east-1",
    "aws-something-new": "xx-new-1",  # any other aws-* partition
}


class _NoDocument:
    path = "policy.json"


WHERE = Where(_NoDocument(), ())  # type: ignore[arg-type]


@pytest.mark.parametrize("partition, region", PARTITIONS.items())
def test_key_and_alias_arns_in_every_partition(partition: str, region: str) -> None:
    key = classify(f"arn:{partition}:kms:{region}:{ACCOUNT}:key/{KEY_ID}")
    assert key == Resource(arn.KEY_ARN, partition, region, ACCOUNT, f"key/{KEY_ID}")
    assert key.named_account == ACCOUNT and not key.any_account
    mrk = classify(f"arn:{partition}:kms:{region}:{ACCOUNT}:key/mrk-{'a' * 32}")
    assert mrk.kind == arn.KEY_ARN
    alias = classify(f"arn:{partition}:kms:{region}:{ACCOUNT}:alias/app")
    assert (alias.kind, alias.partition, alias.resource) == (arn.ALIAS_ARN, partition, "alias/app")
    pattern = classify(f"arn:{partition}:kms:*:*:key/*")
    assert (pattern.kind, pattern.any_account) == (arn.KEY_PATTERN, True)
    assert classify(f"arn:{partition}:kms:{region}::key/{KEY_ID}").kind == arn.MALFORMED
    assert classify(f"arn:{partition}:s3:::bucket/*").kind == arn.OTHER_ARN


@pytest.mark.parametrize("text", [
    f"arn:azure:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    f"arn:awsx:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    f"arn:gcp*:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}",  # a wildcard that cannot match aws
])
def test_partitions_that_are_not_aws(text: str) -> None:
    assert classify(text).kind == arn.OTHER_ARN


@pytest.mark.parametrize("text, region, account, resource, any_account", [
    # Fixed to one account: what AWS recommends when listing keys is impractical.
    (f"arn:aws:kms:*:{ACCOUNT}:key/*", "*", ACCOUNT, "key/*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*", "us-east-1", ACCOUNT, "key/*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:*", "us-east-1", ACCOUNT, "*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:k*", "us-east-1", ACCOUNT, "k*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-*", "us-east-1", ACCOUNT, "key/mrk-*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:*mrk-*", "us-east-1", ACCOUNT, "*mrk-*", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:*/{KEY_ID}", "us-east-1", ACCOUNT, f"*/{KEY_ID}", False),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/????????-*", "us-east-1", ACCOUNT, "key/????????-*",
     False),
    # The account is a wildcard, or partly one: keys in many accounts.
    ("arn:aws:kms:*:*:key/*", "*", "*", "key/*", True),
    ("arn:aws:kms:us-east-1:*:*", "us-east-1", "*", "*", True),
    ("arn:aws:kms:us-east-1:1111*:key/*", "us-east-1", "1111*", "key/*", True),
    ("arn:aws:kms:us-east-1:????22223333:key/*", "us-east-1", "????22223333", "key/*", True),
    (f"arn:aws:kms:us-east-1:*:key/{KEY_ID}", "us-east-1", "*", f"key/{KEY_ID}", True),
])
def test_key_patterns_say_which_parts_are_wildcards(
        text: str, region: str, account: str, resource: str, any_account: bool) -> None:
    assert classify(text) == Resource(arn.KEY_PATTERN, "aws", region, account, resource,
                                      any_account)


@pytest.mark.parametrize("text, partition, region, account", [
    # A `*` at the end of a segment matches across the colons that follow.
    ("arn:aws:kms:*", "aws", "*", "*"),
    ("arn:aws:kms:us-*", "aws", "us-*", "*"),
    ("arn:aws:kms:us-east-1:*", "aws", "us-east-1", "*"),
    ("arn:aws:kms:us-east-1:1111*", "aws", "us-east-1", "1111*"),
    ("arn:aws:kms:*:key/*", "aws", "*", "key/*"),
    ("arn:aws:km*", "aws", "*", "*"),
    ("arn:aws:*", "aws", "*", "*"),
    ("arn:aws*", "aws*", "*", "*"),
    ("arn:*", "*", "*", "*"),
    ("arn:*:kms:*:*:*", "*", "*", "*"),
])
def test_open_ended_patterns_cover_every_account(
        text: str, partition: str, region: str, account: str) -> None:
    found = classify(text)
    assert (found.kind, found.partition, found.region, found.account) == \
        (arn.KEY_PATTERN, partition, region, account)
    assert found.any_account


@pytest.mark.parametrize("text", [
    f"arn:aws:*:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    f"arn:aws:k?s:us-east-1:{ACCOUNT}:key/{KEY_ID}",
])
def test_service_wildcards_that_include_kms(text: str) -> None:
    found = classify(text)
    assert (found.kind, found.any_account) == (arn.KEY_PATTERN, False)


@pytest.mark.parametrize("text", [
    f"arn:aws:s?:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    f"arn:aws:kmsx:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    f"arn:aws:KMS:us-east-1:{ACCOUNT}:key/{KEY_ID}",
    "arn:aws:iam::111122223333:role/admin",
    "arn:aws:s3:::bucket/*",
    "arn:aws:dynamodb:*:*:table/*",
    "arn:aws:s*",
    "arn:",
])
def test_non_kms_arns(text: str) -> None:
    assert classify(text).kind == arn.OTHER_ARN


@pytest.mark.parametrize("text", [
    f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/*",
    f"arn:aws:kms:*:{ACCOUNT}:alias/app-*",
    f"arn:aws:kms:us-east-1:{ACCOUNT}:a*",  # can match only aliases
    f"arn:aws:kms:us-east-1:{ACCOUNT}:alias?app",
])
def test_alias_arn_patterns(text: str) -> None:
    assert classify(text).kind == arn.ALIAS_ARN


@pytest.mark.parametrize("text", ["alias/app", "alias/aws/s3", "alias/*"])
def test_alias_names(text: str) -> None:
    assert classify(text) == Resource(arn.ALIAS_NAME)


@pytest.mark.parametrize("text", [
    KEY_ID, KEY_ID.upper(), "mrk-1234abcd12ab34cd56ef1234567890ab",
    "MRK-1234ABCD12AB34CD56EF1234567890AB",
])
def test_bare_key_ids(text: str) -> None:
    assert classify(text) == Resource(arn.KEY_ID)


@pytest.mark.parametrize("text", [
    "mrk-1234", "1234abcd", KEY_ID + "0", "mrk-" + "g" * 32, "key/" + KEY_ID, "hello", "kms",
])
def test_other_text_is_neither_key_id_nor_arn(text: str) -> None:
    assert classify(text) == Resource(arn.OTHER)


@pytest.mark.parametrize("text, account, resource", [
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:{KEY_ID}", ACCOUNT, KEY_ID),  # no key/
    (f"arn:aws:kms:us-east-1::key/{KEY_ID}", "", f"key/{KEY_ID}"),  # empty account
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/", ACCOUNT, "key/"),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:key", ACCOUNT, "key"),
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:x*", ACCOUNT, "x*"),  # can match neither
    (f"arn:aws:kms:us-east-1:{ACCOUNT}:ke/*", ACCOUNT, "ke/*"),
])
def test_malformed_kms_arns(text: str, account: str, resource: str) -> None:
    found = classify(text)
    assert (found.kind, found.account, found.resource) == (arn.MALFORMED, account, resource)


@pytest.mark.parametrize("text", [
    "arn:aws:kms", "arn:aws:kms:", f"arn:aws:kms:us-east-1:{ACCOUNT}",
    f"arn:aws:kms::{ACCOUNT}:key/{KEY_ID}",  # empty region
])
def test_truncated_kms_arns_are_malformed(text: str) -> None:
    assert classify(text).kind == arn.MALFORMED


@pytest.mark.parametrize("text", ["*", "**", "***"])
def test_star(text: str) -> None:
    assert classify(text) == Resource(arn.STAR)


@pytest.mark.parametrize("text", ["", SPECIFIC, SPECIFIC * 2,
                                  f"arn:aws:kms:us-east-1:{ACCOUNT}:{SPECIFIC}"])
def test_unknown_values(text: str) -> None:
    assert classify(text).kind == arn.UNKNOWN


def test_this_account_placeholder() -> None:
    found = classify(f"arn:aws:kms:us-east-1:{THIS_ACCOUNT}:key/*")
    assert (found.kind, found.this_account, found.any_account, found.named_account) == \
        (arn.KEY_PATTERN, True, False, None)


# Policy variables are values in a 2012-10-17 policy, literal text otherwise ----------------------

def _value(text: str | None, kind: str | None = None) -> Value:
    return Value(text, WHERE, kind=kind)


@pytest.mark.parametrize("text", [
    "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*",
    "arn:aws:kms:*:${aws:ResourceAccount}:key/*",
])
def test_policy_variable_account_is_specific_in_2012_10_17(text: str) -> None:
    found = classify_value(_value(text), "2012-10-17")
    assert (found.kind, found.any_account, found.account) == (arn.KEY_PATTERN, False, SPECIFIC)
    # Without the version the variable is literal text: "${aws" is the account segment and the
    # rest does not start with key/, so the ARN matches nothing.
    for version in (None, "2008-10-17"):
        assert classify_value(_value(text), version).kind == arn.MALFORMED


def test_policy_variable_key_id_is_unknown_in_2012_10_17() -> None:
    text = f"arn:aws:kms:us-east-1:{ACCOUNT}:${{aws:username}}"
    assert classify_value(_value(text), "2012-10-17").kind == arn.UNKNOWN
    assert classify_value(_value(text), None).kind == arn.MALFORMED


def test_policy_variable_inside_a_key_arn() -> None:
    text = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/${{aws:PrincipalTag/key}}"
    assert classify_value(_value(text), "2012-10-17").kind == arn.KEY_ARN
    assert classify_value(_value(text), None).kind == arn.KEY_ARN  # literal, but still key/...


def test_policy_variable_is_not_a_wildcard() -> None:
    text = "arn:aws:kms:us-east-1:${*}:key/*"  # ${*} is a literal asterisk
    assert not classify_value(_value(text), "2012-10-17").any_account


@pytest.mark.parametrize("kind, expected", [
    ("key-id", arn.KEY_ID), ("key-arn", arn.KEY_ARN), ("alias-name", arn.ALIAS_NAME),
    ("alias-arn", arn.ALIAS_ARN), (None, arn.UNKNOWN),
])
def test_values_known_by_meaning(kind: str | None, expected: str) -> None:
    assert classify_value(_value(None, kind)).kind == expected


def test_a_resolved_key_id_stays_a_key_id_whatever_its_text() -> None:
    # A CloudFormation Ref to a key returns the key id even when the text looks like an ARN.
    assert classify_value(_value(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/x", "key-id")).kind \
        == arn.KEY_ID
