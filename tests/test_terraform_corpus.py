"""The corpus of real plans and .tf.json files: read in one run, without an internal error."""
from __future__ import annotations

import pathlib

import pytest

from kms_hooks.cli import main_terraform


def test_every_corpus_file_is_read(shared: pathlib.Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared / "corpus" / "terraform-json"
    if not folder.is_dir():
        pytest.skip("the terraform-json corpus is not present")
    main_terraform(["-v", str(folder)])
    captured = capsys.readouterr()
    assert "internal error" not in captured.err
    assert "Traceback" not in captured.err
    assert f"{len(list(folder.rglob('*.json')))} checked" in captured.err
    out = captured.out.replace(str(folder) + "/", "")
    # A key policy in a plan that gives kms:PutKeyPolicy to no one (checked by hand: three IAM
    # principals get ReEncrypt*, GenerateDataKey* and DescribeKey only).
    assert "test_issue-121__plan.out.json:1:350: KMS202 warning: aws_kms_key.example: " in out
    # A policy left to apply time, followed through the plan's configuration to its data source.
    assert "resource_view_02_infra.json: data.aws_iam_policy_document.example (the policy of " \
        "aws_iam_policy.example): checked as an identity policy" in captured.err.replace(
            str(folder) + "/regula/rego__tests__lib__inputs__", "")
