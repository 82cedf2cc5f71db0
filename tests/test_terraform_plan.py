"""Plan JSON: planned values of nested modules, resource changes, values known only after
apply followed through the plan's configuration."""
from __future__ import annotations

import copy
import json
import pathlib

import pytest

from kms_hooks.cli import main_terraform

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "terraform"
PLAN = FIXTURES / "plan" / "nested-modules.plan.json"


def lines(capsys: pytest.CaptureFixture[str], path: pathlib.Path, *options: str) -> list[str]:
    main_terraform([*options, str(path)])
    return capsys.readouterr().out.splitlines()


def test_nested_modules_each_resource_once(capsys: pytest.CaptureFixture[str]) -> None:
    out = lines(capsys, PLAN)
    located = [line.split(" warning")[0].split(" error")[0].split(" note")[0]
               .replace(str(PLAN), "plan") for line in out]
    assert located == [
        "plan:17:139: KMS101",  # root module
        "plan:36:231: KMS103",  # module.app
        "plan:117:27: KMS201",  # module.app: data source read at apply, used by a key
        "plan:161:78: KMS202",  # module.app.module.keys
        "plan:175:21: KMS302",
        "plan:177:23: KMS301",
        "plan:424:18: KMS311",  # only in resource_changes
    ]
    assert ": KMS103 error: module.app.aws_iam_role_policy.batch: " in out[1]
    assert ": KMS201 error: module.app.data.aws_iam_policy_document.key (the policy of " \
        "module.app.aws_kms_key.app): " in out[2]
    assert ": KMS202 warning: module.app.module.keys.aws_kms_key.logs[0]: " in out[3]


def test_resource_changes_alone_are_read(tmp_path: pathlib.Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(PLAN.read_text())
    del plan["planned_values"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    rules = [line.split(" ")[1] for line in lines(capsys, path)]
    assert sorted(rules) == ["KMS101", "KMS103", "KMS201", "KMS202", "KMS301", "KMS302",
                             "KMS311"]


def test_unknown_policy_without_configuration_is_not_the_default(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(PLAN.read_text())
    del plan["configuration"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    main_terraform(["-v", str(path)])
    captured = capsys.readouterr()
    # Without the configuration nobody knows what the key's and the endpoint's policies are;
    # the document is read by its content, as a raw document would be.
    assert "KMS311" not in captured.out
    assert ": KMS201 error: module.app.data.aws_iam_policy_document.key: " in captured.out
    assert "module.app.aws_kms_key.app: policy is (known after apply), which is not known " \
           "here: not checked" in captured.err
    assert "module.app.data.aws_iam_policy_document.key: not used as the policy of any " \
           "resource in this module: checked as a key policy by its content" in captured.err


def test_a_planned_policy_string_is_checked_in_full(tmp_path: pathlib.Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # `terraform show -json` writes one line: positions are columns of that line.
    plan = json.loads(PLAN.read_text())
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, separators=(",", ":")))
    out = lines(capsys, path, "--select", "KMS101")
    text = path.read_text()
    column = int(out[0].split(":")[2])
    assert out[0].startswith(f"{path}:1:") and text[column - 1:column + 5] == '\\"*\\"}'


def test_for_each_instances_follow_their_own_document(tmp_path: pathlib.Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(PLAN.read_text())
    module = plan["planned_values"]["root_module"]["child_modules"][0]
    doc = next(r for r in module["resources"] if r["mode"] == "data")
    key = next(r for r in module["resources"] if r["type"] == "aws_kms_key")
    module["resources"] = []
    for instance, principal in (("a", "arn:aws:iam::111122223333:root"), ("b", "*")):
        doc_instance = copy.deepcopy(doc)
        doc_instance["address"] += f'["{instance}"]'
        doc_instance["index"] = instance
        doc_instance["values"]["statement"] = [doc_instance["values"]["statement"][0]]
        doc_instance["values"]["statement"][0]["principals"][0]["identifiers"] = [principal]
        key_instance = copy.deepcopy(key)
        key_instance["address"] += f'["{instance}"]'
        module["resources"] += [doc_instance, key_instance]
    config = plan["configuration"]["root_module"]["module_calls"]["app"]["module"]["resources"]
    config[0]["expressions"]["policy"] = {
        "references": ["data.aws_iam_policy_document.key", "each.key"]}
    plan["resource_changes"] = [c for c in plan["resource_changes"]
                                if c["type"] not in ("aws_kms_key", "aws_iam_policy_document")]
    for instance in ("a", "b"):
        plan["resource_changes"].append({
            "address": f'module.app.aws_kms_key.app["{instance}"]', "module_address": "module.app",
            "mode": "managed", "type": "aws_kms_key", "name": "app",
            "change": {"actions": ["create"], "after": key["values"],
                       "after_unknown": {"policy": True}}})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    out = [line for line in lines(capsys, path) if "KMS201" in line]
    # Only instance b's document lets everyone in, and it is named by its own key.
    assert len(out) == 1
    assert 'module.app.data.aws_iam_policy_document.key["b"] (the policy of ' \
        'module.app.aws_kms_key.app["b"])' in out[0]
