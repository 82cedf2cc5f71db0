"""Property: --fix --unsafe-fixes on generated files (raw JSON, CloudFormation YAML, Terraform
HCL, Terraform JSON) leaves each file parseable, removes every finding it fixed and adds none,
and a second run changes nothing."""
from __future__ import annotations

import collections
import json
import pathlib
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kms_hooks.cli import main
from kms_hooks.kms.facts import KEY_SCOPED, STAR_ONLY, closest

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SCOPED = sorted(KEY_SCOPED)[:12]
# Misspellings with exactly one close action: the safe KMS111 fix has one right answer.  Not of
# actions that other rules judge on their own (a fixed kms:CeateGrant is an unconstrained
# kms:CreateGrant, KMS113: the fix uncovers it, rightly, but it is new).
QUIET = [name for name in SCOPED if name not in ("CreateGrant", "PutKeyPolicy",
                                                 "ScheduleKeyDeletion")]
TYPOS = [name[:i] + name[i + 1:] for name in QUIET for i in (1, len(name) - 2)
         if closest(name[:i] + name[i + 1:]) == [name]]
STARS = sorted(STAR_ONLY & {"ListKeys", "ListAliases", "CreateKey"})

REF, STAR, ANY_ACCOUNT, ARN = "ref", "star", "any-account", "arn"


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    """A statement as data: its actions, and its resources as kinds."""
    typo = draw(st.booleans())
    if typo:  # a fixed typo must not uncover a finding: only key ARNs here
        actions = [draw(st.sampled_from(TYPOS))] + draw(st.lists(st.sampled_from(QUIET),
                                                                 max_size=2))
        return {"actions": actions, "resources": [ARN], "sid": draw(st.booleans())}
    actions = draw(st.lists(st.sampled_from(SCOPED), min_size=1, max_size=3))
    if draw(st.booleans()):
        actions.append(draw(st.sampled_from(STARS)))
    resources = draw(st.lists(st.sampled_from([REF, STAR, ANY_ACCOUNT, ARN]), min_size=1,
                              max_size=3, unique=True))
    return {"actions": actions, "resources": resources, "sid": draw(st.booleans())}


documents = st.fixed_dictionaries({
    "statements": st.lists(statements(), min_size=1, max_size=3),
    "bypass": st.booleans(),
    "style": st.integers(0, 3),
})


def _pattern(kind: str) -> str:
    return {STAR: "*", ANY_ACCOUNT: "arn:aws:kms:*:*:key/*", ARN: KEY_ARN}[kind]


def raw_json(doc: dict[str, Any]) -> str:
    statements = [{**({"Sid": f"S{i}"} if s["sid"] else {}), "Effect": "Allow",
                   "Action": ["kms:" + a for a in s["actions"]],
                   "Resource": [_pattern(r if r != REF else ARN) for r in s["resources"]]}
                  for i, s in enumerate(doc["statements"])]
    indent = [None, 2, 4, "\t"][doc["style"]]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=indent) + "\n"


def cfn_yaml(doc: dict[str, Any]) -> str:
    style = doc["style"]
    refs = ["!Ref DataKey", "{Ref: DataKey}", "!GetAtt DataKey.KeyId", "!GetAtt [DataKey, KeyId]"]
    quote = "'" if style % 2 else '"'

    def resource(kind: str) -> str:
        return refs[style] if kind == REF else f"{quote}{_pattern(kind)}{quote}"

    lines = ["Resources:", "  DataKey:", "    Type: AWS::KMS::Key", "    Properties:",
             "      Description: data"]
    if doc["bypass"]:
        lines.append("      BypassPolicyLockoutSafetyCheck: true  # reviewed")
    lines += ["  Reader:", "    Type: AWS::IAM::ManagedPolicy", "    Properties:",
              "      PolicyDocument:", "        Version: '2012-10-17'", "        Statement:"]
    for i, s in enumerate(doc["statements"]):
        lines.append(f"          - Effect: Allow" + (f"\n            Sid: S{i}" if s["sid"] else ""))
        actions = ["kms:" + a for a in s["actions"]]
        if style < 2:
            lines.append(f"            Action: [{', '.join(actions)}]")
            lines.append(f"            Resource: [{', '.join(map(resource, s['resources']))}]")
        else:
            lines.append("            Action:")
            lines += [f"              - {a}" for a in actions]
            lines.append("            Resource:")
            lines += [f"              - {resource(r)}" for r in s["resources"]]
    return "\n".join(lines) + "\n"


def hcl(doc: dict[str, Any]) -> str:
    refs = ["aws_kms_key.data.key_id", "aws_kms_key.data.id"]

    def resource(kind: str) -> str:
        return refs[doc["style"] % 2] if kind == REF else json.dumps(_pattern(kind))

    out = ['data "aws_caller_identity" "current" {}', "",
           'resource "aws_kms_key" "data" {', '  description = "data"']
    if doc["bypass"]:
        out.append("  bypass_policy_lockout_safety_check = true")
    out += ["}", "", 'data "aws_iam_policy_document" "doc" {']
    for i, s in enumerate(doc["statements"]):
        out.append("  statement {")
        if s["sid"]:
            out.append(f'    sid       = "S{i}"')
        out.append(f"    actions   = {json.dumps(['kms:' + a for a in s['actions']])}")
        out.append(f"    resources = [{', '.join(map(resource, s['resources']))}]")
        out.append("  }")
    out += ["}", "", 'resource "aws_iam_policy" "doc" {',
            "  policy = data.aws_iam_policy_document.doc.json", "}"]
    return "\n".join(out) + "\n"


def tf_json(doc: dict[str, Any]) -> str:
    def resource(kind: str) -> str:
        return "${aws_kms_key.data.key_id}" if kind == REF else _pattern(kind)

    key: dict[str, Any] = {"description": "data"}
    if doc["bypass"]:
        key["bypass_policy_lockout_safety_check"] = True
    statements = [{**({"sid": f"S{i}"} if s["sid"] else {}),
                   "actions": ["kms:" + a for a in s["actions"]],
                   "resources": [resource(r) for r in s["resources"]]}
                  for i, s in enumerate(doc["statements"])]
    config = {
        "data": {"aws_caller_identity": {"current": {}},
                 "aws_iam_policy_document": {"doc": {"statement": statements}}},
        "resource": {"aws_kms_key": {"data": key}, "aws_iam_policy": {
            "doc": {"policy": "${data.aws_iam_policy_document.doc.json}"}}},
    }
    return json.dumps(config, indent=[None, 2, 4, 1][doc["style"]]) + "\n"


FORMATS = {"policy.json": raw_json, "template.yaml": cfn_yaml, "main.tf": hcl,
           "main.tf.json": tf_json}


def parses(name: str, text: str) -> bool:
    if name == "main.tf":
        from kms_hooks.sources.terraform.hcl import read_hcl

        return read_hcl(name, text).error is None
    if name.endswith(".yaml"):
        from kms_hooks.sources.cloudformation.loader import load

        load(text)
        return True
    json.loads(text)
    return True


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", sorted(FORMATS))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_fixing_generated_files_keeps_them_whole(capsys: pytest.CaptureFixture[str], name: str,
                                                 doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = pathlib.Path(directory) / name
        config = pathlib.Path(directory) / "kms-hooks.toml"
        config.write_text('account = "111122223333"\n', encoding="utf-8")
        path.write_text(FORMATS[name](doc), encoding="utf-8")
        args = ["--config", str(config), "--fail-on", "never"]
        _, out, _ = run(capsys, *args, "--format", "sarif", str(path))
        results = json.loads(out)["runs"][0]["results"]
        before = collections.Counter(r["ruleId"] for r in results)
        fixable = collections.Counter(r["ruleId"] for r in results if r.get("fixes"))

        run(capsys, *args, "--fix", "--unsafe-fixes", str(path))
        fixed = path.read_text(encoding="utf-8")
        assert parses(name, fixed)
        _, out, _ = run(capsys, *args, "--format", "json", str(path))
        after = collections.Counter(f["rule"] for f in json.loads(out))
        assert "KMS001" not in after
        assert after == before - fixable  # every fixed finding gone, and none new

        status, _, err = run(capsys, *args, "--fix", "--unsafe-fixes", str(path))
        assert path.read_text(encoding="utf-8") == fixed
        assert "fixed 0 findings in 0 files" in err and status == 0
