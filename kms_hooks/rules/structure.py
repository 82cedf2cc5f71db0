"""Structure and input: files that cannot be read, repeated keys, malformed statements."""
from __future__ import annotations


from kms_hooks.kms.facts import concerns_kms
from kms_hooks.model import (
    ERROR,
    IDENTITY,
    KEY,
    KEY_OR_ENDPOINT,
    NOTE,
    POLICY_KINDS,
    WARNING,
    Policy,
    Statement,
)
from kms_hooks.rules import Context, Report, RuleDoc, declare, rule
from kms_hooks.rules.common import memo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

_PARSE_ERROR = RuleDoc(
    finds="""
        A file that a hook was asked to check and that cannot be read or parsed: invalid
        JSON, YAML or HCL, text that is not UTF-8, an empty JSON file.  The location is where
        the parser stopped.  The other files are still checked.  Also a policy embedded as a
        string in a place where a policy belongs (a Terraform policy attribute written as a
        heredoc or JSON string, a file() target, a CloudFormation policy property written as
        a string, get-key-policy's Policy) that is not valid JSON: reported at the place in
        the string where the parser stopped, when it can be mapped, else at the string.
    """,
    why="""
        A policy file that does not parse was not checked at all, so a pass would be a lie;
        AWS would reject the same document when it is deployed.
    """,
    bad='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]}',
    good='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", '
         '"Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}',
    guidance="IAM User Guide: IAM JSON policy grammar.",
)

_UNUSED_GOOD = """\
resource "aws_iam_role_policy" "app" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.data.arn }]
  })
}
"""

declare(
    "KMS004", "unused-suppression", NOTE,
    "a kms-hooks:ignore suppression silences nothing, or names no rule",
    RuleDoc(
        finds="""
            A suppression written in a checked file (a `# kms-hooks:ignore=...` comment in HCL or
            YAML, a Terraform JSON `"//"` property, CloudFormation `Metadata`) that silences
            nothing: no finding of the rules it names starts in what it covers.  A note, like
            ruff's unused `noqa`.  A suppression that names an id that is no rule (`KMS999`), or a
            `kms-hooks:` directive that cannot be read, is a warning: the finding it was meant
            for is still reported.  Rules turned off by --select, --ignore or per-file-ignores are
            not judged.
        """,
        why="""
            A suppression outlives the finding it was written for: once the policy is fixed, it
            stays behind and would silence the next, different problem at that place without
            anyone reviewing it.  A misspelt rule id silences nothing at all.
        """,
        bad=_UNUSED_GOOD.replace("{\n", "{\n  # kms-hooks:ignore=KMS101 deploy role\n", 1),
        good=_UNUSED_GOOD,
        guidance="None: this rule is about kms-hooks' own suppressions (README: Suppressing "
                 "findings).",
    ),
)

_DUPLICATE = RuleDoc(
    finds="""
        A policy document that repeats a key in one object, such as two "Resource" elements in
        one statement.
    """,
    why="""
        JSON parsers disagree on which of the repeated keys wins: one reviewer reads the first
        value, IAM or a deployment tool may use the last.  The policy may not mean what the
        review saw.
    """,
    bad="""
        {"Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
         "Resource": "*"}
    """,
    good="""
        {"Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    """,
    guidance="IAM User Guide: IAM JSON policy grammar (element names appear once per object).",
)

_MALFORMED = RuleDoc(
    finds="""
        A statement that the KMS rules need to read and that is malformed: no "Effect" (except
        Terraform policy documents, where it defaults to Allow), an Effect other than Allow or
        Deny, both or neither of "Action" and "NotAction", an element of the wrong type (a
        number where strings belong), a principal IAM rejects (a "Principal" string other than
        "*", a principal type other than AWS, Service, Federated or CanonicalUser), an IAM
        policy statement without "Resource", and a key policy statement without "Resource" or
        "Action".  Only statements that touch KMS are reported.
    """,
    why="""
        AWS rejects such a statement, or it has no effect at all; either way the permission the
        author meant is not the one that is deployed, and no other rule can judge it.
    """,
    bad='{"Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
    good='{"Effect": "Allow", "Action": "kms:Decrypt", '
         '"Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}',
    guidance="IAM User Guide: IAM JSON policy elements reference.",
)


def touches_kms(statement: Statement, policy: Policy) -> bool:
    """Whether a statement is this tool's business: it names KMS actions, reaches them through
    wildcards or NotAction, or lives in a key policy."""
    if policy.kind in (KEY, KEY_OR_ENDPOINT) or statement.not_actions is not None:
        return True
    return memo(statement, "touches_kms", lambda: _names_kms(statement))


def _names_kms(statement: Statement) -> bool:
    for value in statement.actions or ():
        if value.text is None or concerns_kms(value.text):
            return True
    if statement.actions is None:
        return any(v.text is None or ":kms:" in v.text or v.text == "*"
                   for v in statement.resources or ())
    return False


def _problems(policy: Policy, rule_id: str) -> Iterator[Report]:
    for problem in policy.problems:
        if problem.rule == rule_id:
            yield Report(problem.message, problem.where)
    for statement in policy.statements or ():
        if not touches_kms(statement, policy):
            continue
        for problem in statement.problems:
            if problem.rule == rule_id:
                yield Report(problem.message, problem.where)


def parse_errors(policy: Policy, context: Context) -> Iterator[Report]:
    """Policy strings that do not parse, found while reading them."""
    yield from _problems(policy, "KMS001")


declare("KMS001", "parse-error", ERROR,
        "a file a hook was asked to check cannot be read or parsed, or a policy string in it",
        _PARSE_ERROR, applies="any file a hook reads, and policies written as strings in it",
        kinds=POLICY_KINDS, check=parse_errors)


@rule("KMS002", "duplicate-key", ERROR,
      "a policy document repeats a key in one object", POLICY_KINDS, _DUPLICATE)
def duplicate_key(policy: Policy, context: Context) -> Iterator[Report]:
    yield from _problems(policy, "KMS002")


@rule("KMS003", "malformed-statement", WARNING,
      "a statement a rule needs to read is malformed (no Effect, Action and NotAction both or "
      "neither, wrong types, no Resource)", POLICY_KINDS, _MALFORMED)
def malformed_statement(policy: Policy, context: Context) -> Iterator[Report]:
    yield from _problems(policy, "KMS003")
    for statement in policy.statements or ():
        if not touches_kms(statement, policy) or any(p.rule == "KMS003" for p in statement.problems):
            continue
        no_resource = statement.resources is None and statement.not_resources is None
        if policy.kind == KEY and no_resource:
            yield Report('the key policy statement has no "Resource": it has no effect; use '
                         '"Resource": "*" (this key)', statement.where)
        elif policy.kind == IDENTITY and no_resource:
            yield Report('the statement has no "Resource": IAM rejects an identity policy '
                         'statement without one', statement.where)
