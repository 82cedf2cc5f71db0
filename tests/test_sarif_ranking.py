"""SARIF that code scanning ranks and links: each rule's AWS guidance page, a security severity
and tags; the tool's home and version."""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kms_hooks import __url__, __version__
from kms_hooks.cli import main
from kms_hooks.rules import all_rules

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
AWS_DOCS = "https://docs.aws.amazon.com/"


@pytest.fixture(scope="module")
def log() -> Any:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--format", "sarif", str(FIXTURES / "bad")]) == 1
    return json.loads(out.getvalue())


def rules_of(log: Any) -> dict[str, Any]:
    return {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}


def test_the_driver_names_its_home_and_version(log: Any) -> None:
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["version"], driver["semanticVersion"]) == (__version__, __version__)
    assert driver["informationUri"] == __url__


def test_each_rule_links_the_aws_guidance_it_cites(log: Any) -> None:
    rules = rules_of(log)
    assert set(rules) == {rule.id for rule in all_rules()}
    pages = {rule_id: rule["helpUri"] for rule_id, rule in rules.items()}
    kms = AWS_DOCS + "kms/latest/developerguide/"
    assert pages["KMS101"] == kms + "iam-policies-best-practices.html"
    # Cited first in its guidance, the key policy page wins over the IAM best practices also cited.
    assert pages["KMS201"] == kms + "key-policies.html"
    assert pages["KMS202"] == kms + "key-policy-default.html"
    assert pages["KMS301"] == kms + "grant-best-practices.html"
    assert pages["KMS311"] == kms + "kms-vpc-endpoint.html"
    assert pages["KMS111"].endswith("/reference/list_awskeymanagementservice.html")
    assert pages["KMS001"] == AWS_DOCS + "IAM/latest/UserGuide/reference_policies_grammar.html"
    for rule in all_rules():
        # Every rule citing AWS links AWS; one about kms-hooks itself links kms-hooks' home.
        cites_aws = not rule.doc.guidance.lstrip().startswith("None")
        assert pages[rule.id].startswith(AWS_DOCS if cites_aws else __url__), rule.id


def test_security_severity_ranks_errors_over_warnings_over_notes(log: Any) -> None:
    severities = {}
    for rule in all_rules():
        number = float(rules_of(log)[rule.id]["properties"]["security-severity"])
        assert 0.0 < number <= 10.0
        severities.setdefault(rule.severity, set()).add(number)
    assert min(severities["error"]) > max(severities["warning"]) > max(severities["note"])
    # GitHub's bands: high from 7.0, medium from 4.0.
    assert min(severities["error"]) >= 7.0 and 4.0 <= min(severities["warning"]) < 7.0


def test_tags_say_security_and_the_policy_kinds(log: Any) -> None:
    rules = rules_of(log)
    assert rules["KMS101"]["properties"]["tags"] == ["security", "aws-kms", "identity-policy"]
    assert rules["KMS301"]["properties"]["tags"] == ["security", "aws-kms", "grant"]
    assert rules["KMS201"]["properties"]["tags"] == ["security", "aws-kms", "endpoint-policy",
                                                     "key-policy"]
    assert all("security" in rule["properties"]["tags"] for rule in rules.values())


def test_still_valid_against_the_schema(log: Any, shared: pathlib.Path) -> None:
    import jsonschema

    schema = json.loads((shared / "reference" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
