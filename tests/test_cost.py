"""Bounded cost on any input: work linear in the findings, no exponential matching or expansion.

No timings here (bench/ has them): work is counted as lines of kms_hooks executed, which is the
same on any machine, so doubling an input must about double the count; memory is measured with
tracemalloc against the parse of the same text.
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys
from types import FrameType
from typing import Any, Callable, Iterator

import pytest

from kms_hooks.cli import main

PACKAGE = os.path.dirname(os.path.abspath(__import__("kms_hooks").__file__))


@contextlib.contextmanager
def counting_lines() -> Iterator[list[int]]:
    """Counts the lines of kms_hooks that run inside the block."""
    count = [0]

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event == "line":
            count[0] += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield count
    finally:
        sys.settrace(previous)


def lines_run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    with counting_lines() as count:
        main(argv)
    capsys.readouterr()
    return count[0]


def star_policy(statements: int) -> str:
    """One policy whose every statement has a finding (KMS101), and a data-perimeter Deny that
    every finding consults."""
    body = [{"Sid": f"Use{n}", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
             "Resource": "*"} for n in range(statements)]
    body.append({"Effect": "Deny", "Action": "kms:*", "Resource": "arn:aws:kms:*:*:key/*",
                 "Condition": {"StringNotEquals": {"aws:ResourceAccount": "111122223333"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": body}, indent=2)


@pytest.mark.parametrize("options", [[], ["--format", "sarif"], ["--format", "github"]])
def test_work_per_finding_is_constant(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
                                      options: list[str]) -> None:
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(star_policy(300))
    large.write_text(star_policy(600))
    main(["-q", str(small)])  # rules and imports loaded before counting
    capsys.readouterr()
    work_small = lines_run(["-q", *options, str(small)], capsys)
    work_large = lines_run(["-q", *options, str(large)], capsys)
    # Linear: twice the findings, twice the work (and a little less, for what is done once).
    # A search of the whole policy for each finding made this ratio 2.6 and more.
    assert work_large / work_small < 2.2, (work_small, work_large)


def test_baseline_work_per_finding_is_constant(tmp_path: pathlib.Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    work = []
    for statements in (300, 600):
        path = tmp_path / f"policy-{statements}.json"
        path.write_text(star_policy(statements))
        work.append(lines_run(["-q", "--write-baseline", str(tmp_path / "base.json"), str(path)],
                              capsys))
    assert work[1] / work[0] < 2.2, work


def test_thousands_of_findings_are_all_reported(tmp_path: pathlib.Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps([{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}] * 3000))  # one line
    assert main(["--format", "json", str(path)]) == 1
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 3000
    assert {(f["line"], f["rule"]) for f in found} == {(1, "KMS101")}
    assert len({f["column"] for f in found}) == 3000


def plan_of_findings(policies: int) -> str:
    """A Terraform plan, on one line, of role policies that each grant KMS on "*" (KMS101)."""
    resources, changes = [], []
    for index in range(policies):
        document = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Use", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": "*"}]})
        values = {"name": f"app-{index}", "role": f"app-{index}", "policy": document}
        head = {"address": f"aws_iam_role_policy.app[{index}]", "mode": "managed",
                "type": "aws_iam_role_policy", "name": "app", "index": index,
                "provider_name": "registry.terraform.io/hashicorp/aws"}
        resources.append({**head, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append({**head, "change": {"actions": ["create"], "before": None,
                                           "after": values, "after_unknown": {"id": True}}})
    return json.dumps({"format_version": "1.2", "terraform_version": "1.6.0",
                       "planned_values": {"root_module": {"resources": resources}},
                       "resource_changes": changes}, separators=(",", ":"))


def test_work_per_finding_in_a_plan_is_constant(tmp_path: pathlib.Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Locating in a one-line plan forgets each small object once read, but not the list of
    # resources: read again from its start for each finding, it makes this ratio 2.8 (2.0 here).
    work = []
    for policies in (2, 150, 300):
        path = tmp_path / f"plan-{policies}.json"
        path.write_text(plan_of_findings(policies))
        work.append(lines_run(["-q", str(path)], capsys))
    assert (work[2] - work[0]) / (work[1] - work[0]) < 2.2, work


def test_locating_deep_in_small_objects_reads_each_again_within_a_budget() -> None:
    from kms_hooks.locate import jsonpos

    def members_read(depth: int) -> int:
        """Lines run reading members while locating each level of a chain of one-member
        objects, `{"a": {"a": ...}}`, from the top down."""
        walker = jsonpos.JsonWalker('{"a": ' * depth + "1" + "}" * depth)
        count = [0]

        def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
            count[0] += event == "line"
            return local

        def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
            return local if frame.f_code is jsonpos.JsonWalker._read.__code__ else None

        previous = sys.gettrace()  # coverage's tracer, when the suite runs under it
        sys.settrace(calls)
        try:
            for level in range(1, depth + 1):
                walker.offsets(("a",) * level)
        finally:
            sys.settrace(previous)
        return count[0]

    # Every level is a small object, forgotten once read unless the walk has forgotten enough
    # above it: each level is read about once (1.1 times the work for twice the depth).
    # Without that budget each walk read every level above it again: 2.1 times, and growing.
    assert members_read(400) / members_read(200) < 1.5


def test_a_plan_full_of_findings_holds_little_more_than_its_parse(
        tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tracemalloc

    (tmp_path / "small.json").write_text(plan_of_findings(2))
    main(["-q", str(tmp_path / "small.json")])  # modules and rules loaded before measuring
    text = plan_of_findings(3000)
    path = tmp_path / "plan.json"
    path.write_text(text)
    capsys.readouterr()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        json.loads(text)
        parsed = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        main(["-q", str(path)])
        used = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert capsys.readouterr().out.count("KMS101") == 3000
    # The text, the model and the findings beside the parse: 3.2 times it.  Keeping the parse
    # to the end, the offsets of every member of every object on the way to a finding and
    # the parse of each policy string made it 5.4 times.
    assert used < 4 * parsed, (used, parsed)


def run_bounded(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command line in its own process, stopped (and the test failed) if it hangs."""
    return subprocess.run([sys.executable, "-m", "kms_hooks", *argv], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_wildcards_match_in_linear_time(tmp_path: pathlib.Path) -> None:
    # With a regular expression per pattern, each of these backtracks for minutes or more.
    stars = "*a" * 30 + "*b"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:" + "*e" * 30 + "*z"],
         "Resource": "arn:aws:kms:*:*:key/" + "a" * 60 + "*"},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "arn:aws:kms:*:*:key/" + stars,
         "Condition": {"StringNotEquals": {"aws:ResourceAccount": "111122223333"}}},
    ]}))
    done = run_bounded("--format", "json", str(path))
    found = json.loads(done.stdout)
    # The Deny's pattern does not match the Allow's keys, so it closes nothing: KMS104 stands;
    # the starred action matches no KMS action (KMS111).
    assert sorted(f["rule"] for f in found) == ["KMS104", "KMS111"], done.stderr


def test_glob_matches_as_iam_does() -> None:
    from kms_hooks.kms.facts import glob_match

    assert glob_match("arn:aws:kms:*:111122223333:key/*", "ARN:aws:kms:us-east-1:111122223333:key/k")
    assert glob_match("a*b?c*", "aXXbYcZZ") and not glob_match("a*b?c*", "abc")
    assert glob_match("*", "") and glob_match("**", "x") and not glob_match("?", "")
    assert glob_match("*a*a", "aa") and not glob_match("*a*a", "a")
    long = "a" * 100_000
    assert glob_match("*" + "a*" * 5_000, long) and not glob_match("*a" * 5_000 + "*b", long)


def doubling_yaml(levels: int) -> str:
    """Anchors that each stand for two of the one before: a few KB for 2**levels of text."""
    lines = ["Metadata:", "  Bomb:", "    l0: &l0 arn:aws:kms:us-east-1:111122223333:key/x",
             "    c0: &c0 [a, b]", "    i0: &i0 arn:aws:kms:us-east-1:111122223333:key/x"]
    for n in range(1, levels + 1):
        lines += [f"    l{n}: &l{n} {{Fn::Join: ['', [*l{n - 1}, *l{n - 1}]]}}",
                  f"    s{n}: &s{n} !Sub ['${{x}}${{x}}', {{x: *l{n - 1}}}]",
                  f"    c{n}: &c{n} [*c{n - 1}, *c{n - 1}]",
                  f"    i{n}: &i{n} !If [Blue, *i{n - 1}, *i{n - 1}]"]
    return "\n".join(lines) + "\n"


CFN_POLICY = """Resources:
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
            Resource: {resource}
          - Effect: Allow
            Action: kms:Encrypt
            Resource: "*"
"""


@pytest.mark.parametrize("resource", ["!Join ['', [*l40, x]]", "!Sub ['${x}', {x: *s40}]",
                                      "!Base64 [*c40]", "*i40", "[*i40]"])
def test_yaml_aliases_resolve_within_a_budget(tmp_path: pathlib.Path, resource: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(doubling_yaml(40) + CFN_POLICY.format(resource=resource))
    done = run_bounded("-v", "--format", "json", str(path))
    found = json.loads(done.stdout)
    # The value built past the budget is unknown: no finding on it, and the rest is checked.
    assert [(f["rule"], f["line"]) for f in found] == [("KMS101", 15 + 4 * 40 + 5)], done.stderr
    assert all(len(f["message"]) < 1000 for f in found)
    if "Base64" not in resource:
        assert "past the size budget" in done.stderr


def doubling_locals(levels: int, resource: str) -> str:
    lines = ["locals {", '  l0 = "arn:aws:kms:us-east-1:111122223333:key/x"', '  c0 = ["a"]',
             '  n0 = ["a"]']
    for n in range(1, levels + 1):
        lines += [f'  l{n} = "${{local.l{n - 1}}}${{local.l{n - 1}}}"',
                  f"  c{n} = concat(local.c{n - 1}, local.c{n - 1})",
                  f"  n{n} = [local.n{n - 1}, local.n{n - 1}]"]
    return "\n".join(lines) + "\n}\n" + f"""
data "aws_iam_policy_document" "reader" {{
  statement {{
    actions   = ["kms:Decrypt"]
    resources = {resource}
  }}
}}

resource "aws_iam_policy" "reader" {{
  policy = data.aws_iam_policy_document.reader.json
}}

resource "aws_iam_policy" "writer" {{
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "kms:Encrypt", Resource = {resource} }}]
  }})
}}
"""


@pytest.mark.parametrize("resource", ['["${local.l40}"]', "local.c40", "local.n40",
                                      'concat(local.c40, ["*"])'])
def test_growing_locals_resolve_within_a_budget(tmp_path: pathlib.Path, resource: str) -> None:
    path = tmp_path / "main.tf"
    path.write_text(doubling_locals(40, resource))
    done = run_bounded("-v", "--format", "json", str(path))
    found = json.loads(done.stdout)
    assert "past the size budget" in done.stderr
    # A list past the budget is one unknown entry; the "*" beside it is still read.  Nested
    # tuples in jsonencode are malformed entries (KMS003), as IAM would say.
    expected = {"local.n40": ["KMS003"],
                'concat(local.c40, ["*"])': ["KMS101", "KMS101"]}.get(resource, [])
    assert sorted(f["rule"] for f in found) == expected, done.stderr


# Modules a hook call on one small policy file does not need, each costing milliseconds to
# import: dataclasses brings inspect, ast, dis and tokenize; argparse's formatter brings shutil,
# which brings the compression modules; the others belong to other formats or commands.
NOT_AT_START = ("dataclasses", "inspect", "ast", "dis", "tokenize", "shutil", "lzma", "bz2",
                "yaml", "jmespath", "tree_sitter", "hashlib", "difflib")


def test_one_small_file_imports_only_what_it_uses(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(star_policy(2))
    program = ("import sys\nfrom kms_hooks.cli import main\nstatus = main(sys.argv[1:])\n"
               "print(' '.join(sorted(sys.modules)), file=sys.stderr)\nsys.exit(status)\n")
    done = subprocess.run([sys.executable, "-c", program, "-q", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1 and done.stdout.count("KMS101") == 2, done.stderr
    loaded = set(done.stderr.split())
    assert "kms_hooks.rules.identity" in loaded
    assert sorted(loaded & set(NOT_AT_START)) == []


# What a hook call with file names alone (as pre-commit makes it) does not need: argparse with
# gettext and locale parse no option; typing is for the type checker; the template reader reads
# no policy file.
NOT_IN_A_HOOK_CALL = ("argparse", "gettext", "locale", "typing",
                      "kms_hooks.sources.cloudformation.template", "kms_hooks.suppress")


def test_a_hook_call_with_file_names_alone_loads_no_parser_and_no_typing(
        tmp_path: pathlib.Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(star_policy(2))
    # Only what the call itself loads counts: an environment may load some of these at start.
    program = ("import sys\nbefore = set(sys.modules)\nfrom kms_hooks.cli import main\n"
               "status = main(sys.argv[1:])\n"
               "print(' '.join(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
               "sys.exit(status)\n")
    # As pre-commit runs it: in the repository, with names relative to it.
    done = subprocess.run([sys.executable, "-c", program, path.name], capture_output=True,
                          text=True, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.count("KMS101") == 2, done.stderr
    loaded = set(done.stderr.split())
    assert "kms_hooks.rules.identity" in loaded and "kms_hooks.sources.raw" in loaded
    assert sorted(loaded & set(NOT_IN_A_HOOK_CALL)) == []
