"""The raw policies of ../shared/corpus, AWS managed policies and standalone documents, checked in
one run: every file read, none a parse error or an internal error, and the key policies of the
AWS KMS Developer Guide examples never judged as identity policies."""
from __future__ import annotations

import collections
import pathlib

from kms_hooks.engine import Options, expand_paths, run
from kms_hooks.model import KEY
from kms_hooks.sources import HOOKS
from kms_hooks.sources.base import SourceFile


def test_managed_and_raw_policies_in_one_run(shared: pathlib.Path) -> None:
    managed = shared / "corpus" / "managed-policies"
    raw = shared / "corpus" / "raw-policies"
    paths = list(expand_paths([str(managed), str(raw)]))
    outcome = run((SourceFile(p) for p in paths), Options(sources=HOOKS["kms-iam-policies"]))
    assert outcome.errors == []
    assert outcome.files_seen == len(paths) == 1522 + 275
    assert [f for f in outcome.findings if f.rule == "KMS001"] == []

    def rules(folder: pathlib.Path) -> collections.Counter[str]:
        return collections.Counter(f.rule for f in outcome.findings
                                   if pathlib.Path(f.where.doc.path).is_relative_to(folder))

    # Every file of the managed policies is read (get-policy-version output) and 196 of them
    # mention kms; the findings are on those and on the few that reach KMS by wildcards.
    assert not any(path.startswith(str(managed)) and "no policy this hook reads" in why
                   for path, why in outcome.skipped)
    assert rules(managed)["KMS101"] > 100 and rules(managed)["KMS104"] > 10
    assert rules(raw)["KMS101"] > 10
    guide = raw / "aws-kms-developer-guide"
    assert [f for f in outcome.findings if pathlib.Path(f.where.doc.path).is_relative_to(guide)
            and f.rule in ("KMS101", "KMS104") and f.policy_kind == KEY] == []
    # Findings read against the policies, by hand: AWS's own broken ARNs (an empty account
    # matches nothing), and NotAction that leaves every KMS action.
    located = {(pathlib.Path(f.where.doc.path).name, f.where.span().line,
                f.where.span().column, f.rule) for f in outcome.findings}
    assert {
        ("AmazonBedrockFullAccess.json", 28, 33, "KMS102"),
        ("AWSRefactoringToolkitFullAccess.json", 543, 33, "KMS102"),
        ("PowerUserAccess.json", 9, 21, "KMS109"),
        ("AdministratorAccess.json", 9, 31, "KMS108"),
    } <= located
    # One resource perimeter, one verdict: statements pinned to the caller's own account
    # (aws:ResourceAccount = ${aws:PrincipalAccount}, in the statement or by a Deny of the same
    # policy) get neither KMS101 nor KMS104; a key-id part that is a policy variable
    # (key/${aws:PrincipalTag/KmsKeyId}) names one key, whatever the account says.
    assert not {
        ("AmazonS3TablesLakeFormationServiceRole.json", 59, 33, "KMS101"),
        ("SageMakerStudioProjectProvisioningRolePolicy.json", 2529, 33, "KMS101"),
        ("AmazonDataZoneProjectDeploymentPermissionsBoundary.json", 68, 33, "KMS101"),
        ("SageMakerStudioProjectUserRolePolicy.json", 445, 25, "KMS104"),
        ("SageMakerStudioProjectRoleMachineLearningPolicy.json", 1199, 33, "KMS104"),
    } & located
    assert {("conditions-kms__codeblock10.json", 13, 7, "KMS114"),
            ("tag-permissions__codeblock03.json", 25, 41, "KMS114")} <= located
