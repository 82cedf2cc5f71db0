"""Classification of `Resource` entries: what each one can match in KMS."""
from __future__ import annotations

import functools
import re
from kms_hooks.records import dataclass

from kms_hooks.model import SPECIFIC, THIS_ACCOUNT, Value

STAR = "star"
KEY_ARN = "key-arn"
KEY_PATTERN = "key-pattern"  # a KMS ARN with wildcards that can match keys
ALIAS_ARN = "alias-arn"  # an alias ARN, or a pattern that matches only aliases
ALIAS_NAME = "alias-name"
KEY_ID = "key-id"
MALFORMED = "malformed"  # a KMS ARN that matches nothing
OTHER_ARN = "other-arn"  # another service's ARN: not this tool's business
OTHER = "other"
UNKNOWN = "unknown"

_KEY_ID = re.compile(
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(r"\d{12}")
_POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Resource:
    kind: str
    partition: str = ""
    region: str = ""
    account: str = ""  # "" when the pattern leaves it open
    resource: str = ""
    any_account: bool = False  # the pattern matches keys in every account

    @property
    def this_account(self) -> bool:
        return self.account == THIS_ACCOUNT

    @property
    def named_account(self) -> str | None:
        """The 12-digit account the entry is fixed to, when written out."""
        return self.account if _ACCOUNT.fullmatch(self.account) else None


def substitute_variables(text: str, version: str | None) -> str:
    """IAM policy variables are values, not wildcards, in a 2012-10-17 policy."""
    if version != "2012-10-17" or "${" not in text:
        return text
    return _POLICY_VARIABLE.sub(SPECIFIC, text)


def classify_value(value: Value, version: str | None = None) -> Resource:
    if value.text is None:
        known = {"key-id": KEY_ID, "alias-name": ALIAS_NAME, "key-arn": KEY_ARN,
                 "alias-arn": ALIAS_ARN}.get(value.kind or "")
        return Resource(known or UNKNOWN)
    if value.kind == "key-id":
        return Resource(KEY_ID)
    return classify(substitute_variables(value.text, version))


@functools.lru_cache(maxsize=8192)
def classify(text: str) -> Resource:
    if not text or text.strip(SPECIFIC) == "":
        return Resource(UNKNOWN)
    if text.strip("*") == "":
        return Resource(STAR)
    if text.startswith("alias/"):
        return Resource(ALIAS_NAME)
    if _KEY_ID.fullmatch(text):
        return Resource(KEY_ID)
    if not text.startswith("arn:"):
        return Resource(OTHER)
    parts = text.split(":", 5)
    # A trailing `*` matches across the colons that follow (`arn:aws:kms:*`, `arn:*`): the
    # segments it swallows are open.
    open_end = len(parts) < 6 and parts[-1].endswith("*")
    partition = parts[1] if len(parts) > 1 else ""
    service = parts[2] if len(parts) > 2 else "*" if open_end else ""
    if not _service_may_be_kms(service) or not _partition_ok(partition):
        return Resource(OTHER_ARN)
    if len(parts) < 6:
        if open_end:
            region = parts[3] if len(parts) > 3 else "*"
            account = parts[4] if len(parts) > 4 else "*"
            return Resource(KEY_PATTERN, partition, region, account, "*",
                            any_account=True if len(parts) <= 4 else _wild(account))
        return Resource(MALFORMED, partition)
    _, partition, service, region, account, resource = parts
    if account == "" or region == "":
        return Resource(MALFORMED, partition, region, account, resource)
    any_account = _wild(account)
    wild = any_account or _wild(region) or _wild(resource) or _wild(service) or _wild(partition)
    if SPECIFIC in resource and resource.strip(SPECIFIC) == "":
        return Resource(UNKNOWN, partition, region, account, resource)
    if resource.startswith("key/"):
        # A key id never holds a colon: "key/arn:..." is a key ARN where the key id belongs.
        if resource == "key/" or ":" in _POLICY_VARIABLE.sub("", resource):
            return Resource(MALFORMED, partition, region, account, resource)
        kind = KEY_PATTERN if wild else KEY_ARN
        return Resource(kind, partition, region, account, resource, any_account)
    if resource.startswith("alias/"):
        kind = ALIAS_ARN
        return Resource(kind, partition, region, account, resource, any_account)
    if _wild(resource):
        if _may_start(resource, "key/"):
            return Resource(KEY_PATTERN, partition, region, account, resource, any_account)
        if _may_start(resource, "alias/"):
            return Resource(ALIAS_ARN, partition, region, account, resource, any_account)
    return Resource(MALFORMED, partition, region, account, resource)


def wild_key_part(resource: Resource) -> bool:
    """Whether a KMS ARN pattern's key-id part is itself a wildcard pattern (`key/*`, `*`):
    a specific id, `mrk-` id or policy variable there names one key."""
    return _wild(resource.resource)


def _wild(segment: str) -> bool:
    return "*" in segment or "?" in segment


def _service_may_be_kms(service: str) -> bool:
    if service == "kms":
        return True
    if not _wild(service):
        return False
    from kms_hooks.kms.facts import glob_match

    return glob_match(service, "kms")


def _partition_ok(partition: str) -> bool:
    return partition == "aws" or partition.startswith("aws-") or SPECIFIC in partition \
        or (_wild(partition) and _may_start(partition, "aws"))


def _may_start(pattern: str, prefix: str) -> bool:
    """Whether a wildcard pattern can match text that starts with `prefix`: the literal text
    before its first wildcard agrees with the prefix ("k*" and "*x" can start with "key/", "a*"
    cannot).  What follows a wildcard is not examined: an id can end in almost anything."""
    cut = len(pattern)
    for wildcard in "*?":
        found = pattern.find(wildcard)
        if found >= 0:
            cut = min(cut, found)
    n = min(cut, len(prefix))
    return pattern[:n] == prefix[:n]
