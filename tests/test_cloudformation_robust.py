"""Templates of any shape, intrinsic functions in any place: read and checked without a
traceback, every finding located."""
from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_hooks.checker import Selection, check
from kms_hooks.rules import Context
from kms_hooks.sources.base import SourceFile
from kms_hooks.sources.cloudformation.template import PLACES, CloudFormationSource

TYPES = sorted({t for place in PLACES for t in place.types} | {"AWS::KMS::Alias"})
NAMES = st.sampled_from(["Key", "Alias", "Role", "P", "AWS::NoValue", "AWS::AccountId", "X",
                         "Key.Arn", "Alias.Arn"])
STRINGS = st.sampled_from(["*", "kms:*", "kms:Decrypt", "arn:aws:kms:*:*:key/*", "${Key}",
                           "${Key.Arn}", "${!x}", "a,b", "alias/x", "", "Allow", "0",
                           '{"Statement": [{"Effect": "Allow", "Action": "kms:*", '
                           '"Resource": "*"}]}']) | st.text(max_size=4)
KEYS = st.sampled_from([
    "Version", "Statement", "Effect", "Action", "NotAction", "Resource", "Principal", "AWS",
    "Condition", "StringEquals", "aws:ResourceAccount", "PolicyDocument", "PolicyName", "KeyId",
    "KMSDecryptPolicy", "Policies", "KeyPolicy", "Content", "Type", "ServiceName",
    "InlinePolicy", "BypassPolicyLockoutSafetyCheck", "AliasName", "kms-hooks", "ignore"])


def functions(children: Any) -> Any:
    def call(name: str, argument: Any) -> Any:
        return st.builds(lambda value: {name: value}, argument)

    listed = st.lists(children, max_size=4)
    return st.one_of(
        call("Ref", NAMES | children), call("Fn::GetAtt", st.lists(NAMES, max_size=3) | NAMES),
        call("Fn::Sub", STRINGS | listed), call("Fn::Join", listed), call("Fn::If", listed),
        call("Fn::Select", listed), call("Fn::Split", listed), call("Fn::FindInMap", listed),
        call("Fn::ToJsonString", children), call("Fn::ImportValue", children))


VALUES = st.recursive(
    STRINGS | st.integers(-1, 3) | st.booleans() | st.none(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5)
    | functions(children), max_leaves=25)
TEMPLATES = st.fixed_dictionaries(
    {"Resources": st.dictionaries(
        st.sampled_from(["Key", "Alias", "Role", "R1", "R2"]),
        st.fixed_dictionaries({"Type": st.sampled_from(TYPES)},
                              optional={"Properties": VALUES, "Metadata": VALUES}),
        min_size=1, max_size=4)},
    optional={"Parameters": st.dictionaries(st.sampled_from(["P", "X"]), VALUES, max_size=2),
              "Mappings": VALUES})


def read_and_check(path: str, text: str) -> None:
    file = SourceFile(path, text.encode("utf-8"))
    source = CloudFormationSource()
    assert source.sniff(file)
    subjects = source.read(file)
    assert subjects is not None
    for finding in check(subjects, Context(), Selection()).findings:
        span = finding.where.span()
        assert span.line >= 1 and span.column >= 1
        assert finding.where.pointer().startswith("/")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(TEMPLATES)
def test_any_template_is_read_without_a_traceback(template: dict[str, Any]) -> None:
    read_and_check("template.json", json.dumps(template, indent=1))
    read_and_check("template.yaml", yaml.safe_dump(template))
