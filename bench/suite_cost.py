"""Bounded cost on hostile input, each row against the same input without the hostile part.

- findings: one policy of 1,000 / 10,000 / 30,000 statements that each have a finding, against
  the same statements without one (target: within 10 times); CloudFormation templates of 2,000
  and 8,000 policy resources, the same way; a 50 MB plan whose every policy has a finding,
  against `json.load` of it, in time and in peak memory (target: memory within 3 times), and
  against the same plan whose policies name a key instead (target: within 10 times);
- wildcards: actions and Deny resource patterns with many `*` against long values, against the
  same policy with plain patterns (target: within a second);
- YAML alias bombs (Fn::Join, Fn::Sub, a short-form tag, Fn::If over aliases) and Terraform
  locals that double a string, a list and a tuple at each level, against the same file with a
  plain value.

Inputs are made here, in a temporary directory.  Each figure is the median of a few runs, each
in a fresh process, timed inside it (imports included, interpreter start excluded).
"""
from __future__ import annotations

import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_raw import ENV  # noqa: E402  (the same environment)

# Prints the seconds the run took and the peak memory of the process, in MB.
TOOL = """
import resource, sys, time
start = time.perf_counter()
from kms_hooks.cli import main
sys.stdout = open("/dev/null", "w")
main(["-q", "--fail-on", "never", *sys.argv[1:]])
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      file=sys.stderr)
"""
JSON_LOAD = """
import json, resource, sys, time
start = time.perf_counter()
with open(sys.argv[1], "rb") as handle:
    json.load(handle)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      file=sys.stderr)
"""

Row = tuple[str, float, str, float]


def measured(program: str, path: pathlib.Path, runs: int) -> tuple[float, float]:
    """Median seconds and peak MB of `program` on `path`, each run a fresh process."""
    seconds, megabytes = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", program, str(path)], env=ENV,
                              capture_output=True, text=True, check=False, timeout=1800)
        took, peak = done.stderr.strip().splitlines()[-1].split()
        seconds.append(float(took))
        megabytes.append(float(peak))
    return statistics.median(seconds), statistics.median(megabytes)


def pair(label: str, path: pathlib.Path, baseline_label: str, baseline: pathlib.Path,
         runs: int = 3, program: str = TOOL) -> tuple[Row, float, float]:
    tool, tool_mb = measured(TOOL, path, runs)
    base, base_mb = measured(program, baseline, runs)
    return (label, tool, baseline_label, base), tool_mb, base_mb


# Findings ---------------------------------------------------------------------------------


def policy(statements: int, findings: bool) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": f"Use{n}", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
         "Resource": "*" if findings else
         f"arn:aws:kms:us-east-1:111122223333:key/{n:08d}-1111-2222-3333-444455556666"}
        for n in range(statements)]}


def template(resources: int, findings: bool) -> dict[str, Any]:
    found: dict[str, Any] = {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {}}}}
    for n in range(resources):
        resource: Any = "*" if findings else {"Fn::Sub": "arn:${AWS::Partition}:kms:"
                                             "${AWS::Region}:${AWS::AccountId}:key/"
                                             f"{n:08d}-1111-2222-3333-444455556666"}
        found[f"Policy{n}"] = {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": f"p{n}", "Roles": [{"Ref": "Role"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": resource}]}}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": found}


def plan(megabytes: float, findings: bool = True) -> str:
    """A plan (one line) of role policies that each grant KMS on "*"; without `findings`, the
    same policies, as many, each on one key (the file is then a little larger)."""
    resources, changes = [], []
    size, index = 0, 0
    while size < megabytes * 1024 * 1024:
        statement = {"Sid": "Use", "Effect": "Allow",
                     "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}
        size += 2 * len(json.dumps({"name": f"app-{index}", "role": f"app-{index}",
                                    "policy": json.dumps({"Version": "2012-10-17",
                                                          "Statement": [statement]})})) + 500
        if not findings:
            statement["Resource"] = ("arn:aws:kms:us-east-1:111122223333:key/"
                                     f"{index:08d}-1111-2222-3333-444455556666")
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        values = {"name": f"app-{index}", "role": f"app-{index}", "policy": document}
        head = {"address": f"aws_iam_role_policy.app[{index}]", "mode": "managed",
                "type": "aws_iam_role_policy", "name": "app", "index": index,
                "provider_name": "registry.terraform.io/hashicorp/aws"}
        resources.append({**head, "schema_version": 0, "values": values,
                          "sensitive_values": {}})
        changes.append({**head, "change": {"actions": ["create"], "before": None,
                                           "after": values, "after_unknown": {"id": True}}})
        index += 1
    return json.dumps({"format_version": "1.2", "terraform_version": "1.6.0",
                       "planned_values": {"root_module": {"resources": resources}},
                       "resource_changes": changes}, separators=(",", ":"))


def findings_rows(directory: pathlib.Path) -> list[Row]:
    rows: list[Row] = []
    for statements in (1_000, 10_000, 30_000):
        bad, good = directory / f"bad-{statements}.json", directory / f"good-{statements}.json"
        bad.write_text(json.dumps(policy(statements, True), indent=2))
        good.write_text(json.dumps(policy(statements, False), indent=2))
        row, tool_mb, base_mb = pair(f"{statements:,} statements, each a finding", bad,
                                     "the same without findings", good,
                                     runs=3 if statements < 30_000 else 1)
        rows.append(row)
        rows.append(mb_row("  peak memory", tool_mb, "  without findings", base_mb))
    for resources in (2_000, 8_000):
        bad = directory / f"template-bad-{resources}.json"
        good = directory / f"template-good-{resources}.json"
        bad.write_text(json.dumps(template(resources, True), indent=1))
        good.write_text(json.dumps(template(resources, False), indent=1))
        row, _, _ = pair(f"template of {resources:,} policies, each a finding", bad,
                         "the same without findings", good, runs=1)
        rows.append(row)
    return rows + plan_rows(directory)


def plan_rows(directory: pathlib.Path, megabytes: float = 50) -> list[Row]:
    """The plan full of findings against json.load of it and against the same plan without
    findings, each in time and in peak memory; each measured once (about a minute)."""
    big, plain = directory / "plan.json", directory / "plan-no-findings.json"
    big.write_text(plan(megabytes))
    plain.write_text(plan(megabytes, findings=False))
    size = big.stat().st_size / 1024 / 1024
    tool, tool_mb = measured(TOOL, big, 1)
    loaded, loaded_mb = measured(JSON_LOAD, big, 1)
    without, without_mb = measured(TOOL, plain, 1)
    return [(f"{size:.0f} MB plan, every policy a finding", tool, "json.load of the same file",
             loaded),
            mb_row("  peak memory", tool_mb, "  json.load", loaded_mb),
            ("  the same plan", tool, "its policies without findings", without),
            mb_row("  peak memory", tool_mb, "  without findings", without_mb)]


def mb_row(label: str, tool: float, baseline_label: str, baseline: float) -> Row:
    # bench.py prints seconds as ms: memory rows carry MB / 1000, so that they read in MB.
    return (f"{label} (MB, printed as ms)", tool / 1000, baseline_label, baseline / 1000)


# Wildcards, alias bombs, locals ---------------------------------------------------------------


def wildcard_policy(stars: bool) -> dict[str, Any]:
    pattern = "*a" * 30 + "*b" if stars else "key/*"
    action = "kms:" + "*e" * 30 + "*z" if stars else "kms:Encrypt"
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", action],
         "Resource": "arn:aws:kms:*:*:key/" + "a" * 60 + "*"},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "arn:aws:kms:*:*:key/" + pattern,
         "Condition": {"StringNotEquals": {"aws:ResourceAccount": "111122223333"}}}]}


def doubling_yaml(levels: int) -> str:
    lines = ["Metadata:", "  Bomb:", "    l0: &l0 arn:aws:kms:us-east-1:111122223333:key/x",
             "    c0: &c0 [a, b]", "    i0: &i0 arn:aws:kms:us-east-1:111122223333:key/x"]
    for n in range(1, levels + 1):
        lines += [f"    l{n}: &l{n} {{Fn::Join: ['', [*l{n - 1}, *l{n - 1}]]}}",
                  f"    s{n}: &s{n} !Sub ['${{x}}${{x}}', {{x: *l{n - 1}}}]",
                  f"    c{n}: &c{n} [*c{n - 1}, *c{n - 1}]",
                  f"    i{n}: &i{n} !If [Blue, *i{n - 1}, *i{n - 1}]"]
    return "\n".join(lines) + "\n" + """Resources:
  Reader:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: reader
      Roles: [app]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: RESOURCE
"""


def doubling_locals(levels: int) -> str:
    lines = ["locals {", '  l0 = "arn:aws:kms:us-east-1:111122223333:key/x"', '  c0 = ["a"]',
             '  n0 = ["a"]']
    for n in range(1, levels + 1):
        lines += [f'  l{n} = "${{local.l{n - 1}}}${{local.l{n - 1}}}"',
                  f"  c{n} = concat(local.c{n - 1}, local.c{n - 1})",
                  f"  n{n} = [local.n{n - 1}, local.n{n - 1}]"]
    return "\n".join(lines) + "\n}\n" + """
resource "aws_iam_policy" "reader" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = RESOURCE }]
  })
}
"""


def bounded_rows(directory: pathlib.Path) -> list[Row]:
    rows: list[Row] = []
    stars, plain = directory / "stars.json", directory / "plain.json"
    stars.write_text(json.dumps(wildcard_policy(True)))
    plain.write_text(json.dumps(wildcard_policy(False)))
    rows.append(pair("wildcards: kms:*e*e...*z, key/*a*a...*b", stars,
                     "the same with plain patterns", plain)[0])
    yaml_text = doubling_yaml(40)
    plain_yaml = directory / "plain.yaml"
    plain_yaml.write_text(yaml_text.replace("RESOURCE", '"*"'))
    for name, resource in (("Fn::Join", "!Join ['', [*l40, x]]"),
                           ("Fn::Sub", "!Sub ['${x}', {x: *s40}]"),
                           ("!Base64 [*c40]", "!Base64 [*c40]"), ("Fn::If", "*i40")):
        bomb = directory / f"bomb-{len(rows)}.yaml"
        bomb.write_text(yaml_text.replace("RESOURCE", resource))
        rows.append(pair(f"alias bomb, 2**40 through {name}", bomb,
                         'the same template, Resource "*"', plain_yaml)[0])
    locals_text = doubling_locals(40)
    module = directory / "plain-module"
    module.mkdir()
    (module / "main.tf").write_text(locals_text.replace("RESOURCE", '"*"'))
    for name, resource in (("a string", '"${local.l40}"'), ("a list (concat)", "local.c40"),
                           ("a tuple", "local.n40")):
        bombed = directory / f"locals-{len(rows)}"
        bombed.mkdir()
        (bombed / "main.tf").write_text(locals_text.replace("RESOURCE", resource))
        rows.append(pair(f"locals doubling {name} 40 times", bombed / "main.tf",
                         'the same module, Resource "*"', module / "main.tf")[0])
    return rows


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as scratch:
        directory = pathlib.Path(scratch)
        return bounded_rows(directory) + findings_rows(directory)


if __name__ == "__main__":
    for found in run():
        print(found)
