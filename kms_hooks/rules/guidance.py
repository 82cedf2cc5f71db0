"""The AWS documentation page of each rule's guidance, for links in SARIF (`helpUri`).

A rule's documentation names the guidance it comes from by its heading; the page is found from
that text, so a new rule citing a known document gets its link with no entry of its own.  The
document cited first is the rule's source; the order below only breaks ties between phrases that
start at the same place.
"""
from __future__ import annotations

from kms_hooks.rules import Rule

_KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/"
_IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"

PAGES = (
    ("Least-privilege permissions", _KMS + "least-privilege.html"),
    ("best practices for AWS KMS grants", _KMS + "grant-best-practices.html"),
    ("best practices for grants", _KMS + "grant-best-practices.html"),
    ("VPC endpoint", _KMS + "kms-vpc-endpoint.html"),
    ("multivalued context keys", _IAM + "reference_policies_condition-single-vs-multi-valued-"
                                        "context-keys.html"),
    ("Best practices for IAM policies", _KMS + "iam-policies-best-practices.html"),
    ("Key policies in AWS KMS", _KMS + "key-policies.html"),
    ("Default key policy", _KMS + "key-policy-default.html"),
    ("PutKeyPolicy", "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"),
    ("Service Authorization Reference", "https://docs.aws.amazon.com/service-authorization/"
                                        "latest/reference/list_awskeymanagementservice.html"),
    ("IAM JSON policy grammar", _IAM + "reference_policies_grammar.html"),
    ("IAM JSON policy elements reference", _IAM + "reference_policies_elements.html"),
)


def page(rule: Rule) -> str | None:
    """The page of the AWS guidance the rule cites; None for a rule about kms-hooks itself."""
    text = " ".join(rule.doc.guidance.split()).lower()
    cited = [(text.find(phrase.lower()), order, url)
             for order, (phrase, url) in enumerate(PAGES) if phrase.lower() in text]
    return min(cited)[2] if cited else None
