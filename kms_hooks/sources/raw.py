"""Raw policy documents and AWS CLI outputs in JSON files.

Where policies live in each output is the table below; the kind of a bare document with no
surrounding resource is decided from its content, as the rule catalog describes.
"""
from __future__ import annotations

import functools
import re
from collections import deque
from kms_hooks.records import dataclass, replace

from kms_hooks.documents import EmbeddedJsonDocument, JsonDocument, embedded_error, not_json
from kms_hooks.kms.facts import is_kms_action
from kms_hooks.model import (
    Fix,
    TextEdit,
    Value,
    GUARDRAIL,
    IDENTITY,
    KEY,
    KEY_OR_ENDPOINT,
    Attachment,
    Document,
    Path,
    Policy,
    Where,
)
from kms_hooks.normalize import (
    Reader,
    concerns_kms_rules,
    holds_nothing_for_kms,
    read_fragment,
    read_policy,
)
from kms_hooks.sources.base import ParseError, SourceFile, parse_json
from kms_hooks.sources.edits import account_keys, json_split

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator

@dataclass(frozen=True)
class Location:
    """Documents found by `holders` (a JMESPath expression selecting the objects that hold them)
    under `field` (None: the holder is the document itself)."""

    holders: str
    field: str | None
    kind: str
    name: str  # JMESPath on the holder giving a name for messages (after `title`)
    label: str  # what the document is, for -v
    aws_managed: str | None = None  # JMESPath on the holder: true for AWS managed policies
    title: str = ""  # what the name is preceded by in messages
    # What the policy is attached to: (kind, JMESPath on the holder giving its name).
    attached: tuple[tuple[str, str], ...] = ()
    string: bool = False  # the document is a JSON string; an object there is something else

    def may_find(self, data: dict[str, Any]) -> bool:
        """Whether the expression can find anything: it starts at a top-level field the document
        has, or at the document itself (`@`), which must then hold `field`.  Most files are
        settled by this, without JMESPath."""
        start = _START_FIELDS.get(self.holders)
        if start is None:
            start = _start_field(self.holders)
        if start:
            return start in data
        return self.field is None or self.field in data


LOCATIONS = (
    # aws iam get-policy-version
    Location("PolicyVersion", "Document", IDENTITY, "VersionId",
             "aws iam get-policy-version output", title="PolicyVersion "),
    # aws iam get-role-policy / get-user-policy / get-group-policy
    Location("@", "PolicyDocument", IDENTITY, "PolicyName", "aws iam get-*-policy output",
             attached=(("role", "RoleName"), ("user", "UserName"), ("group", "GroupName"))),
    # aws kms get-key-policy: the policy is a JSON string
    Location("@", "Policy", KEY, "PolicyName", "aws kms get-key-policy output",
             title="key policy ", string=True),
    # aws organizations describe-policy: a service or resource control policy as a JSON string
    Location("Policy | [@][?PolicySummary.Type == 'SERVICE_CONTROL_POLICY' || "
             "PolicySummary.Type == 'RESOURCE_CONTROL_POLICY']", "Content", GUARDRAIL,
             "PolicySummary.Name", "aws organizations describe-policy output",
             title="organizations policy ", string=True),
    # aws iam get-account-authorization-details
    Location("UserDetailList[].UserPolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline user policy"),
    Location("GroupDetailList[].GroupPolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline group policy"),
    Location("RoleDetailList[].RolePolicyList[]", "PolicyDocument", IDENTITY, "PolicyName",
             "an inline role policy"),
    Location("Policies[].PolicyVersionList[?IsDefaultVersion] | []", "Document", IDENTITY,
             "VersionId", "the default version of a managed policy"),
)

# aws iam get-account-authorization-details: (list, kind, name, inline policies): the user,
# group or role each inline policy, and each attached managed policy, belongs to.
DETAILS = (("UserDetailList", "user", "UserName", "UserPolicyList"),
           ("GroupDetailList", "group", "GroupName", "GroupPolicyList"),
           ("RoleDetailList", "role", "RoleName", "RolePolicyList"))
DETAILS_MANAGED = "AttachedManagedPolicies"

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _start_field(holders: str) -> str:
    """The top-level field an expression starts at ("" for `@`)."""
    found = _FIELD.match(holders)
    return found.group() if found else ""


_START_FIELDS = {location.holders: _start_field(location.holders) for location in LOCATIONS}
# Location.may_find for each location, as data: (location, start field, field), in table order.
_LOCATION_TESTS = [(location, _START_FIELDS[location.holders], location.field)
                   for location in LOCATIONS]
_PLAIN_FIELDS: dict[str, bool] = {}  # whether an expression is a plain field name

# Markers that a JSON text may hold a policy ("Statement", "PolicyDocument", "Effect");
# anything else is skipped without parsing.


class RawSource:
    name = "raw"

    def sniff(self, file: SourceFile) -> bool:
        if "json" not in file.extension_tags:
            return False
        text = file.text
        return "Statement" in text or "PolicyDocument" in text or "Effect" in text

    def read(self, file: SourceFile) -> list[Policy] | None:
        data, duplicates = file.json()
        document = JsonDocument(file.path, file.text, data, duplicates)
        reader = Reader(duplicates)
        found = _found_in_table(data)
        # Policies with nothing for the rules are passed over before anything is built for them.
        kept = [(location, holder) for location, holder in found
                if location.field is None or location.string
                or not holds_nothing_for_kms(holder[location.field], reader, location.kind)]
        policies = list(_from_table(document, data, reader, kept)) if kept else []
        if not policies and len(kept) == len(found):
            policies = list(_bare_documents(document, data, reader))
        return [replace(policy, narrow=narrow, split=json_split) for policy in policies
                if concerns_kms_rules(policy)]


def _found_in_table(data: Any) -> list[tuple[Location, dict[str, Any]]]:
    """The objects that hold a document where the table says one lives, with their location."""
    if not isinstance(data, dict):
        return []
    # Location.may_find, inline: most files are settled here.
    locations = [location for location, start, field in _LOCATION_TESTS
                 if (start in data if start else field is None or field in data)]
    found: list[tuple[Location, dict[str, Any]]] = []
    for location in locations:
        result = search(location.holders, data)
        for holder in result if isinstance(result, list) else [result]:
            if isinstance(holder, dict) and (location.field is None or location.field in holder) \
                    and (not location.string or isinstance(holder[location.field], str)):
                found.append((location, holder))
    return found


def _from_table(document: JsonDocument, data: dict[str, Any], reader: Reader,
                found: list[tuple[Location, dict[str, Any]]]) -> Iterator[Policy]:
    paths = _holder_paths(data, found)
    managed_names = _managed_policy_names(data) if "Policies" in data else {}
    details = _detail_attachments(data) if any(d[0] in data for d in DETAILS) else {}
    for location, holder in found:
        at = paths.get(id(holder))
        if at is None:
            continue
        named = search(location.name, holder)
        name = f"{location.title}{named}" if named else document.pointer(at)
        aws_managed = False
        if location.holders.startswith("Policies"):
            name, aws_managed = managed_names.get(id(holder), (name, False))
        node = holder if location.field is None else holder[location.field]
        node_at = at if location.field is None else at + (location.field,)
        attached = [Attachment(kind, str(named)) for kind, expression in location.attached
                    if isinstance(named := search(expression, holder), (str, int))]
        attached.extend(details.get(id(holder), ()))
        yield from _document(document, node, node_at, reader, location.kind, name,
                             location.label, aws_managed, tuple(attached))


def _holder_paths(data: dict[str, Any],
                  found: list[tuple[Location, dict[str, Any]]]) -> dict[int, Path]:
    """The paths of the holders found: the document itself, or a top-level field's value, as
    most outputs have them, without walking the document; the others by walking it."""
    paths: dict[int, Path] = {}
    wanted: set[int] = set()
    for location, holder in found:
        start = _START_FIELDS.get(location.holders, "")
        if holder is data:
            paths[id(holder)] = ()
        elif start and data.get(start) is holder:
            paths[id(holder)] = (start,)
        else:
            wanted.add(id(holder))
    if wanted:
        paths.update(_container_paths(data, wanted))
    return paths


def search(expression: str, data: Any) -> Any:
    """JMESPath search; a plain field name is looked up directly, which settles most files
    without loading JMESPath."""
    plain = _PLAIN_FIELDS.get(expression)
    if plain is None:
        plain = _PLAIN_FIELDS[expression] = _FIELD.fullmatch(expression) is not None
    if plain:
        return data.get(expression) if isinstance(data, dict) else None
    return _compiled(expression).search(data)


@functools.lru_cache(maxsize=None)
def _compiled(expression: str) -> Any:
    import jmespath

    return jmespath.compile(expression)


def _managed_policy_names(data: dict[str, Any]) -> dict[int, tuple[str, bool]]:
    """Names of managed policy versions in authorization details, and whether AWS owns them
    (an ARN in the `aws` account: they cannot be edited, only detached)."""
    names: dict[int, tuple[str, bool]] = {}
    for policy in data.get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        arn = str(policy.get("Arn", ""))
        aws_managed = arn.split(":")[4:5] == ["aws"] and ":policy/" in arn
        for version in policy.get("PolicyVersionList") or []:
            names[id(version)] = (str(policy.get("PolicyName", arn)), aws_managed)
    return names


def _detail_attachments(data: dict[str, Any]) -> dict[int, list[Attachment]]:
    """Authorization details: the user, group or role of each inline policy entry, and those
    a managed policy's versions are attached to (by id of the entry or version)."""
    found: dict[int, list[Attachment]] = {}
    by_arn: dict[str, list[Attachment]] = {}
    for list_name, kind, name_field, inline in DETAILS:
        for entry in data.get(list_name) or ():
            if not isinstance(entry, dict):
                continue
            attachment = Attachment(kind, str(entry.get(name_field, "")) or None)
            for policy in entry.get(inline) or ():
                found.setdefault(id(policy), []).append(attachment)
            for managed in entry.get(DETAILS_MANAGED) or ():
                if isinstance(managed, dict) and isinstance(managed.get("PolicyArn"), str):
                    by_arn.setdefault(managed["PolicyArn"], []).append(attachment)
    if by_arn:
        for policy in data.get("Policies") or ():
            if isinstance(policy, dict) and policy.get("Arn") in by_arn:
                for version in policy.get("PolicyVersionList") or ():
                    found.setdefault(id(version), []).extend(by_arn[policy["Arn"]])
    return found


def _document(document: Document, node: Any, at: Path, reader: Reader, kind: str,
              name: str, label: str, aws_managed: bool = False,
              attached: tuple[Attachment, ...] = ()) -> Iterator[Policy]:
    where = Where(document, at)
    if isinstance(node, str):
        # A policy held as a JSON string (get-key-policy's Policy); URL-encoded in some dumps.
        text = node
        encoded = text.startswith("%7B")
        if encoded:
            from urllib.parse import unquote

            text = unquote(text)
        try:
            inner, inner_duplicates = parse_json(text)
        except ParseError as error:
            # Only a string that sets out to be a JSON document is a broken policy.
            if text.lstrip().startswith("{"):
                spot = embedded_error(document, at, text, error.span.line, error.span.column,
                                      mappable=not encoded)
                yield Policy(kind, name, where, (), complete=False, known_source=kind == KEY,
                             problems=(not_json(error.message, spot),))
            return
        embedded = EmbeddedJsonDocument(document, at, text, inner, mappable=not encoded)
        yield from _document(embedded, inner, (), Reader(inner_duplicates), kind, name, label,
                             aws_managed, attached)
        return
    if not isinstance(node, dict):
        return
    yield read_policy(node, where, reader, kind, name, known_source=kind == KEY,
                      aws_managed=aws_managed, note=f"{label}: checked as {kind} policy",
                      attached=attached)


def _bare_documents(document: JsonDocument, data: Any, reader: Reader) -> Iterator[Policy]:
    """A policy document, a lone statement, or a list of either, with no surrounding output."""
    items: Iterable[tuple[Path, Any]]
    if isinstance(data, list):
        items = [((index,), item) for index, item in enumerate(data)]
    else:
        items = [((), data)]
    for at, node in items:
        if not isinstance(node, dict):
            continue
        name = "policy" if at == () else f"policy {at[0]}"
        if "Statement" in node:
            kind = decide_kind(_statements_of(node))
            if kind is not None and not holds_nothing_for_kms(node, reader, kind):
                yield read_policy(node, Where(document, at), reader, kind, name,
                                  note=f"a policy document: checked as {kind} policy")
        elif "Effect" in node and ("Action" in node or "NotAction" in node):
            kind = decide_kind([node])
            if kind is not None:
                yield read_fragment(node, Where(document, at), reader, kind, f"statement {name}",
                                    note=f"a lone statement: checked as {kind} policy")


def _statements_of(node: dict[str, Any]) -> list[Any]:
    statements = node.get("Statement")
    if isinstance(statements, list):
        return statements
    return [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def decide_kind(statements: list[Any]) -> str | None:
    """The kind of a policy read without its context (see the rule catalog).

    No Principal: identity.  With a Principal: all Deny is a guardrail (a resource control
    policy); only `kms:` actions on `"*"` is a key policy; KMS ARNs in Resource may be a key or
    an endpoint policy.  Other documents with a Principal are other services' resource or trust
    policies: None, not checked.
    """
    objects = [s for s in statements if isinstance(s, dict)]
    if not any("Principal" in s or "NotPrincipal" in s for s in objects):
        return IDENTITY
    if objects and all(s.get("Effect") == "Deny" for s in objects):
        return GUARDRAIL
    actions = [a for s in objects for a in _as_list(s.get("Action", s.get("NotAction")))]
    resources = [r for s in objects for r in _as_list(s.get("Resource", s.get("NotResource")))]
    if not actions or not all(isinstance(a, str) and is_kms_action(a) for a in actions):
        if any(isinstance(r, str) and r.startswith("arn:") and ":kms:" in r for r in resources):
            return KEY_OR_ENDPOINT
        return None
    if all(r == "*" for r in resources):
        return KEY
    return KEY_OR_ENDPOINT


def _container_paths(data: Any, wanted: set[int] | None = None) -> dict[int, Path]:
    """The paths of objects and arrays by identity (all of them, or those in `wanted`):
    JMESPath returns values, and findings need to know where those values are.  Breadth first,
    stopping once all wanted are found (policies sit near the top); iterative, so deep nesting
    cannot overflow."""
    paths: dict[int, Path] = {}
    pending: deque[tuple[Any, Path]] = deque([(data, ())])
    remaining = None if wanted is None else set(wanted)
    while pending and (remaining is None or remaining):
        node, at = pending.popleft()
        if remaining is None:
            paths[id(node)] = at
        elif id(node) in remaining:
            paths[id(node)] = at
            remaining.discard(id(node))
        if isinstance(node, dict):
            pending.extend((value, at + (key,)) for key, value in node.items()
                           if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            pending.extend((value, at + (index,)) for index, value in enumerate(node)
                           if isinstance(value, (dict, list)))
    return paths


def narrow(value: Value, account: str | None) -> Fix:
    """A raw document names no account of its own: the configured home account's keys."""
    if account is None or value.text is None:
        return Fix("the account's keys", safe=False,
                   reason="the home account is not configured (`account` in the configuration)")
    pattern = account_keys(value.text, "aws", account)
    return Fix(pattern, (TextEdit(value.where, pattern, value.text),), safe=False)
