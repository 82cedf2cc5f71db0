"""The public templates of ../shared/corpus: all read, none a parse error, and key policies never
judged as identity policies."""
from __future__ import annotations

import collections
import pathlib

from kms_hooks.engine import Options, expand_paths, run
from kms_hooks.model import KEY
from kms_hooks.sources.base import SourceFile


def test_every_corpus_template_is_read(shared: pathlib.Path) -> None:
    folder = shared / "corpus" / "cloudformation"
    outcome = run((SourceFile(p) for p in expand_paths([str(folder)])),
                  Options(sources=("cloudformation",)))
    assert outcome.errors == []
    assert outcome.files_seen == 202
    # Every file is a template; 21 hold no KMS-related policy (validator and SAM fixtures).
    assert [why for _, why in outcome.skipped] == \
        ["read as cloudformation: no KMS-related policy in it"] * 21
    assert [f for f in outcome.findings if f.rule == "KMS001"] == []
    assert [f for f in outcome.findings
            if f.rule in ("KMS101", "KMS104") and f.policy_kind == KEY] == []
    by_rule = collections.Counter(f.rule for f in outcome.findings)
    assert by_rule["KMS101"] > 0 and by_rule["KMS201"] > 0
    # Findings read against the templates, by hand.
    located = {(pathlib.Path(f.where.doc.path).name, f.where.span().line,
                f.where.span().column, f.rule) for f in outcome.findings}
    assert {
        ("CloudFormation__StackSets__log-setup-management.yaml", 67, 13, "KMS202"),
        ("tests__cloudformation__checks__resource__aws__example_KMSKeyWildCardPrincipal__"
         "KMSKeyWildCardPrincipal-FAILED-Wildcard.yaml", 13, 22, "KMS201"),
        ("tests__translator__input__function_with_kmskeyarn.yaml", 26, 9, "KMS202"),
    } <= located
