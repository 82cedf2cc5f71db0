"""Rules for KMS grants (AWS KMS guidance: "Best practices for AWS KMS grants")."""
from __future__ import annotations


from kms_hooks.kms.facts import ENCRYPTION_CONTEXT_OPERATIONS, canonical
from kms_hooks.model import GRANT, NOTE, WARNING, Grant, Value
from kms_hooks.rules import Context, Report, RuleDoc, rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator


def _operations(grant: Grant) -> Iterator[tuple[str, Value]]:
    """The grant's operations in the table's spelling, with the value that names each."""
    for value in grant.operations or ():
        name = canonical(value.text) if value.text is not None else None
        if name is not None:
            yield name, value


@rule("KMS301", "grant-allows-create-grant", WARNING,
      "a grant includes the CreateGrant operation", (GRANT,),
      RuleDoc(
          finds="""
              A KMS grant (Terraform aws_kms_grant) whose operations include CreateGrant.
          """,
          why="""
              A grant with CreateGrant lets the grantee create further grants on this key, for
              any principal, in this account or another one: the new grants may hold any subset
              of this grant's operations, with constraints at least as strict, and may include
              CreateGrant again.  Access to the key then spreads outside the key policy and this
              configuration, one grant at a time.
          """,
          bad="""
              resource "aws_kms_grant" "app" {
                key_id            = aws_kms_key.data.key_id
                grantee_principal = aws_iam_role.app.arn
                operations        = ["Encrypt", "Decrypt", "CreateGrant"]
              }
          """,
          good="""
              resource "aws_kms_grant" "app" {
                key_id            = aws_kms_key.data.key_id
                grantee_principal = aws_iam_role.app.arn
                operations        = ["Encrypt", "Decrypt"]
              }
          """,
          guidance='AWS KMS Developer Guide: "Best practices for AWS KMS grants" (limit the '
                   'permissions in the grant); "Creating grants": "Granting CreateGrant '
                   'permission".',
          suppress="""
              A grant for an AWS service that must delegate to its own components (the
              service documents that it needs CreateGrant): silence KMS301 for that file with
              per-file-ignores, and say why in the configuration.
          """,
      ))
def grant_allows_create_grant(grant: Grant, context: Context) -> Iterator[Report]:
    for name, value in _operations(grant):
        if name == "CreateGrant":
            yield Report("the grant includes CreateGrant: the grantee can create further grants "
                         "on this key for any principal, in any account, and pass CreateGrant "
                         "on; list only the operations the grantee uses", value.where)


@rule("KMS302", "grant-without-constraints", NOTE,
      "a grant allows operations that take an encryption context, with no constraints", (GRANT,),
      RuleDoc(
          finds="""
              A KMS grant whose operations include one that takes an encryption context
              (Encrypt, Decrypt, ReEncryptFrom, ReEncryptTo, GenerateDataKey,
              GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair,
              GenerateDataKeyPairWithoutPlaintext) and that has no constraints block.  Grants
              whose operations cannot take constraints (DescribeKey, Sign, Verify, GenerateMac,
              RetireGrant, ...) are never reported.
          """,
          why="""
              Without a constraint the grantee may use the key for any data encrypted under it.
              An encryption context constraint limits the grant to requests that carry the
              expected context, so the key is used only for the purpose the grant was made
              for.  AWS recommends EncryptionContextEquals whenever possible; Subset is harder
              to use correctly.
          """,
          bad="""
              resource "aws_kms_grant" "app" {
                key_id            = aws_kms_key.data.key_id
                grantee_principal = aws_iam_role.app.arn
                operations        = ["Decrypt"]
              }
          """,
          good="""
              resource "aws_kms_grant" "app" {
                key_id            = aws_kms_key.data.key_id
                grantee_principal = aws_iam_role.app.arn
                operations        = ["Decrypt"]
                constraints {
                  encryption_context_equals = { Department = "Finance" }
                }
              }
          """,
          guidance='AWS KMS Developer Guide: "Best practices for AWS KMS grants" (use the '
                   'encryption context grant constraints; prefer EncryptionContextEquals); '
                   '"Using grant constraints".',
      ))
def grant_without_constraints(grant: Grant, context: Context) -> Iterator[Report]:
    if grant.constraints is not None:
        return
    named = sorted({name for name, _ in _operations(grant)} & ENCRYPTION_CONTEXT_OPERATIONS)
    if not named:
        return
    where = grant.operations_where or grant.where
    shown = ", ".join(named)
    yield Report(f"the grant allows {shown} with no constraints: the grantee may use the key "
                 "for any data; add constraints { encryption_context_equals = {...} } "
                 "(Equals is easier to get right than Subset)", where)
