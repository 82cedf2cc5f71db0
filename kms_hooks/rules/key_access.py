"""Who a key policy lets in without an IAM grant: the whole account as administrator (KMS204),
and AWS services acting for anyone (KMS205)."""
from __future__ import annotations


from kms_hooks.kms.facts import ALL, CRYPTOGRAPHIC, GRANT_OPERATIONS, describe
from kms_hooks.model import KEY, WARNING, Condition, Policy, Statement
from kms_hooks.rules import Context, Report, RuleDoc, rule
from kms_hooks.rules.common import granted_actions, operator, pins
from kms_hooks.rules.key import is_everyone, pins_caller

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

_ACCOUNT_PINS = frozenset({"kms:calleraccount", "aws:principalaccount"})
# Using and describing the key: what AWS managed keys allow through kms:ViaService, and the
# read-only calls of their "direct access to key metadata" statement.
_USE_AND_DESCRIBE = frozenset(
    (CRYPTOGRAPHIC - {"GenerateRandom"})
    | {a for a in ALL if a.startswith(("Describe", "Get", "List"))})


def _grant_for_aws_resource(statement: Statement) -> bool:
    return any(c.key.lower() == "kms:grantisforawsresource" and any(
        v.text is None or v.text.lower() == "true" for v in c.values)
        for c in statement.conditions)


@rule("KMS204", "account-wide-key-administration", WARNING,
      'a key policy Allow to "*" limited only to one account grants key management, policy or '
      "grant-creation actions", (KEY,),
      RuleDoc(
          finds="""
              An Allow in a key policy whose principal is "*" (or {"AWS": "*"}) and whose only
              limit on the caller is its account (kms:CallerAccount or aws:PrincipalAccount),
              and that grants more than using and describing the key: key management
              (kms:PutKeyPolicy, kms:ScheduleKeyDeletion, kms:DisableKey, kms:Update*, ...),
              kms:CreateGrant without kms:GrantIsForAWSResource, kms:RevokeGrant, tagging.
              The use-and-describe set is the one AWS managed keys allow through
              kms:ViaService: cryptographic operations and Describe/Get/List calls.  A
              statement that also carries kms:ViaService is the AWS managed key pattern and is
              not reported.
          """,
          why="""
              "*" limited to an account is every user and role of that account, each of them
              holding these permissions with no IAM policy needed.  The default key policy
              gives the account principal (arn:aws:iam::ACCOUNT:root) kms:*, which is different:
              it delegates to IAM, so only principals whose IAM policies allow an action may
              call it.  With "*" and kms:CallerAccount, a role made for a Lambda function can
              change the key policy or schedule the key's deletion.
          """,
          bad="""
              {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
               "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}
          """,
          good="""
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
               "Action": "kms:*", "Resource": "*"}
          """,
          guidance='AWS KMS Developer Guide: "Least-privilege permissions" and "Default key '
                   'policy" (allows access to the AWS account and enables IAM policies).',
          suppress="A key whose every user is meant to administer it: the rule id in the key's "
                   "suppressions, with the reason.",
      ))
def account_wide_key_administration(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        if not statement.is_allow:
            continue
        everyone = [p for p in statement.principals or () if is_everyone(p)]
        if not everyone:
            continue
        keys = {c.key.lower() for c in statement.conditions}
        pinned = {c.key.lower() for c in statement.conditions if pins_caller(c, policy)}
        if not pinned or not pinned <= _ACCOUNT_PINS or "kms:viaservice" in keys:
            continue
        beyond = granted_actions(statement) - _USE_AND_DESCRIBE
        if _grant_for_aws_resource(statement):
            beyond -= {"CreateGrant"}
        if not beyond:
            continue
        how = " and ".join(sorted(c.key for c in statement.conditions
                                  if c.key.lower() in pinned))
        yield Report(f'Principal "*" limited only to the account ({how}) is allowed '
                     f"{describe(frozenset(beyond), 3)}: every user and role of that account "
                     "gets them with no IAM grant; give them to the account principal "
                     "(arn:aws:iam::ACCOUNT:root), so IAM policies decide, or to named "
                     "administrator roles", everyone[0].value.where)


# Conditions that tie a service's call to the resource or account it acts for.
_SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid",
                          "aws:sourceorgpaths"})
_SERVICE_USE = frozenset((CRYPTOGRAPHIC - {"GenerateRandom"}) | (GRANT_OPERATIONS - {"ListGrants"}))


def _ties_source(condition: Condition) -> bool:
    key = condition.key.lower()
    if pins(condition, _SOURCE_KEYS, frozenset({"aws:sourceorgpaths"})):
        return True
    op = operator(condition.operator)
    return key.startswith("kms:encryptioncontext:") and op.base in (
        "stringequals", "stringlike", "arnequals", "arnlike", "stringequalsignorecase") \
        and not op.if_exists and bool(condition.values)


@rule("KMS205", "service-principal-without-source", WARNING,
      "a key policy allows a service principal cryptographic or grant actions with no source "
      "condition (confused deputy)", (KEY,),
      RuleDoc(
          finds="""
              An Allow in a key policy to a service principal (a Service such as
              logs.amazonaws.com) that grants cryptographic operations (Encrypt, Decrypt,
              GenerateDataKey*, Sign, ...) or grant operations (CreateGrant, RetireGrant,
              RevokeGrant), with none of aws:SourceArn, aws:SourceAccount, aws:SourceOrgID,
              aws:SourceOrgPaths or a kms:EncryptionContext:* condition, and not the AWS managed
              key pattern (kms:ViaService with kms:CallerAccount).
          """,
          why="""
              A service principal is the service acting for any of its customers.  Without a
              condition on the source (the resource or account the service acts for), a
              customer in another account can point the same service at this key, and the key
              policy lets the service use it on their behalf: the confused deputy problem.
          """,
          bad="""
              {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
               "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*"}
          """,
          good="""
              {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
               "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*",
               "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                   "arn:aws:logs:us-east-1:111122223333:log-group:*"}}}
          """,
          guidance='AWS KMS Developer Guide: "Least-privilege permissions" (use encryption '
                   "context and aws:SourceArn / aws:SourceAccount conditions for service "
                   'principals); IAM User Guide: "The confused deputy problem".',
      ))
def service_principal_without_source(policy: Policy, context: Context) -> Iterator[Report]:
    for statement in policy.statements or ():
        if not statement.is_allow:
            continue
        services = [p for p in statement.principals or ()
                    if p.type == "Service" and p.value.text is not None
                    and p.value.text.lower().endswith(".amazonaws.com")]
        if not services:
            continue
        keys = {c.key.lower() for c in statement.conditions}
        if any(_ties_source(c) for c in statement.conditions) \
                or {"kms:viaservice", "kms:calleraccount"} <= keys:
            continue
        used = granted_actions(statement) & _SERVICE_USE
        if not used:
            continue
        named = services[0].value.shown + (f" (+{len(services) - 1} more)"
                                           if len(services) > 1 else "")
        yield Report(f"{named} {'is' if len(services) == 1 else 'are'} allowed "
                     f"{describe(frozenset(used), 3)} with no aws:SourceArn, aws:SourceAccount, "
                     "aws:SourceOrgID or kms:EncryptionContext condition: the service may use "
                     "this key for any of its customers (confused deputy); add a condition on "
                     "the source account or resource", services[0].value.where)
