"""The public `.tf` files of ../shared/corpus: all read without an internal error, the invalid
ones reported as KMS001 where tree-sitter stopped, findings read against the files by hand."""
from __future__ import annotations

import collections
import pathlib

from kms_hooks.engine import Options, expand_paths, run
from kms_hooks.model import KEY
from kms_hooks.sources.base import SourceFile

ADMIN = "checkov/tests__terraform__checks__data__aws__example_AdminPolicyDocument__main.tf"
STAR = "checkov/tests__terraform__checks__data__aws__example_StarActionPolicyDocument__main.tf"


def test_every_corpus_tf_file_is_read(shared: pathlib.Path) -> None:
    folder = shared / "corpus" / "terraform-hcl"
    outcome = run((SourceFile(p) for p in expand_paths([str(folder)])),
                  Options(sources=("terraform",)))
    assert outcome.errors == []
    assert outcome.files_seen == 66
    located = {(str(pathlib.Path(f.where.doc.path).relative_to(folder)), f.where.span().line,
                f.where.span().column, f.rule) for f in outcome.findings}
    # Two files nest a `principals` block inside an object: not HCL.  Their other blocks are
    # still checked.  Nine <<POLICY heredocs hold a trailing comma before `]`: not JSON, each
    # reported where the JSON parser stopped.
    prefix = "checkov/tests__terraform__checks__resource__aws__example_"
    assert {f for f in located if f[3] == "KMS001"} == {
        (ADMIN, 28, 5, "KMS001"), (STAR, 34, 5, "KMS001"),
        (prefix + "IAMCredentialsExposure__main.tf", 51, 9, "KMS001"),
        (prefix + "IAMDataExfiltration__main.tf", 14, 9, "KMS001"),
        (prefix + "IAMWriteAccess__main.tf", 12, 9, "KMS001"),
        (prefix + "IAMWriteAccess__main.tf", 30, 9, "KMS001"),
        (prefix + "IAMWriteAccess__main.tf", 49, 9, "KMS001"),
        (prefix + "KMSKeyIsEnabled__main.tf", 25, 3, "KMS001"),
        (prefix + "KMSKeyIsEnabled__main.tf", 55, 3, "KMS001"),
        (prefix + "KMSKeyIsEnabled__main.tf", 83, 3, "KMS001"),
        (prefix + "KMSKeyWildcardPrincipal__fail.tf", 23, 3, "KMS001"),
    }
    assert {(ADMIN, 49, 7, "KMS108"), (ADMIN, 52, 7, "KMS101")} <= located
    assert [f for f in outcome.findings
            if f.rule in ("KMS101", "KMS104") and f.policy_kind == KEY] == []
    by_rule = collections.Counter(f.rule for f in outcome.findings)
    assert by_rule["KMS101"] > 0 and by_rule["KMS201"] > 0 and by_rule["KMS202"] > 0
    checkov = "checkov/tests__terraform__"
    assert {
        # A <<POLICY heredoc: "Action": "*" and "Resource": "*".
        (checkov + "checks__resource__aws__example_IAMAdminPolicyDocument__iam.tf", 89, 17,
         "KMS108"),
        (checkov + "checks__resource__aws__example_IAMAdminPolicyDocument__iam.tf", 91, 19,
         "KMS101"),
        # jsonencode key policies with Principal = { AWS = "*" }.
        (checkov + "graph__checks__resources__KmsKeyPolicyIsDefined__main.tf", 14, 17, "KMS201"),
        (checkov + "graph__checks__resources__KmsKeyPolicyIsDefined__main.tf", 34, 17, "KMS201"),
        # A key policy that only denies kms:* to everyone: KMS rejects it (lockout).
        (checkov + "checks__resource__aws__example_KMSKeyWildcardPrincipal__pass.tf", 26, 5,
         "KMS202"),
        # "Principal": ["foo", "*"] is not a principal element.
        (checkov + "checks__resource__aws__example_KMSKeyWildcardPrincipal__fail.tf", 36, 20,
         "KMS003"),
        # "Principal": "foo" neither.
        (checkov + "checks__resource__aws__example_KMSKeyWildcardPrincipal__pass.tf", 47, 20,
         "KMS003"),
        # {"AWS": "*"} limited only by kms:CallerAccount, allowed kms:*.
        (checkov + "checks__resource__aws__example_KMSKeyWildcardPrincipal__pass.tf", 97, 16,
         "KMS204"),
    } <= located
    # Malformed principals are never called IAM users or roles.
    assert not any(f.rule == "KMS202" and "IAM users or roles" in f.message
                   and "KMSKeyWildcardPrincipal" in f.where.doc.path for f in outcome.findings)
