"""Rules for identity policies, from AWS's "Best practices for IAM policies" for KMS."""
from __future__ import annotations

import re

from kms_hooks.kms import arn
from kms_hooks.kms.facts import (
    ALIAS_OPERATIONS,
    ALL,
    CROSS_ACCOUNT_USE,
    KEY_SCOPED,
    STAR_ONLY,
    TABLE_VERSION,
    canonical,
    describe,
    expand,
    has_wildcard,
    closest,
    is_kms_action,
)
from kms_hooks.model import (
    ENDPOINT,
    ERROR,
    GUARDRAIL,
    IDENTITY,
    KEY,
    KEY_OR_ENDPOINT,
    NOTE,
    POLICY_KINDS,
    WARNING,
    Fix,
    Policy,
    Statement,
    TextEdit,
    Value,
)
from kms_hooks.rules import Context, Report, RuleDoc, rule
from kms_hooks.rules.common import (
    action_grants,
    condition_keys,
    explain_actions,
    granted_actions,
    may_reach_keys,
    reach_verb,
    resources,
)
from kms_hooks.rules.perimeter import (
    OTHER,
    Perimeter,
    describe_perimeter,
    perimeter_accounts,
    resource_perimeter,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator

_KEY_ARN_EXAMPLE = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_ACCOUNT_PATTERN = "arn:aws:kms:*:111122223333:key/*"


def _allows(policy: Policy) -> Iterator[Statement]:
    for statement in policy.statements or ():
        if statement.is_allow:
            yield statement


def _allows_on_keys(policy: Policy) -> Iterator[Statement]:
    """Allow statements whose resources may be KMS keys: only they grant KMS actions."""
    for statement in _allows(policy):
        if may_reach_keys(statement, policy):
            yield statement


def _reach_severity(actions: frozenset[str], closed: bool) -> str:
    if actions & CROSS_ACCOUNT_USE and not closed:
        return ERROR
    return WARNING


@rule("KMS101", "resource-star", ERROR,
      'an identity policy allows key-scoped KMS actions on "Resource": "*" (error for '
      "cross-account cryptographic and grant operations, warning for the rest)",
      (IDENTITY,),
      RuleDoc(
          finds="""
              An Allow in an IAM identity policy that grants a KMS action which works on keys
              (cryptographic operations, grant operations, DescribeKey, key management) with
              "Resource": "*".  Error for the operations that can use other accounts' keys
              (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, Sign, Verify, *Mac, CreateGrant,
              RetireGrant, RevokeGrant, ...); warning for read-only metadata (DescribeKey,
              GetPublicKey, GetKeyRotationStatus, ListGrants) and for key management actions.
              Star-only actions (CreateKey, ListKeys, ListAliases, GenerateRandom, custom key
              stores) and alias operations are not reported: "*" is right for them.

              A resource perimeter is read as IAM reads it: a positive condition on
              aws:ResourceAccount, aws:ResourceOrgID or aws:ResourceOrgPaths, or a Deny in the
              same policy that refuses the same actions when one of them is not a listed value
              (the data-perimeter pattern).  Pinned to the caller's own account or organization
              (${aws:PrincipalAccount}, ${aws:PrincipalOrgID}, AWS::AccountId,
              data.aws_caller_identity.X.account_id) or to named accounts, the statement is the
              same as the pattern arn:aws:kms:*:ACCOUNT:key/*: no finding (KMS105 checks named
              accounts against the trusted ones).  Pinned to something else (a literal
              organization id or path), the error is lowered to a warning: the perimeter is
              closed, least privilege is not met.  KMS104 gives the same verdict.
          """,
          why="""
              In an identity policy "*" is not "our keys": it is every KMS key in every account
              whose key policy lets this account in.  If any other account, trusted or not,
              grants your account kms:Decrypt on its key, this statement completes the
              permission, and your role can decrypt with their key.  Tag and alias conditions
              do not close this, because the key's owner sets tags and aliases.

              kms:TagResource while creating keys: CreateKey needs "*", but TagResource does
              not; scope it to the account's keys with arn:aws:kms:REGION:ACCOUNT:key/*.
          """,
          bad="""
              {"Effect": "Allow",
               "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
               "Resource": "*"}
          """,
          good=f"""
              {{"Effect": "Allow",
               "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
               "Resource": "{_KEY_ARN_EXAMPLE}"}}

              or, when listing keys is impractical, the keys of one trusted account:
               "Resource": "{_ACCOUNT_PATTERN}"
          """,
          guidance='Best practices for IAM policies: "Avoid "Resource": "*" in an IAM policy" '
                   'and "Specify KMS keys in an IAM policy".',
          suppress="""
              Some roles must use keys in many accounts by design, such as a CDK deployment
              role or a central backup role.  Add a resource perimeter condition
              (aws:ResourceOrgID or aws:ResourceAccount) so that only your organization's keys
              are reachable, or silence the rule for that file with per-file-ignores, or for a
              CloudFormation resource with Metadata: {"kms-hooks": {"ignore": ["KMS101"],
              "reason": "..."}}.
          """,
      ))
def resource_star(policy: Policy, context: Context) -> Iterator[Report]:
    for statement, relevant, value, perimeter in _reaching(policy, lambda r: r.kind == arn.STAR):
        acts = explain_actions(action_grants(statement), relevant)
        reach = reach_verb(action_grants(statement), relevant)
        if perimeter is not None:
            message = (f'{acts} on "Resource": "*" {reach} every KMS key that '
                       f"{describe_perimeter(perimeter)} admits, not only the keys this "
                       "principal needs; list the key ARNs, or pin the account "
                       "(arn:aws:kms:*:ACCOUNT:key/* or aws:ResourceAccount)")
        else:
            message = (f'{acts} on "Resource": "*" {reach} any KMS key, in any account, whose '
                       "key policy lets this account use it; list the key ARNs or "
                       "arn:aws:kms:*:ACCOUNT:key/*")
        yield Report(message, value.where, _reach_severity(relevant, perimeter is not None),
                     _narrowing(policy, statement, value, context))


def _narrowing(policy: Policy, statement: Statement, value: Value,
               context: Context) -> Fix | None:
    """The unsafe fix that makes the resource the home account's keys, as the policy's source
    writes them; a statement whose other actions need "*" is split, those actions keeping it,
    where the source can write that; or why not."""
    if policy.narrow is None:
        return None
    keep, blocked = _needs_star(statement)
    if blocked:
        return Fix("the account's keys", safe=False, reason=blocked)
    narrowed = policy.narrow(value, context.account)
    if not keep:
        return narrowed
    if policy.split is None or not narrowed.edits:
        return Fix(narrowed.title, safe=False, reason=narrowed.reason or (
            f'{keep[0].shown} needs "*": split the statement by hand, those actions keeping '
            '"*"'))
    return policy.split(statement, keep, narrowed)


def _needs_star(statement: Statement) -> tuple[list[Value], str]:
    """The actions that need "*" (star-only, alias operations, other services'), which a split
    leaves on "*"; and why the statement cannot be split: NotAction, an action not known here,
    or a pattern that reaches both kinds."""
    if statement.not_actions is not None:
        return [], "the statement grants by NotAction, whose other actions may need \"*\""
    keep: list[Value] = []
    for action in statement.actions or ():
        if action.text is None:
            return [], f"{action.shown} is not known here, and may need \"*\""
        reached = expand(action.text)
        if not reached & KEY_SCOPED:
            keep.append(action)
        elif not is_kms_action(action.text):
            return [], (f'{action.shown} reaches KMS key actions and others that need "*": '
                        "split the statement by hand")
        elif reached - KEY_SCOPED:
            return [], (f"{action.shown} also grants {describe(reached - KEY_SCOPED, 3)}, "
                        'which need "*": split the statement by hand')
    return keep, ""


def _reaching(policy: Policy, reaches_any_account: Callable[[arn.Resource], bool],
              ) -> Iterator[tuple[Statement, frozenset[str], Value, Perimeter | None]]:
    """Allows of key-scoped actions on resources that reach keys in any account, with their
    resource perimeter.  Pinned to accounts (the caller's own, or named ones), a statement is
    the same as arn:aws:kms:*:ACCOUNT:key/*, and is left out: KMS101 and KMS104 agree."""
    for statement in _allows(policy):
        relevant = granted_actions(statement) & KEY_SCOPED
        if not relevant:
            continue
        for value, resource in resources(statement, policy):
            if not reaches_any_account(resource):
                continue
            perimeter = resource_perimeter(statement, policy, relevant, value.text or "*")
            if perimeter is None or perimeter.verdict == OTHER:
                yield statement, relevant, value, perimeter


_RESOURCE_KINDS = (IDENTITY, KEY, ENDPOINT, KEY_OR_ENDPOINT, GUARDRAIL)


@rule("KMS102", "key-id-in-resource", ERROR,
      "a Resource entry is a key id, a malformed KMS ARN, or a reference that returns a key id",
      _RESOURCE_KINDS,
      RuleDoc(
          finds="""
              A "Resource" entry that is a bare key id (a UUID or mrk- id), a KMS ARN that
              matches nothing (no key/ part, an empty account or region), or a template
              reference that returns a key id: a CloudFormation Ref to an AWS::KMS::Key or
              Fn::GetAtt [Key, KeyId], a Terraform .key_id or .id of a key, or a key ARN passed
              as the KeyId of a SAM KMS policy template.  Also a KMS ARN holding a policy
              variable (${aws:PrincipalTag/KmsKeyId}) in a policy without "Version":
              "2012-10-17": there the variable is literal text, which no ARN contains.
          """,
          why="""
              IAM compares Resource with ARNs.  A key id never equals an ARN, so the statement
              grants (or denies) nothing on that key.  The permission the author meant is
              missing, and someone usually "fixes" it later with "Resource": "*".
          """,
          bad="""
              "Resource": "1234abcd-12ab-34cd-56ef-1234567890ab"
              "Resource": {"Ref": "DataKey"}                      (CloudFormation)
              resources = [aws_kms_key.data.key_id]               (Terraform)
          """,
          good=f"""
              "Resource": "{_KEY_ARN_EXAMPLE}"
              "Resource": {{"Fn::GetAtt": ["DataKey", "Arn"]}}
              resources = [aws_kms_key.data.arn]
          """,
          guidance='Best practices for IAM policies: "Specify KMS keys in an IAM policy" (a key '
                   "ID cannot represent a KMS key in the Resource element).",
      ))
def key_id_in_resource(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        verb = "denies" if statement.is_deny else "grants"
        for value, resource in resources(statement, policy):
            # A fragment's Version is unseen: only a whole policy says its variables are text.
            variable = _LITERAL_VARIABLE.search(value.text or "") \
                if policy.version != "2012-10-17" and policy.complete else None
            if variable and resource.kind not in (arn.OTHER, arn.OTHER_ARN, arn.UNKNOWN):
                yield Report(f"{value.shown}: {variable.group()} is literal text here, not a "
                             'policy variable, because the policy has no "Version": '
                             '"2012-10-17"; IAM matches nothing with it: the statement '
                             f'{verb} nothing on it; add "Version": "2012-10-17"', value.where)
            elif resource.kind == arn.KEY_ID:
                fix = value.fix.title if value.fix else \
                    "the key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID)"
                yield Report(f"{value.shown} is a key id, which IAM never matches: the "
                             f"statement {verb} nothing on that key; use {fix}", value.where,
                             fix=value.fix)
            elif resource.kind == arn.MALFORMED:
                fix = value.fix.title if value.fix else "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID"
                yield Report(f"{value.shown} is not a valid KMS key ARN ({_malformed(resource)})"
                             f": IAM matches nothing with it; use {fix}", value.where)


_LITERAL_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _malformed(resource: arn.Resource) -> str:
    if resource.account == "" and resource.region != "":
        return "the account is empty"
    if resource.region == "" and resource.resource:
        return "the region is empty"
    if resource.resource == "key/":
        return "the key id is empty"
    if resource.resource.startswith("key/") and ":" in resource.resource:
        return "a key ARN where the key id belongs"
    return "no key/ or alias/ part"


@rule("KMS103", "alias-as-key", ERROR,
      "a Resource entry is an alias name, or an alias ARN in a statement with no alias operation",
      _RESOURCE_KINDS,
      RuleDoc(
          finds="""
              A "Resource" entry that is an alias name (alias/...), which matches nothing in any
              statement, or an alias ARN (or a reference that returns one) in a statement that
              grants no alias operation (CreateAlias, UpdateAlias, DeleteAlias).
          """,
          why="""
              An alias ARN in Resource applies to the alias itself, never to the key behind it:
              kms:Decrypt on arn:...:alias/app grants nothing on the key.  Authors who meant
              "the key this alias points to" end up with a permission that does nothing.
          """,
          bad="""
              {"Effect": "Allow", "Action": "kms:Decrypt",
               "Resource": "arn:aws:kms:us-east-1:111122223333:alias/app"}
          """,
          good="""
              {"Effect": "Allow", "Action": "kms:Decrypt",
               "Resource": "arn:aws:kms:*:111122223333:key/*",
               "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app"}}}
          """,
          guidance='Best practices for IAM policies: "Specify KMS keys in an IAM policy" (an '
                   "alias ARN applies to the alias, not to the KMS key); Controlling access to "
                   "aliases.",
      ))
def alias_as_key(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        alias_ops = bool(granted_actions(statement) & ALIAS_OPERATIONS)
        for value, resource in resources(statement, policy):
            if resource.kind == arn.ALIAS_NAME and value.fix is not None:
                yield Report(f"{value.shown} is the alias {value.text}, which IAM never "
                             f"matches where a key belongs; use {value.fix.title}", value.where,
                             fix=value.fix)
            elif resource.kind == arn.ALIAS_NAME:
                yield Report(f"{value.shown} is an alias name, which IAM never matches in "
                             "Resource; use the key ARN, or an account-pinned key pattern such "
                             "as arn:aws:kms:*:ACCOUNT:key/* with ForAnyValue:StringEquals on "
                             "kms:ResourceAliases", value.where)
            elif resource.kind == arn.ALIAS_ARN and not alias_ops:
                use = f"use {value.fix.title}, the key behind it" if value.fix else \
                    "use the key ARN"
                yield Report(f"{value.shown} is an alias ARN: it applies to the alias, never to "
                             f"the key behind it; {use}, or arn:aws:kms:*:ACCOUNT:key/* "
                             "with ForAnyValue:StringEquals on kms:ResourceAliases (alias names)",
                             value.where, fix=value.fix)


@rule("KMS104", "any-account-key-pattern", ERROR,
      "a KMS ARN pattern with a wildcard account allows key-scoped actions (severity as KMS101)",
      (IDENTITY,),
      RuleDoc(
          finds="""
              A KMS ARN pattern whose account is a wildcard, or that ends in * before the
              account (arn:aws:kms:*:*:key/*, arn:aws:kms:us-east-1:*:*, arn:aws:kms:*), in an
              Allow that grants actions on keys, without a resource perimeter.  Severity as for
              KMS101, and the same resource perimeter verdict: a statement pinned to the
              caller's own account or organization, or to named accounts, is not reported; one
              pinned to an organization is a warning.  A pattern fixed to one account
              (arn:aws:kms:*:111122223333:key/*) is what AWS recommends when listing keys is
              impractical and is not reported.  Only a wildcard key-id part is reported: a
              specific key id, mrk- id or policy variable (key/${aws:PrincipalTag/KmsKeyId})
              names one key, even with a wildcard account or Region.
          """,
          why="""
              A wildcard account reaches the same keys as "Resource": "*": every key in every
              account whose key policy admits this account.
          """,
          bad='"Resource": "arn:aws:kms:*:*:key/*"',
          good=f'"Resource": "{_ACCOUNT_PATTERN}"',
          guidance='Best practices for IAM policies: "Specify KMS keys in an IAM policy" (limit '
                   "access to KMS keys in a trusted account).",
          suppress="As for KMS101: a resource perimeter condition, per-file-ignores, or "
                   "template Metadata.",
      ))
def any_account_key_pattern(policy: Policy, context: Context) -> Iterator[Report]:
    # A specific key id (or a policy variable) names one key, whatever the account says.
    for statement, relevant, value, perimeter in _reaching(
            policy, lambda r: r.kind == arn.KEY_PATTERN and r.any_account and arn.wild_key_part(r)):
        acts = explain_actions(action_grants(statement), relevant)
        if perimeter is not None:
            message = (f"{acts} on {value.shown}: the wildcard account reaches every KMS key "
                       f"that {describe_perimeter(perimeter)} admits, not only the keys this "
                       "principal needs; list the key ARNs, or fix the account "
                       "(arn:aws:kms:*:ACCOUNT:key/*)")
        else:
            message = (f"{acts} on {value.shown}: the wildcard account reaches KMS keys in "
                       "every account whose key policy lets this account use them; fix the "
                       "account (arn:aws:kms:*:ACCOUNT:key/*) or list the key ARNs")
        yield Report(message, value.where, _reach_severity(relevant, perimeter is not None),
                     _narrowing(policy, statement, value, context))


_ACCOUNT_IN_ARN = re.compile(r"arn:[^:]*:(?:iam|sts)::(\d{12}):")


@rule("KMS105", "untrusted-account", WARNING,
      "a key ARN or key policy principal names an account that is not trusted (only with "
      "trusted accounts configured)",
      (IDENTITY, KEY, KEY_OR_ENDPOINT, ENDPOINT),
      RuleDoc(
          finds="""
              Only when trusted accounts are configured (--trusted-account or
              trusted-accounts in the configuration): a KMS key or alias ARN, or an
              account-bound pattern, in an Allow's "Resource" whose account is not in the list,
              and an account named in a key policy's Principal (root ARN, bare account id,
              role or user ARN) that is not in the list.  The account that deploys a template
              (AWS::AccountId, aws_caller_identity) is always trusted.
          """,
          why="""
              A policy that uses another account's key sends your data's protection to that
              account: whoever controls the key controls decryption.  A key policy that names
              another account opens your key to it.
          """,
          bad='"Resource": "arn:aws:kms:us-east-1:444455556666:key/*"   (444455556666 not trusted)',
          good='"Resource": "arn:aws:kms:us-east-1:111122223333:key/*"   (--trusted-account '
               "111122223333)",
          guidance='Best practices for IAM policies: "Specify KMS keys in an IAM policy" (limit '
                   "access to KMS keys in a trusted AWS account).",
      ))
def untrusted_account(policy: Policy, context: Context) -> Iterator[Report]:
    trusted = context.trusted_accounts
    if not trusted:
        return
    listed = ", ".join(sorted(trusted))
    for statement in _allows(policy):
        for value, resource in resources(statement, policy):
            account = resource.named_account
            if account and account not in trusted and resource.kind in (
                    arn.KEY_ARN, arn.KEY_PATTERN, arn.ALIAS_ARN):
                yield Report(f"{value.shown} is a key in account {account}, which is not a "
                             f"trusted account ({listed})", value.where)
        if policy.kind not in (KEY, KEY_OR_ENDPOINT):
            continue
        for principal in statement.principals or ():
            text = principal.value.text
            if principal.type != "AWS" or text is None:
                continue
            match = _ACCOUNT_IN_ARN.match(text)
            account = match.group(1) if match else text if re.fullmatch(r"\d{12}", text) else None
            if account and account not in trusted:
                yield Report(f"the key policy lets account {account} in ({principal.value.shown})"
                             f", which is not a trusted account ({listed})",
                             principal.value.where)
    if policy.kind in (IDENTITY, ENDPOINT):
        for value in perimeter_accounts(policy):
            account = (value.text or "").strip()
            if account not in trusted:
                yield Report(f"the resource perimeter admits keys in account {account}, which is "
                             f"not a trusted account ({listed})", value.where)


def _is_wildcard_statement(statement: Statement) -> bool:
    return any(g.actions == ALL for g in action_grants(statement))


@rule("KMS106", "sensitive-in-identity-policy", WARNING,
      "an identity policy grants kms:PutKeyPolicy or kms:ScheduleKeyDeletion (or a configured "
      "sensitive action)", (IDENTITY,),
      RuleDoc(
          finds="""
              An identity policy that allows a sensitive action, kms:PutKeyPolicy or
              kms:ScheduleKeyDeletion (plus any listed in sensitive-actions), directly or
              through a wildcard such as kms:Put* or kms:Schedule*.  Statements that grant every
              KMS action are reported by KMS108 instead.
          """,
          why="""
              Changing a key policy or deleting a key decides who can ever read the data
              protected by the key; a deleted key makes its ciphertexts unrecoverable.  Such
              permissions belong in the key policy of each key, where they affect that key
              alone, not in an IAM policy that may reach many keys.
          """,
          bad='{"Effect": "Allow", "Action": "kms:ScheduleKeyDeletion", '
              '"Resource": "arn:aws:kms:*:111122223333:key/*"}',
          good="""
              In the key policy of the one key:
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
               "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
          """,
          guidance='Best practices for IAM policies: "Use key policies".',
      ))
def sensitive_in_identity_policy(policy: Policy, context: Context) -> Iterator[Report]:
    sensitive = frozenset(c for c in (canonical(a.split(":")[-1]) for a in context.sensitive_actions)
                          if c)
    for statement in _allows_on_keys(policy):
        if _is_wildcard_statement(statement):
            continue
        for grant in action_grants(statement):
            found = grant.actions & sensitive
            if found:
                via = "" if grant.literal else f" through {grant.written}"
                yield Report(f"{describe(found)} granted in an identity policy{via}; grant it in "
                             "the key policy of each key that needs it", grant.where)


@rule("KMS107", "create-key-unconstrained", WARNING,
      "an identity policy grants kms:CreateKey without a condition", (IDENTITY,),
      RuleDoc(
          finds="""
              An identity policy statement that allows kms:CreateKey (directly or through a
              wildcard such as kms:Create*) with no Condition, at the Action entry that grants
              it.  Statements that grant every KMS action are reported by KMS108 instead.
          """,
          why="""
              Whoever creates a KMS key writes its key policy, and so can give themselves and
              others any permission on it.  Limit who may create keys, and which keys, with
              conditions such as kms:KeySpec, kms:KeyUsage, kms:KeyOrigin or kms:MultiRegion.
          """,
          bad='{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}',
          good="""
              {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*",
               "Condition": {"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT",
                                              "kms:KeyUsage": "ENCRYPT_DECRYPT"}}}
          """,
          guidance='Best practices for IAM policies: "Limit CreateKey permission".',
      ))
def create_key_unconstrained(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in _allows(policy):
        if statement.conditions or _is_wildcard_statement(statement):
            continue
        # On anything but "*" CreateKey is never allowed (KMS110 says so): nothing to constrain.
        kinds = [r.kind for _, r in resources(statement, policy)]
        if statement.resources is not None and not any(k in (arn.STAR, arn.UNKNOWN) for k in kinds):
            continue
        for grant in action_grants(statement):
            if "CreateKey" in grant.actions:
                via = "" if grant.literal else f" (through {grant.written})"
                yield Report(f"kms:CreateKey is granted without a condition{via}: whoever creates "
                             "a key writes its key policy; limit it with kms:KeySpec, "
                             "kms:KeyUsage, kms:KeyOrigin or kms:MultiRegion", grant.where)
                break


@rule("KMS108", "wildcard-kms-action", WARNING,
      "an identity policy grants kms:* or * (every KMS action)", (IDENTITY,),
      RuleDoc(
          finds="""
              An identity policy statement that allows every KMS action: "kms:*", "*", or a
              pattern that matches them all (an Allow with NotAction is reported by KMS109).
          """,
          why="""
              Every KMS action includes deleting keys, changing key policies and creating
              grants for other principals.  Least privilege: list the actions the principal
              needs.
          """,
          bad='{"Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:*:111122223333:key/*"}',
          good='{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], '
               '"Resource": "arn:aws:kms:*:111122223333:key/*"}',
          guidance="Best practices for IAM policies: the least privileged principle.",
          suppress="Administrator roles that must hold every action: per-file-ignores, or "
                   "template Metadata with a reason.",
      ))
def wildcard_kms_action(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in _allows_on_keys(policy):
        for grant in action_grants(statement):
            # An Allow with NotAction that leaves every action is KMS109's finding, at the same key.
            if grant.actions == ALL and grant.value is not None:
                yield Report(f"{grant.written} grants every KMS action, key deletion and key "
                             "policy changes included; list the KMS actions needed", grant.where)
                break


@rule("KMS109", "allow-with-not", ERROR,
      "an Allow uses NotAction or NotResource and so grants KMS actions or keys by exclusion",
      (IDENTITY, KEY, KEY_OR_ENDPOINT, ENDPOINT),
      RuleDoc(
          finds="""
              An Allow statement that uses "NotAction" while KMS actions remain granted, or
              "NotResource" while it grants KMS actions and does not exclude KMS keys.
          """,
          why="""
              An Allow with NotAction grants everything not listed, including every KMS action
              AWS adds later; an Allow with NotResource grants on every resource not listed, keys
              in other accounts included.  Neither says what is granted.
          """,
          bad='{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}',
          good='{"Effect": "Allow", "Action": ["kms:Decrypt"], '
               f'"Resource": "{_KEY_ARN_EXAMPLE}"}}',
          guidance="Best practices for IAM policies: the least privileged principle; IAM User "
                   "Guide: NotAction and NotResource with Allow.",
      ))
def allow_with_not(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in _allows_on_keys(policy):
        granted = granted_actions(statement)
        left_over = [g.actions for g in action_grants(statement) if g.value is None and g.actions]
        if left_over:
            left = "every KMS action remains" if left_over[0] == ALL else \
                f"{describe(left_over[0])} remain{'s' if len(left_over[0]) == 1 else ''}"
            yield Report(f'"NotAction" grants by exclusion: {left} allowed; '
                         '"Action" should list what is granted', statement.key_where("NotAction"))
        if statement.not_resources is not None and granted & KEY_SCOPED \
                and not any(_covers_all_keys(v.text) for v in statement.not_resources):
            yield Report(f'"NotResource" grants {describe(granted & KEY_SCOPED)} on every KMS key '
                         'not listed, in any account; "Resource" should list the keys',
                         statement.key_where("NotResource"))


def _covers_all_keys(text: str | None) -> bool:
    if text is None:
        return True  # unknown: no finding
    resource = arn.classify(text)
    return resource.kind == arn.STAR or (resource.kind == arn.KEY_PATTERN and resource.any_account
                                         and resource.resource in ("*", "key/*"))


@rule("KMS110", "star-only-action-scoped", WARNING,
      'a star-only action (CreateKey, ListKeys, ...) is granted only on specific resources, so '
      "it does nothing", (IDENTITY,),
      RuleDoc(
          finds="""
              An action that accepts no resource but "*" (kms:CreateKey, kms:GenerateRandom,
              kms:ListAliases, kms:ListKeys, the custom key store actions), named literally in
              an Allow whose Resource lists only specific resources.  kms:ListRetirableGrants is
              left out: the service reference gives it no resource type, but it reaches only the
              caller's own account.
          """,
          why="""
              IAM never matches these actions against a key or alias ARN, so the permission
              does nothing, and the call fails with AccessDenied.
          """,
          bad=f'{{"Effect": "Allow", "Action": ["kms:ListKeys", "kms:Decrypt"], '
              f'"Resource": "{_ACCOUNT_PATTERN}"}}',
          good="""
              {"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"},
              {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:111122223333:key/*"}
          """,
          guidance='Best practices for IAM policies: "When to use "Resource": "*"".',
      ))
def star_only_action_scoped(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in _allows(policy):
        if statement.resources is None:
            continue
        classes = [r.kind for _, r in resources(statement, policy)]
        if not classes or any(k in (arn.STAR, arn.UNKNOWN) for k in classes):
            continue
        for grant in action_grants(statement):
            if not grant.literal or grant.value is None:
                continue
            found = grant.actions & (STAR_ONLY - {"ListRetirableGrants"})
            if found:
                yield Report(f"{grant.written} accepts only \"Resource\": \"*\"; on the resources "
                             "listed here it is never allowed; move it to a statement with "
                             '"Resource": "*"', grant.where)


@rule("KMS111", "unknown-kms-action", ERROR,
      "a kms: action or pattern matches no KMS action (error for a near-typo, warning otherwise)",
      POLICY_KINDS,
      RuleDoc(
          finds="""
              A "kms:" entry in Action or NotAction that matches no KMS action.  Error when it is
              a near-typo of a known action (kms:Decrpyt) or the start of a few (kms:ReEncrypt:
              kms:ReEncryptFrom and kms:ReEncryptTo, or kms:ReEncrypt*); warning otherwise,
              since AWS may have added the action after the checker's action table was built.
          """,
          why="""
              IAM accepts unknown action names silently; the statement simply grants (or denies)
              nothing for it.  A typo in a Deny is worse: the guardrail is not there.
          """,
          bad='"Action": "kms:Decrpyt"',
          good='"Action": "kms:Decrypt"',
          guidance="Service Authorization Reference: actions defined by AWS Key Management "
                   "Service.",
      ))
def unknown_kms_action(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        for value in (statement.actions or ()) + (statement.not_actions or ()):
            text = value.text
            if text is None or not is_kms_action(text) or expand(text):
                continue
            prefix, _, name = text.partition(":")
            longer = _completions(name)
            close = [] if has_wildcard(name) else closest(name)
            if longer:
                yield Report(f"{value.shown} is not a KMS action: did you mean "
                             f"{' or '.join('kms:' + a for a in longer)} (or kms:{name}*)?",
                             value.where, ERROR)
            elif close:
                # Only one close action is one right answer; with several, the author chooses.
                fix = Fix(f"kms:{close[0]}", (TextEdit(value.where, f"{prefix}:{close[0]}", text),)) \
                    if len(close) == 1 else None
                yield Report(f"{value.shown} is not a KMS action: did you mean "
                             f"{' or '.join('kms:' + c for c in close)}?", value.where, ERROR, fix)
            else:
                yield Report(f"{value.shown} matches no KMS action in the action table of "
                             f"version {TABLE_VERSION}", value.where, WARNING)


def _completions(name: str) -> list[str]:
    """The few actions a truncated name starts (kms:ReEncrypt: ReEncryptFrom, ReEncryptTo)."""
    if has_wildcard(name) or not name:
        return []
    found = sorted(a for a in ALL if a.lower().startswith(name.lower()))
    return found if 0 < len(found) <= 4 else []


@rule("KMS112", "alias-operation-without-key", NOTE,
      "alias operations are granted on alias ARNs but on no key", (IDENTITY,),
      RuleDoc(
          finds="""
              A complete identity policy that grants an alias operation (CreateAlias,
              UpdateAlias, DeleteAlias) on alias ARNs, but on no key ARN and not on "*".
          """,
          why="""
              An alias operation needs permission on the alias and on the key it points to.
              Without the key, the call fails unless the key policy grants it.
          """,
          bad='{"Effect": "Allow", "Action": "kms:CreateAlias", '
              '"Resource": "arn:aws:kms:us-east-1:111122223333:alias/app-*"}',
          good="""
              {"Effect": "Allow", "Action": "kms:CreateAlias",
               "Resource": ["arn:aws:kms:us-east-1:111122223333:alias/app-*",
                            "arn:aws:kms:us-east-1:111122223333:key/*"]}
          """,
          guidance='Best practices for IAM policies: "When to use "Resource": "*"" (alias '
                   "operations); Controlling access to aliases.",
      ))
def alias_operation_without_key(policy: Policy, context: Context) -> Iterator[Report]:
    if not policy.complete:
        return
    for operation in sorted(ALIAS_OPERATIONS):
        granting = [s for s in _allows(policy) if operation in granted_actions(s)]
        entries = [(v, r) for s in granting for v, r in resources(s, policy)]
        aliases = [v for v, r in entries if r.kind == arn.ALIAS_ARN]
        if not aliases or any(r.kind in (arn.KEY_ARN, arn.KEY_PATTERN, arn.STAR, arn.UNKNOWN,
                                          arn.OTHER) for _, r in entries):
            continue
        yield Report(f"kms:{operation} is granted on {aliases[0].shown} but on no key: the call "
                     "also needs permission on the key the alias points to (add its key ARN, "
                     "unless the key policy grants it)", aliases[0].where)
        return


_GRANT_CONDITIONS = frozenset({
    "kms:grantoperations", "kms:granteeprincipal", "kms:granteeserviceprincipal",
    "kms:retiringprincipal", "kms:retiringserviceprincipal", "kms:grantconstrainttype",
    "kms:grantconstraintsourcearn", "kms:viaservice", "kms:encryptioncontextkeys",
})


@rule("KMS113", "create-grant-unconstrained", NOTE,
      "kms:CreateGrant is allowed without a grant condition", (IDENTITY, KEY, KEY_OR_ENDPOINT),
      RuleDoc(
          finds="""
              An Allow in an identity or key policy that names kms:CreateGrant literally, with
              no condition that limits the grants: kms:GrantIsForAWSResource = true,
              kms:GrantOperations, kms:GranteePrincipal, kms:GranteeServicePrincipal,
              kms:RetiringPrincipal, kms:RetiringServicePrincipal, kms:GrantConstraintType,
              kms:GrantConstraintSourceArn, kms:ViaService, kms:EncryptionContext:* or
              kms:EncryptionContextKeys.
          """,
          why="""
              A grant hands the key's permissions to another principal, possibly in another
              account, outside the key policy.  An unconstrained CreateGrant lets the holder
              delegate any of its permissions to anyone.
          """,
          bad='{"Effect": "Allow", "Action": "kms:CreateGrant", '
              '"Resource": "arn:aws:kms:*:111122223333:key/*"}',
          good="""
              {"Effect": "Allow", "Action": "kms:CreateGrant",
               "Resource": "arn:aws:kms:*:111122223333:key/*",
               "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
          """,
          guidance="AWS KMS Developer Guide: Grants in AWS KMS (best practices for grants); "
                   "kms:GrantIsForAWSResource.",
      ))
def create_grant_unconstrained(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in _allows_on_keys(policy):
        if _grant_constrained(statement):
            continue
        for grant in action_grants(statement):
            if grant.literal and grant.actions == frozenset({"CreateGrant"}):
                yield Report(f"{grant.written} is allowed without a grant condition; limit it "
                             "with kms:GrantIsForAWSResource, kms:GrantOperations or "
                             "kms:GranteePrincipal", grant.where)


def _grant_constrained(statement: Statement) -> bool:
    keys = condition_keys(statement)
    if keys & _GRANT_CONDITIONS or any(k.startswith("kms:encryptioncontext:") for k in keys):
        return True
    for condition in statement.conditions:
        if condition.key.lower() == "kms:grantisforawsresource" and any(
                v.text is None or v.text.lower() == "true" for v in condition.values):
            return True
    return False
