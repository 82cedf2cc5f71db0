"""Terraform JSON: the kms-terraform hook over the corpus folder of plans and `.tf.json` files
against plain `json.load` of the same files, and over a generated plan of about 25 and 50 MB
(made here by repeating resources, in a temporary directory) to show that the time grows in
proportion to the size.

Targets: the folder at most 3 times json.load; the large plan in time linear in its size.
Each figure is the median of several runs, each in a fresh process, timed inside the process
(imports included, interpreter start excluded), as in suite_raw.py.
"""
from __future__ import annotations

import json
import pathlib
import sys
import tempfile
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_hcl import TOOL  # noqa: E402  (the same kms-terraform call)
from suite_raw import ROOT, timed_inside  # noqa: E402  (the same way of timing)

FOLDER = ROOT.parent / "shared" / "corpus" / "terraform-json"

BASELINE = """
import sys, time
start = time.perf_counter()
import json, os
paths = [sys.argv[1]] if os.path.isfile(sys.argv[1]) else [
    os.path.join(root, name) for root, dirs, names in os.walk(sys.argv[1]) for name in names]
for path in sorted(paths):
    with open(path, "rb") as handle:
        json.load(handle)
print(time.perf_counter() - start, file=sys.stderr)
"""


def _policy(index: int, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Use", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": resource},
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::bucket-{index}", f"arn:aws:s3:::bucket-{index}/*"]}]})


def _key_policy(index: int) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "App", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::111122223333:role/app-{index}"},
         "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*"}]})


def _resources(module: str, index: int) -> list[dict[str, Any]]:
    """One unit of a typical plan: a few instances and buckets, a role policy and a key; one
    unit in ten grants KMS on "*" (a finding)."""
    prefix = f"{module}." if module else ""
    key_arn = f"arn:aws:kms:eu-west-1:111122223333:key/{index:08d}-12ab-34cd-56ef-1234567890ab"
    found = []
    for n in range(4):
        found.append(("aws_instance", f"web_{n}", {
            "ami": "ami-0123456789abcdef0", "instance_type": "t3.micro",
            "associate_public_ip_address": False, "availability_zone": "eu-west-1a",
            "ebs_optimized": True, "monitoring": True, "subnet_id": f"subnet-{index:08x}",
            "vpc_security_group_ids": [f"sg-{index:08x}", f"sg-{index + n:08x}"],
            "root_block_device": [{"delete_on_termination": True, "encrypted": True,
                                   "kms_key_id": key_arn, "volume_size": 20,
                                   "volume_type": "gp3"}],
            "tags": {"Name": f"web-{index}-{n}", "team": "platform", "env": "prod"},
            "user_data": "#!/bin/bash\necho hello\n" * 4}))
    found.append(("aws_s3_bucket", "data", {
        "bucket": f"bucket-{index}", "force_destroy": False,
        "tags": {"Name": f"bucket-{index}", "team": "platform"}}))
    resource = "*" if index % 10 == 0 else key_arn
    found.append(("aws_iam_role_policy", "app", {"name": f"app-{index}", "role": f"app-{index}",
                                                 "policy": _policy(index, resource)}))
    found.append(("aws_kms_key", "app", {"description": f"app {index}",
                                         "enable_key_rotation": True,
                                         "bypass_policy_lockout_safety_check": False,
                                         "policy": _key_policy(index)}))
    return [{"address": f"{prefix}{type_}.{name}", "mode": "managed", "type": type_,
             "name": name, "provider_name": "registry.terraform.io/hashicorp/aws",
             "schema_version": 0, "values": values, "sensitive_values": {}}
            for type_, name, values in found]


def make_plan(path: pathlib.Path, megabytes: float) -> int:
    """A plan of about `megabytes` MB: modules of repeated resources, in planned_values and
    resource_changes, as `terraform show -json` writes it (one line).  Returns its size."""
    target = megabytes * 1024 * 1024
    modules: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    size = 0
    index = 0
    while size < target:
        address = f"module.m{len(modules)}"
        resources = []
        for _ in range(20):
            unit = _resources(address, index)
            index += 1
            resources.extend(unit)
            for resource in unit:
                changes.append({**{k: resource[k] for k in ("address", "mode", "type", "name",
                                                             "provider_name")},
                                "module_address": address,
                                "change": {"actions": ["create"], "before": None,
                                           "after": resource["values"],
                                           "after_unknown": {"id": True, "arn": True}}})
            size += 2 * sum(len(json.dumps(r)) for r in unit)
        modules.append({"address": address, "resources": resources})
    plan = {"format_version": "1.2", "terraform_version": "1.6.0",
            "planned_values": {"root_module": {"child_modules": modules}},
            "resource_changes": changes}
    text = json.dumps(plan, separators=(",", ":"))
    path.write_text(text)
    return len(text)


def run() -> list[tuple[str, float, str, float]]:
    rows = []
    if FOLDER.is_dir():
        count = sum(1 for p in FOLDER.rglob("*") if p.is_file())
        timed_inside(TOOL, FOLDER, 1)  # writes bytecode
        baseline = timed_inside(BASELINE, FOLDER, 5)
        tool = timed_inside(TOOL, FOLDER, 5)
        rows.append((f"kms-terraform on terraform-json ({count} files)", tool,
                     "json.load of the same files", baseline))
    with tempfile.TemporaryDirectory() as directory:
        for megabytes in (25, 50):
            plan = pathlib.Path(directory) / f"plan-{megabytes}.json"
            size = make_plan(plan, megabytes)
            baseline = timed_inside(BASELINE, plan, 3)
            tool = timed_inside(TOOL, plan, 3)
            rows.append((f"kms-terraform on a {size / 1024 / 1024:.0f} MB plan", tool,
                         "json.load of the same file", baseline))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
