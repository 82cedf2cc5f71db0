"""The CloudFormation source end to end: every place a policy lives, in JSON and YAML, with the
exact element each finding points at."""
from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest

from kms_hooks.cli import main, main_cloudformation
from kms_hooks.model import ENDPOINT, GUARDRAIL, KEY, SPECIFIC, Policy
from kms_hooks.sources.base import SourceFile
from kms_hooks.sources.cloudformation.template import CloudFormationSource

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
BAD = FIXTURES / "bad"
GOOD = FIXTURES / "good"

Expected = list[tuple[str, int, int, str]]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    status = main_cloudformation(["--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def element(path: pathlib.Path, finding: dict[str, Any]) -> str:
    """The text a finding spans, whitespace collapsed."""
    text = path.read_text(encoding="utf-8")
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    start = starts[finding["line"] - 1] + finding["column"] - 1
    end = starts[finding["end_line"] - 1] + finding["end_column"] - 1
    return re.sub(r"\s+", " ", text[start:end])


def assert_findings(capsys: pytest.CaptureFixture[str], path: pathlib.Path,
                    expected: Expected) -> list[dict[str, Any]]:
    _, findings = run_json(capsys, str(path))
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == \
        [(rule, line, column) for rule, line, column, _ in expected]
    for finding, (_, _, _, written) in zip(findings, expected):
        assert element(path, finding).startswith(written), finding
    return findings


INTRINSICS_YAML: Expected = [
    ("KMS102", 47, 17, "!Ref DataKey"),
    ("KMS102", 48, 17, "!GetAtt DataKey.KeyId"),
    ("KMS102", 50, 17, "!Ref ReplicaDataKey"),
    ("KMS103", 52, 17, "!Ref DataKeyAlias"),
    ("KMS103", 53, 17, '!Join [":", ["arn:aws:kms", !Ref "AWS::Region"'),
    ("KMS101", 57, 30, '"*"'),
    ("KMS104", 58, 17, "!Ref KeyPattern"),
    ("KMS101", 59, 17, "!Ref Scope"),
    ("KMS103", 60, 17, "!FindInMap [Keys"),
    ("KMS102", 61, 51, "!Ref DataKey"),
    ("KMS104", 62, 17, '!Select [0, !Split [","'),
]

INTRINSICS_JSON: Expected = [
    ("KMS102", 81, 17, '{ "Ref": "DataKey" }'),
    ("KMS102", 84, 17, '{ "Fn::GetAtt": [ "DataKey", "KeyId" ] }'),
    ("KMS102", 96, 17, '{ "Ref": "ReplicaDataKey" }'),
    ("KMS103", 105, 17, '{ "Ref": "DataKeyAlias" }'),
    ("KMS103", 108, 17, '{ "Fn::Join": [ ":", [ "arn:aws:kms"'),
    ("KMS101", 135, 21, '"*"'),
    ("KMS104", 141, 17, '{ "Ref": "KeyPattern" }'),
    ("KMS101", 144, 17, '{ "Ref": "Scope" }'),
    ("KMS103", 147, 17, '{ "Fn::FindInMap": [ "Keys"'),
    ("KMS102", 166, 23, '{ "Ref": "DataKey" }'),
    ("KMS104", 172, 17, '{ "Fn::Select": [ 0, { "Fn::Split"'),
]


def test_intrinsics_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-intrinsics.yaml", INTRINSICS_YAML)
    messages = [f["message"] for f in findings]
    # Messages name the logical id first: a template holds many policies.
    assert all(m.startswith("Resources/ReaderPolicy: ") for m in messages)
    messages = [m.removeprefix("Resources/ReaderPolicy: ") for m in messages]
    assert messages[0].startswith("!Ref DataKey is a key id")
    assert messages[0].endswith("use !GetAtt DataKey.Arn")
    assert messages[6].startswith('kms:Decrypt on !Ref KeyPattern (its Default '
                                  '"arn:aws:kms:*:*:key/*")')
    # A key parameter behind wildcards (`key/${KeyName}`) names one key: no KMS104.  The
    # resource perimeter on this account (aws:ResourceAccount: !Ref AWS::AccountId) is the
    # same as arn:aws:kms:*:ACCOUNT:key/*: no KMS101 on its "*".
    assert [f for f in findings if f["line"] in (56, 65, 71)] == []
    assert all(f["policy"] == "Resources/ReaderPolicy" for f in findings)


def test_intrinsics_json(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-intrinsics.json", INTRINSICS_JSON)
    assert findings[0]["message"].endswith('use {"Fn::GetAtt": ["DataKey", "Arn"]}')
    assert findings[0]["pointer"] == "/Resources/ReaderPolicy/Properties/PolicyDocument/" \
                                     "Statement/0/Resource/0"


IDENTITY_YAML: Expected = [
    ("KMS101", 19, 23, '"*"'),  # AWS::IAM::Policy
    ("KMS108", 27, 21, "kms:*"),  # AWS::IAM::ManagedPolicy
    ("KMS101", 43, 25, '"*"'),  # a PolicyDocument that is an Fn::If: its second branch
    ("KMS111", 59, 39, "kms:Decrpyt"),  # AWS::IAM::Role Policies
    ("KMS106", 68, 27, "kms:ScheduleKeyDeletion"),  # an Fn::If entry of Policies
    ("KMS107", 80, 25, "kms:CreateKey"),  # AWS::IAM::User
    ("KMS106", 91, 17, "NotAction"),  # AWS::IAM::Group
    ("KMS109", 91, 17, "NotAction"),
    ("KMS110", 102, 21, "kms:ListKeys"),  # AWS::IAM::RolePolicy
    ("KMS102", 114, 23, "1234abcd-12ab-34cd-56ef-1234567890ab"),  # AWS::IAM::UserPolicy
    ("KMS104", 125, 23, "arn:aws:kms:*:*:key/*"),  # AWS::IAM::GroupPolicy
    ("KMS101", 136, 23, '"*"'),  # AWS::SSO::PermissionSet, an object
    ("KMS101", 142, 118, '"*"'),  # ... a JSON string in a single-quoted scalar
    ("KMS104", 153, 26, '"arn:${AWS::Partition}:kms:*:*:key/*"'),  # ... !Sub of a block
    ("KMS102", 165, 20, "!GetAtt DataKey.Arn"),  # SAM KMSDecryptPolicy given a key ARN
    ("KMS101", 172, 25, '"*"'),  # SAM inline policy document
    ("KMS102", 179, 20, "arn:aws:kms:us-east-1:111122223333:key/1234abcd"),  # StateMachine
    ("KMS101", 183, 25, '"*"'),
]

IDENTITY_JSON: Expected = [
    ("KMS101", 34, 27, '"*"'),
    ("KMS108", 48, 25, '"kms:*"'),
    ("KMS101", 87, 31, '"*"'),
    ("KMS111", 120, 21, '"kms:Decrpyt"'),
    ("KMS106", 142, 33, '"kms:ScheduleKeyDeletion"'),
    ("KMS107", 172, 29, '"kms:CreateKey"'),
    ("KMS106", 192, 19, '"NotAction"'),
    ("KMS109", 192, 19, '"NotAction"'),
    ("KMS110", 218, 25, '"kms:ListKeys"'),
    ("KMS102", 243, 27, '"1234abcd-12ab-34cd-56ef-1234567890ab"'),
    ("KMS104", 262, 27, '"arn:aws:kms:*:*:key/*"'),
    ("KMS101", 279, 27, '"*"'),
    ("KMS101", 290, 138, '\\"*\\"'),  # inside a JSON string: through its escapes
    ("KMS104", 299, 159, '\\"arn:${AWS::Partition}:kms:*:*:key/*\\"'),
    ("KMS102", 313, 24, '{ "Fn::GetAtt": [ "DataKey", "Arn" ] }'),
    ("KMS101", 334, 29, '"*"'),
    ("KMS102", 348, 24, '"arn:aws:kms:us-east-1:111122223333:key/1234abcd'),
    ("KMS101", 356, 29, '"*"'),
]


def test_identity_policies_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-identity.yaml", IDENTITY_YAML)
    sam = findings[14]["message"]
    assert sam.startswith("Resources/Function: KMSDecryptPolicy with KeyId !GetAtt DataKey.Arn is not a valid KMS key "
                          "ARN (a key ARN where the key id belongs)")
    assert sam.endswith("use KeyId: !Ref DataKey")
    assert {f["policy"] for f in findings} >= {"Resources/AppRole", "Resources/Function",
                                              "Resources/ReaderPermissionSet"}


def test_identity_policies_json(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-identity.json", IDENTITY_JSON)
    assert findings[14]["message"].endswith('use KeyId: {"Ref": "DataKey"}')


KEYS_YAML: Expected = [
    ("KMS201", 23, 24, '"*"'),
    ("KMS203", 29, 7, "BypassPolicyLockoutSafetyCheck"),
    ("KMS202", 33, 13, "Effect: Allow Principal: AWS: !Sub arn:${AWS::Partition}:iam::"),
    ("KMS203", 41, 7, "BypassPolicyLockoutSafetyCheck"),  # a key with no KeyPolicy
    ("KMS202", 47, 9, 'Version: "2012-10-17"'),  # AWS::KMS::ReplicaKey
    ("KMS201", 64, 24, '"*"'),  # a KMS VPC endpoint policy: the caller is not pinned
    ("KMS111", 65, 35, "kms:Encrpyt"),
    ("KMS103", 66, 23, "arn:aws:kms:us-east-1:111122223333:alias/app"),
    ("KMS311", 67, 3, "OpenKmsEndpoint"),  # a KMS endpoint without a policy: at the resource
    ("KMS111", 82, 47, "kms:DisableKy"),  # a service control policy
]

KEYS_JSON: Expected = [
    ("KMS201", 35, 28, '"*"'),
    ("KMS203", 46, 9, '"BypassPolicyLockoutSafetyCheck"'),
    ("KMS202", 50, 13, '{ "Effect": "Allow", "Principal": { "AWS": { "Fn::Sub"'),
    ("KMS203", 67, 9, '"BypassPolicyLockoutSafetyCheck"'),
    ("KMS202", 76, 22, '{ "Version": "2012-10-17"'),
    ("KMS201", 104, 28, '"*"'),
    ("KMS111", 107, 17, '"kms:Encrpyt"'),
    ("KMS103", 109, 27, '"arn:aws:kms:us-east-1:111122223333:alias/app"'),
    ("KMS311", 115, 5, '"OpenKmsEndpoint"'),
    ("KMS111", 135, 17, '"kms:DisableKy"'),
]


def test_key_endpoint_and_guardrail_policies_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-keys.yaml", KEYS_YAML)
    assert findings[1]["message"].startswith(
        "Resources/RoleManagedKey: BypassPolicyLockoutSafetyCheck: true: ")
    assert findings[3]["message"].startswith(
        'Resources/DefaultPolicyKey: BypassPolicyLockoutSafetyCheck: !Ref Bypass (one of its AllowedValues "true"): ')
    assert [f["policy_kind"] for f in findings] == ["key"] * 5 + ["endpoint"] * 4 + ["guardrail"]


def test_key_endpoint_and_guardrail_policies_json(capsys: pytest.CaptureFixture[str]) -> None:
    findings = assert_findings(capsys, BAD / "cloudformation-keys.json", KEYS_JSON)
    assert findings[3]["message"].startswith(
        'Resources/DefaultPolicyKey: BypassPolicyLockoutSafetyCheck: {"Ref": "Bypass"} (one of its AllowedValues "true"): ')


def read(path: pathlib.Path) -> list[Policy]:
    found = CloudFormationSource().read(SourceFile(str(path)))
    assert found is not None
    return found


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_what_rules_read_about_keys_and_endpoints(suffix: str) -> None:
    policies = {p.name: p for p in read(BAD / f"cloudformation-keys.{suffix}")}
    # A key without KeyPolicy gets the default key policy: nothing to read, KMS203 still runs.
    default_key = policies["Resources/DefaultPolicyKey"]
    assert default_key.kind == KEY and default_key.statements is None
    assert default_key.known_source
    assert default_key.attributes["bypass_policy_lockout_safety_check"].text == "true"
    assert policies["Resources/PublicKey"].known_source
    assert "bypass_policy_lockout_safety_check" not in policies["Resources/PublicKey"].attributes
    assert policies["Resources/RoleManagedKey"].attributes[
        "bypass_policy_lockout_safety_check"].text == "true"
    # Endpoints: the service name as the template resolves it, and the resource for KMS311.
    endpoint = policies["Resources/KmsEndpoint"]
    assert endpoint.kind == ENDPOINT and endpoint.statements
    assert endpoint.attributes["service_name"].text == f"com.amazonaws.{SPECIFIC}.kms"
    open_endpoint = policies["Resources/OpenKmsEndpoint"]
    assert open_endpoint.kind == ENDPOINT and open_endpoint.statements is None
    assert open_endpoint.attributes["service_name"].text == "com.amazonaws.us-east-1.kms"
    assert open_endpoint.resource_where is not None
    line = 67 if suffix == "yaml" else 115
    assert open_endpoint.resource_where.span().line == line
    # Only service and resource control policies are IAM policies; a tag policy is not read.
    assert policies["Resources/DenyKeyDeletion"].kind == GUARDRAIL
    assert "Resources/CostCenterTags" not in policies


def test_trust_policies_and_managed_policy_names_are_not_read() -> None:
    policies = read(BAD / "cloudformation-identity.yaml")
    for policy in policies:
        assert "AssumeRolePolicyDocument" not in policy.where.at
    role = [p for p in policies if p.name == "Resources/AppRole"]
    assert len(role) == 2  # reader, and admin (an Fn::If entry of Policies)
    function = [p for p in policies if p.name == "Resources/Function"]
    # AWSLambdaBasicExecutionRole is a managed policy name: two templates and one document.
    assert len(function) == 3


def test_suppression_in_metadata_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "cloudformation-suppressed.yaml"
    assert main_cloudformation([str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{path}:26:25: KMS108 warning: Resources/DeployRole: kms:* grants every KMS action, key " \
                           "deletion and key policy changes included; list the KMS actions needed\n"
    assert "1 suppressed in the files" in captured.err


def test_suppression_accepts_one_rule_as_a_string(tmp_path: pathlib.Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    text = (BAD / "cloudformation-suppressed.yaml").read_text()
    path = tmp_path / "template.yaml"
    path.write_text(text.replace("ignore: [KMS101]", "ignore: kms108"))
    _, findings = run_json(capsys, str(path))
    assert [(f["rule"], f["line"]) for f in findings] == [("KMS101", 24)]


def test_good_templates_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    status = main_cloudformation([str(GOOD / "cloudformation-app.yaml"),
                                  str(GOOD / "cloudformation-cdk-app.template.json")])
    captured = capsys.readouterr()
    assert (status, captured.out) == (0, "")
    assert captured.err.startswith("0 findings in 2 files with policies, 2 checked")


def test_cdk_template_finding_appears_when_the_grant_widens(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CDK template is clean because of what it grants, not because it is not read."""
    text = (GOOD / "cloudformation-cdk-app.template.json").read_text()
    widened = text.replace('''       "Resource": {
        "Fn::GetAtt": [
         "DataKeyE9BB4D47",
         "Arn"
        ]
       }''', '''       "Resource": "*"''')
    assert widened != text
    path = tmp_path / "AppStack.template.json"
    path.write_text(widened)
    _, findings = run_json(capsys, str(path))
    assert [(f["rule"], f["line"], f["column"], f["severity"]) for f in findings] == [
        ("KMS101", 105, 20, "error")]
    assert findings[0]["policy"] == "Resources/HandlerServiceRoleDefaultPolicyCBD0CC91"


def test_other_yaml_and_json_are_skipped(tmp_path: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n-   repo: local\n    hooks: []\n")
    (tmp_path / "workflow.yml").write_text("on: push\njobs:\n  build:\n    runs-on: x\n")
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    # Mentions both words, but is no template: read, then left to other sources.
    (tmp_path / "notes.json").write_text('{"Resources": "AWS::IAM::Role"}')
    paths = sorted(str(p) for p in tmp_path.iterdir())
    assert main_cloudformation(["-v", *paths]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("skipped: holds no policy this hook reads") == 4


def test_kms_policies_reads_templates_and_raw_policies(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(BAD / "cloudformation-suppressed.yaml"), str(BAD / "reader-policy.json")])
    out = capsys.readouterr().out
    assert status == 1
    assert "cloudformation-suppressed.yaml:26:25: KMS108" in out
    assert "reader-policy.json:8:19: KMS101" in out


def test_invalid_template_is_a_parse_error_and_others_are_checked(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties: [a, b\n")
    broken_json = tmp_path / "broken.json"
    broken_json.write_text('{"Resources": {"Key": {"Type": "AWS::KMS::Key",}}}')
    status, findings = run_json(capsys, str(broken), str(broken_json),
                                str(BAD / "cloudformation-suppressed.yaml"))
    assert status == 1
    # Sorted here by name: the output's order follows the full paths, which vary by checkout.
    assert sorted((pathlib.Path(f["path"]).name, f["rule"], f["line"], f["column"])
                  for f in findings) == [
        ("broken.json", "KMS001", 1, 48),
        ("broken.yaml", "KMS001", 5, 1),
        ("cloudformation-suppressed.yaml", "KMS108", 26, 25),
    ]
    assert [f["message"] for f in findings if f["path"] == str(broken)][0].startswith(
        "invalid YAML: ")


def test_duplicate_keys_in_a_yaml_policy(tmp_path: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Reader:\n"
        "    Type: AWS::IAM::ManagedPolicy\n"
        "    Properties:\n"
        "      PolicyDocument:\n"
        "        Version: '2012-10-17'\n"
        "        Statement:\n"
        "          - Effect: Allow\n"
        "            Action: kms:Decrypt\n"
        "            Resource: arn:aws:kms:us-east-1:111122223333:key/*\n"
        "            Resource: '*'\n")
    _, findings = run_json(capsys, str(path))
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [
        ("KMS002", 11, 13), ("KMS101", 11, 23)]


def test_policy_string_that_is_not_json(tmp_path: pathlib.Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.json"
    path.write_text('{"Resources": {"Set": {"Type": "AWS::SSO::PermissionSet",\n'
                    '  "Properties": {"InlinePolicy": "{\\"Version\\": "}}}}\n')
    _, findings = run_json(capsys, str(path))
    # The parser stopped at the end of the string's text: the closing quote.
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [("KMS001", 2, 49)]
    assert findings[0]["message"].startswith(
        "Resources/Set: the policy string is not valid JSON (invalid JSON: Expecting value)")


def test_a_template_parsed_once_serves_both_sources() -> None:
    """kms-policies tries the template source first; a JSON file that is not a template goes on
    to the raw source without being parsed again."""
    file = SourceFile(str(BAD / "reader-policy.json"))
    assert CloudFormationSource().sniff(file) is False
    notes = SourceFile(str(FIXTURES / "bad" / "cloudformation-keys.json"))
    assert CloudFormationSource().sniff(notes)
    assert CloudFormationSource().read(notes)
    assert "json" in notes.cache


def test_hook_is_declared_for_pre_commit() -> None:
    import yaml

    hooks = yaml.safe_load((FIXTURES.parent / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "kms-cloudformation")
    assert hook["entry"] == "kms-cloudformation"
    assert hook["types"] == ["text"]
    assert hook["require_serial"] is True
    names = ["a.json", "a.yaml", "b.yml", "c.template", "d.template.json", "e.cfn.yaml",
             "f.cfn", "g.CFORM", "x.py", "y.tf", "z.md"]
    assert [n for n in names if re.search(hook["files"], n)] == names[:8]
    assert hook["language"] == "python"


def test_conditional_key_and_endpoint_policies(tmp_path: pathlib.Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Conditions:\n"
        "  Strict: !Equals [!Ref AWS::Region, us-east-1]\n"
        "Resources:\n"
        "  Key:\n"
        "    Type: AWS::KMS::Key\n"
        "    Properties:\n"
        "      BypassPolicyLockoutSafetyCheck: true\n"
        "      KeyPolicy: !If\n"
        "        - Strict\n"
        "        - Statement:\n"
        "            - {Effect: Allow, Principal: '*', Action: kms:Decrypt, Resource: '*'}\n"
        "        - Statement:\n"
        "            - {Effect: Allow, Principal: {AWS: !Ref AWS::AccountId}, Action: 'kms:*',\n"
        "               Resource: '*'}\n"
        "  Endpoint:\n"
        "    Type: AWS::EC2::VPCEndpoint\n"
        "    Properties:\n"
        "      ServiceName: com.amazonaws.us-east-1.s3\n"
        "      PolicyDocument: !If [Strict, {Statement: []}, !Ref AWS::NoValue]\n")
    _, findings = run_json(capsys, str(path))
    # Both branches are checked (the first gives nobody kms:PutKeyPolicy); the bypass is one fact
    # about one key: reported once.
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [
        ("KMS203", 7, 7), ("KMS202", 10, 11), ("KMS201", 11, 42)]
    endpoint = [p for p in read(path) if p.name == "Resources/Endpoint"]
    # One branch has a policy, the other none (the default policy applies); both know the service.
    assert [p.statements for p in endpoint] == [None, ()]
    assert all(p.attributes["service_name"].text == "com.amazonaws.us-east-1.s3"
               for p in endpoint)


def test_readme_suppression_example_is_the_tested_fixture() -> None:
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## CloudFormation\n"):]
    example = section[section.index("```yaml\n") + len("```yaml\n"):section.index("\n```")]
    assert example in (BAD / "cloudformation-suppressed.yaml").read_text(encoding="utf-8")


def test_broken_yaml_that_is_no_template_is_left_alone(tmp_path: pathlib.Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("kind: ConfigMap\ndata:\n  note: Resources of type AWS::KMS::Key\n"
                        "---\nkind: ConfigMap\n")
    assert main_cloudformation(["-v", str(manifest)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "skipped: holds no policy this hook reads" in captured.err
