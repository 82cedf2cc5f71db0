"""Rules for VPC endpoint policies of AWS KMS endpoints (AWS KMS guidance on VPC endpoints)."""
from __future__ import annotations


from kms_hooks.kms import arn
from kms_hooks.kms.facts import CROSS_ACCOUNT
from kms_hooks.model import ENDPOINT, WARNING, Policy
from kms_hooks.rules import Context, Report, RuleDoc, rule
from kms_hooks.rules.common import (
    action_grants,
    explain_actions,
    for_aws_services,
    granted_actions,
    kms_endpoint,
    resources,
)
from kms_hooks.rules.perimeter import resource_perimeter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

_LOGGING = ("and calls to other accounts' keys are not logged in this account's CloudTrail")


@rule("KMS311", "endpoint-any-key", WARNING,
      "a KMS VPC endpoint policy allows cross-account KMS actions on any account's keys, or "
      "the endpoint has no policy", (ENDPOINT,),
      RuleDoc(
          finds="""
              A VPC endpoint for AWS KMS (service com.amazonaws.REGION.kms or kms-fips, or a
              service not known here) whose policy has an Allow that covers KMS actions usable
              on other accounts' keys (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, Sign,
              Verify, CreateGrant, DescribeKey, ...) on "*" or on a KMS ARN pattern with a
              wildcard account, without a resource perimeter (a positive condition on
              aws:ResourceAccount, aws:ResourceOrgID or aws:ResourceOrgPaths, or a Deny with
              StringNotEquals on one of them).  Also a KMS endpoint with no policy at all:
              the default policy allows every call through it.  Statements conditioned on
              aws:PrincipalIsAWSService = true are not reported.
          """,
          why="""
              An endpoint policy grants nothing by itself: it limits what may pass through the
              endpoint.  One that allows any key lets principals in the VPC use keys of any
              account through it, including keys an attacker controls, which is a path for
              data to leave.  AWS CloudTrail in this account does not record operations on
              keys in other accounts, so such use is not seen here.
          """,
          bad="""
              resource "aws_vpc_endpoint" "kms" {
                service_name      = "com.amazonaws.us-east-1.kms"
                vpc_endpoint_type = "Interface"
                # no policy: every call, to any account's key, passes
              }
          """,
          good="""
              policy = jsonencode({
                Statement = [{
                  Effect    = "Allow", Principal = "*", Action = ["kms:Decrypt", "kms:Encrypt"],
                  Resource  = "*",
                  Condition = { StringEquals = { "aws:ResourceOrgID" = "o-a1b2c3d4e5" } }
                }]
              })
          """,
          guidance='AWS KMS Developer Guide: "Connect to AWS KMS through a VPC endpoint" '
                   '("Control access to a VPC endpoint", "Logging your VPC endpoint").',
      ))
def endpoint_any_key(policy: Policy, context: Context) -> Iterator[Report]:
    if not kms_endpoint(policy):
        return
    if policy.statements is None:
        yield Report("the KMS endpoint has no policy: the default allows every call through "
                     "it, so it does not limit which accounts' keys can be used through it, "
                     f"{_LOGGING}; add a policy with a resource perimeter "
                     "(aws:ResourceOrgID or aws:ResourceAccount)",
                     policy.resource_where or policy.where)
        return
    for statement in policy.statements:
        if not statement.is_allow or for_aws_services(statement):
            continue
        relevant = granted_actions(statement) & CROSS_ACCOUNT
        if not relevant:
            continue
        for value, resource in resources(statement, policy):
            if resource.kind == arn.STAR:
                reach = '"*"'
            elif resource.kind == arn.KEY_PATTERN and resource.any_account:
                reach = value.shown
            else:
                continue
            if resource_perimeter(statement, policy, relevant, value.text or "*") is not None:
                continue
            acts = explain_actions(action_grants(statement), relevant)
            yield Report(f"{acts} on {reach}: the endpoint does not limit which accounts' keys "
                         f"can be used through it, {_LOGGING}; add a condition on "
                         "aws:ResourceOrgID or aws:ResourceAccount", value.where)
