"""Rules for key policies and the keys that carry them."""
from __future__ import annotations

import re

from kms_hooks.kms.facts import ALL
from kms_hooks.model import (
    ENDPOINT,
    KEY,
    KEY_OR_ENDPOINT,
    MALFORMED_PRINCIPAL,
    SPECIFIC,
    THIS_ACCOUNT,
    WARNING,
    ERROR,
    Condition,
    Policy,
    PrincipalEntry,
    Statement,
)
from kms_hooks.rules import Context, Report, RuleDoc, rule
from kms_hooks.rules.common import (
    condition_keys,
    for_aws_services,
    granted_actions,
    kms_endpoint,
    only_wildcards,
    operator,
    pins,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

_PIN_KEYS = frozenset({
    "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn",
    "aws:userid", "kms:calleraccount", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
    "aws:sourceorgpaths",
})
_MULTIVALUED_PINS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc", "aws:sourceip"})


def is_everyone(principal: PrincipalEntry) -> bool:
    return principal.value.text == "*" and principal.type in ("*", "AWS")


def _network_limited(statement: Statement) -> bool:
    return any(c.key.lower() in _NETWORK_KEYS or c.key.lower().startswith("aws:vpce")
               for c in statement.conditions)


@rule("KMS201", "public-key-policy", ERROR,
      'an Allow has Principal "*" (or NotPrincipal) and no condition pins the caller (warning '
      "when only a network condition applies)", (KEY, KEY_OR_ENDPOINT, ENDPOINT),
      RuleDoc(
          finds="""
              An Allow in a key policy, or in the policy of an AWS KMS VPC endpoint, whose
              Principal is "*", {"AWS": "*"} or an AWS list containing "*", or that uses
              NotPrincipal, with no condition that pins the caller: a positive test
              (StringEquals, StringLike, ArnEquals, ArnLike; not IfExists, not ForAllValues) of aws:PrincipalAccount, aws:PrincipalOrgID,
              aws:PrincipalOrgPaths (with ForAnyValue), aws:PrincipalArn, aws:userid,
              kms:CallerAccount, aws:SourceAccount, aws:SourceArn, aws:SourceOrgID or
              aws:SourceOrgPaths, with a value that is not only wildcards.  Network conditions
              (aws:SourceVpce, aws:SourceVpc, aws:Vpce*, aws:SourceIp) lower it to a warning.
              kms:ViaService alone, kms:GrantIsForAWSResource, encryption context keys and
              aws:PrincipalIsAWSService do not pin the caller.  An ARN (aws:PrincipalArn,
              aws:SourceArn) pins only when its account field names an account: anyone can
              create a role called Admin, so arn:aws:iam::*:role/Admin pins nothing.
              aws:ResourceOrgID equal to ${aws:PrincipalOrgID} pins the caller to the key's own
              organization.  A Deny in the same policy, to everyone on "*", of the same actions,
              with StringNotEquals on aws:PrincipalOrgID, aws:PrincipalAccount or
              aws:PrincipalOrgPaths confines the Allow: no finding.  In an endpoint policy, the
              statement conditioned on aws:PrincipalIsAWSService = true is exempt, as for KMS311.
          """,
          why="""
              A key policy is the primary control over a KMS key.  "*" as principal lets any
              AWS principal, in any account, use the key for the allowed actions unless a
              condition narrows who the caller is.  The AWS managed key pattern
              (kms:ViaService with kms:CallerAccount) passes.  An endpoint policy grants nothing, but
              it is where a network's identity perimeter is drawn: with "*" unpinned, principals
              of any account can use KMS through this VPC's endpoint.  Endpoints of other
              services are not judged (their policies are not about KMS).
          """,
          bad="""
              {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
          """,
          good="""
              {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
          """,
          guidance="AWS KMS Developer Guide: Key policies in AWS KMS (Principal element; "
                   "allowing everyone); Best practices for IAM policies: \"Use key policies\".",
      ))
def public_key_policy(policy: Policy, context: Context) -> Iterator[Report]:
    if policy.kind == ENDPOINT and not kms_endpoint(policy):
        return
    for statement in policy.statements or ():
        if not statement.is_allow or (policy.kind == ENDPOINT and for_aws_services(statement)):
            continue
        if any(pins_caller(c, policy) for c in statement.conditions) \
                or _confined_by_deny(statement, policy):
            continue
        severity = WARNING if _network_limited(statement) else ERROR
        limit = " (only a network condition limits it)" if severity == WARNING else ""
        for principal in statement.principals or ():
            if is_everyone(principal):
                yield Report(f'Principal "*" lets any AWS principal, in any account, use this '
                             f"{_noun(policy)}{limit}; name the principals, or pin the caller "
                             "with aws:PrincipalAccount or aws:PrincipalOrgID", principal.value.where,
                             severity)
                break
        if statement.not_principals is not None:
            yield Report('"NotPrincipal" with Allow lets every principal not listed, in any '
                         f"account, use this {_noun(policy)}{limit}; name the principals in "
                         '"Principal"', statement.key_where("NotPrincipal"), severity)


_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_CONFINING_KEYS = frozenset({"aws:principalorgid", "aws:principalaccount", "aws:principalorgpaths"})


def pins_caller(condition: Condition, policy: Policy) -> bool:
    """Whether a condition pins who the caller is (or the organization it belongs to).

    An ARN value pins only when its account field names an account: anyone can create a role
    called Name, so arn:aws:iam::*:role/Name pins nothing.  aws:ResourceOrgID equal to
    ${aws:PrincipalOrgID} pins the caller to the key's own organization."""
    key = condition.key.lower()
    if key == "aws:resourceorgid":
        op = operator(condition.operator)
        return policy.version == "2012-10-17" and op.base in ("stringequals", "stringlike") \
            and not op.if_exists and op.qualifier == "" and bool(condition.values) and all(
                (v.text or "").strip().lower() == "${aws:principalorgid}" for v in condition.values)
    if not pins(condition, _PIN_KEYS, _MULTIVALUED_PINS):
        return False
    if key in _ARN_KEYS:
        return all(_names_an_account(v.text) for v in condition.values)
    return True


def _names_an_account(text: str | None) -> bool:
    if text is None:
        return True  # a template expression: one definite value
    parts = text.split(":", 5)
    if len(parts) < 6:
        return "*" not in text and "?" not in text
    return "*" not in parts[4] and "?" not in parts[4]


def _confined_by_deny(statement: Statement, policy: Policy) -> bool:
    """A Deny to everyone, on this key, of the same actions, unless the caller's organization or
    account is ours (StringNotEquals on aws:PrincipalOrgID, ...): the Allow is confined too."""
    actions = granted_actions(statement)
    for other in policy.statements or ():
        if not other.is_deny or not any(is_everyone(p) for p in other.principals or ()) \
                or not any(v.text == "*" for v in other.resources or ()) \
                or not actions <= granted_actions(other):
            continue
        for condition in other.conditions:
            op = operator(condition.operator)
            if condition.key.lower() in _CONFINING_KEYS and op.base in (
                    "stringnotequals", "stringnotlike") and not op.if_exists \
                    and condition.values and not any(only_wildcards(v) for v in condition.values):
                return True
    return False


def _noun(policy: Policy) -> str:
    return {KEY: "key", ENDPOINT: "endpoint"}.get(policy.kind, "key or endpoint")


_ROOT = re.compile(rf"arn:[^:]+:iam::([0-9]{{12}}|{THIS_ACCOUNT}|{SPECIFIC}):root")
_ACCOUNT_ID = re.compile(rf"[0-9]{{12}}|{THIS_ACCOUNT}")


def _is_account_principal(principal: PrincipalEntry) -> bool:
    text = principal.value.text
    if principal.type != "AWS" or text is None:
        return False
    return bool(_ROOT.fullmatch(text) or _ACCOUNT_ID.fullmatch(text))


def _looks_aws_managed(policy: Policy) -> bool:
    """AWS managed key policies: Allows conditioned on kms:ViaService with kms:CallerAccount,
    and at most the account's "direct access to key metadata" statement (the account principal,
    read-only calls and kms:RevokeGrant).  AWS writes and maintains them; lockout does not
    apply."""
    allows = [s for s in policy.statements or () if s.is_allow]
    via = [s for s in allows if {"kms:viaservice", "kms:calleraccount"} <= condition_keys(s)]
    return bool(via) and all(s in via or _metadata_access(s) for s in allows)


_METADATA_ACCESS = frozenset({"RevokeGrant"} | {a for a in ALL if a.startswith(
    ("Describe", "Get", "List"))})


def _metadata_access(statement: Statement) -> bool:
    principals = statement.principals or ()
    return bool(principals) and all(_is_account_principal(p) for p in principals) \
        and granted_actions(statement) <= _METADATA_ACCESS


@rule("KMS202", "key-policy-lockout", WARNING,
      "a complete key policy gives kms:PutKeyPolicy to no one, or only to IAM users and roles, "
      "not to the account", (KEY,),
      RuleDoc(
          finds="""
              A complete key policy whose source is known (a template KeyPolicy, a Terraform key
              policy, get-key-policy output, or a file configured as a key policy) in which no
              Allow grants kms:PutKeyPolicy (directly or by wildcard) to the key's account
              principal (arn:PARTITION:iam::ACCOUNT:root or the account id), or where an
              unconditional Deny takes it from everyone.  Fragments, absent policies and AWS
              managed key policies (kms:ViaService with kms:CallerAccount statements, and the
              account's read-only "direct access to key metadata" statement) are never
              reported.  Roles and users of the same template or module (!GetAtt Role.Arn,
              aws_iam_role.X.arn, aws_iam_user.X.arn) count as IAM users and roles; a principal
              that cannot be named here (an expression, a malformed entry) may be the account,
              and nothing is said.
          """,
          why="""
              If nobody may change the key policy, KMS rejects it (the lockout safety check)
              unless the check is bypassed, and a bypassed policy leaves the key unmanageable.
              If only IAM users or roles may change it and they are deleted, the key becomes
              unmanageable and only AWS Support can recover it.  Giving the account principal
              the permission lets IAM policies in the account manage the key.
          """,
          bad="""
              "Statement": [{"Effect": "Allow",
                             "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
                             "Action": ["kms:Decrypt", "kms:PutKeyPolicy"], "Resource": "*"}]
          """,
          good="""
              "Statement": [{"Effect": "Allow",
                             "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                             "Action": "kms:*", "Resource": "*"}, ...]
          """,
          guidance="AWS KMS Developer Guide: Default key policy (allows access to the AWS "
                   "account and enables IAM policies); PutKeyPolicy lockout safety check.",
      ))
def key_policy_lockout(policy: Policy, context: Context) -> Iterator[Report]:
    if not policy.complete or not policy.known_source or policy.statements is None:
        return
    if _looks_aws_managed(policy):
        return
    for statement in policy.statements:
        if statement.is_deny and not statement.conditions \
                and "PutKeyPolicy" in granted_actions(statement) \
                and any(p.value.text == "*" for p in statement.principals or ()):
            yield Report("this Deny takes kms:PutKeyPolicy from everyone, the account included: "
                         "KMS rejects the policy (lockout safety check) unless the check is "
                         "bypassed, and then nobody can change it again", statement.where)
            return
    holders: list[Statement] = []
    for statement in policy.statements:
        if statement.effect is None and not statement.problems or statement.is_allow and any(
                value.text is None for value in (*(statement.actions or ()),
                                                 *(statement.not_actions or ()))):
            return  # an effect or action that is not known here may give PutKeyPolicy
        if not statement.is_allow or "PutKeyPolicy" not in granted_actions(statement):
            continue
        entries = statement.principals or ()
        if statement.not_principals is not None or not entries or any(
                _is_account_principal(p) or is_everyone(p) or _unknown_principal(p)
                for p in entries):
            return  # the account holds it, or a principal not known here may be the account
        holders.append(statement)
    if not holders:
        yield Report("no statement allows kms:PutKeyPolicy to the account "
                     "(arn:aws:iam::ACCOUNT:root): KMS rejects this policy (lockout safety check) "
                     "unless the check is bypassed, and then nobody can change it",
                     policy.where)
        return
    who = {_principal_class(p) for s in holders for p in s.principals or ()}
    if who == {_IAM_IDENTITY}:
        yield Report("only IAM users or roles may change this key policy (kms:PutKeyPolicy): if "
                     "they are deleted the key becomes unmanageable and only AWS Support can "
                     "recover it; allow the account principal (arn:aws:iam::ACCOUNT:root) too",
                     holders[0].where)
    else:
        yield Report(f"only {' and '.join(sorted(who))} may change this key policy "
                     "(kms:PutKeyPolicy), not the account: IAM policies in the account cannot "
                     "manage the key, and if those principals go away only AWS Support can "
                     "recover it; allow the account principal (arn:aws:iam::ACCOUNT:root) too",
                     holders[0].where)


_IAM_IDENTITY = "IAM users or roles"
_IAM_IDENTITY_ARN = re.compile(
    rf"arn:[^:]+:(?:iam::([0-9]{{12}}|{THIS_ACCOUNT}|{SPECIFIC}):(?:role|user)/"
    rf"|sts::([0-9]{{12}}|{THIS_ACCOUNT}|{SPECIFIC}):assumed-role/).+")


def _unknown_principal(principal: PrincipalEntry) -> bool:
    """A principal this checker cannot name: an expression, a malformed entry, an AWS entry
    that is neither an account nor an IAM identity ARN."""
    text = principal.value.text
    if text is None or principal.type == MALFORMED_PRINCIPAL or text.strip(SPECIFIC) == "":
        return True
    return principal.type == "AWS" and not _IAM_IDENTITY_ARN.fullmatch(text)


def _principal_class(principal: PrincipalEntry) -> str:
    return {"AWS": _IAM_IDENTITY, "Service": "AWS services", "Federated": "federated users",
            "CanonicalUser": "canonical users"}.get(principal.type, "the principals listed")


@rule("KMS203", "lockout-check-bypassed", WARNING,
      "a key sets BypassPolicyLockoutSafetyCheck / bypass_policy_lockout_safety_check = true",
      (KEY,),
      RuleDoc(
          finds="""
              A KMS key, replica key, external key or Terraform aws_kms_key_policy that sets
              BypassPolicyLockoutSafetyCheck: true (CloudFormation) or
              bypass_policy_lockout_safety_check = true (Terraform).
          """,
          why="""
              The lockout safety check stops a key policy that would leave the key
              unmanageable.  AWS documents a narrow legitimate use and warns against setting the
              flag indiscriminately: a mistaken policy then locks everyone out of the key.
          """,
          bad="""
              Type: AWS::KMS::Key
              Properties:
                BypassPolicyLockoutSafetyCheck: true
          """,
          good="""
              Type: AWS::KMS::Key
              Properties:
                KeyPolicy: {...the account principal keeps kms:PutKeyPolicy...}
          """,
          guidance="AWS KMS API Reference: CreateKey and PutKeyPolicy, "
                   "BypassPolicyLockoutSafetyCheck.",
      ))
def lockout_check_bypassed(policy: Policy, context: Context) -> Iterator[Report]:
    flag = policy.attributes.get("bypass_policy_lockout_safety_check")
    if flag is not None and flag.text is not None and flag.text.lower() == "true":
        yield Report(f"{flag.shown}: the key policy lockout safety check is bypassed; a mistaken "
                     "key policy can then leave the key unmanageable; remove it unless the key "
                     "policy was reviewed for exactly this", flag.where, fix=flag.fix)
