"""What KMS access policies grant, to whom, on which keys; and what a change adds to it.

Reads the policy model only: sources say what each policy is attached to
(`Policy.attached`) and which resource a reference names (`Value.refers`).  Each Allow becomes
rows of grantee, action class, keys and conditions; Deny statements of the same policy take
actions away where the checker can tell they apply, and are named in the conditions where it
cannot.  Nothing unknown is guessed: an unknown principal, key or action is shown as unknown.
"""
from __future__ import annotations

from kms_hooks.records import dataclass, field

from kms_hooks.kms import arn
from kms_hooks.kms.facts import (
    ACCESS_CLASSES,
    ACTION_CLASS,
    ALIAS_OPERATIONS,
    ALL,
    STAR_ONLY,
    glob_match,
)
from kms_hooks.model import (
    ENDPOINT,
    GUARDRAIL,
    IDENTITY,
    KEY_OR_ENDPOINT,
    SPECIFIC,
    THIS_ACCOUNT,
    Attachment,
    Condition,
    Grant,
    Policy,
    PrincipalEntry,
    Statement,
    Subject,
    Value,
    Where,
)
from kms_hooks.rules.common import RESOURCE_PERIMETER_KEYS, granted_actions, kms_endpoint, operator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Iterator

UNKNOWN = "unknown"
CLASSES = (*ACCESS_CLASSES, UNKNOWN)

# How wide a row's keys are, for "widened": one key, the keys of an account or organization,
# any key in any account.  Unknown keys are compared with nothing.
NAMED, ACCOUNT, ANY, UNKNOWN_SCOPE = 1, 2, 3, 0
ANY_KEY = "any key in any account"
NOT_KEY_SCOPED = "no key (account-level action)"


@dataclass(frozen=True)
class Row:
    """One access: a grantee may do `actions` (of one class) on `keys`, under `conditions`."""

    grantee: str
    action_class: str
    keys: str
    conditions: tuple[str, ...]
    actions: frozenset[str]
    where: tuple[str, ...]  # "path:line" of the statements that grant it
    scope: int = NAMED

    @property
    def path(self) -> str:
        """The file of the statement: names such as `Resources/AppRole` mean something within
        one template or module only, so rows of different files are never one."""
        return self.where[0].rpartition(":")[0]

    @property
    def identity(self) -> tuple[str, str, str, str, tuple[str, ...]]:
        return (self.path, self.grantee, self.action_class, self.keys, self.conditions)


def show(text: str) -> str:
    """A value's text with the placeholders for parts known only by meaning spelt out."""
    if text == THIS_ACCOUNT:
        return "this account"
    return text.replace(THIS_ACCOUNT, "THIS-ACCOUNT").replace(SPECIFIC, "?")


# Rows of one subject ---------------------------------------------------------------------------


def rows(subjects: Iterable[Subject]) -> list[Row]:
    """The access of the subjects, rows with the same grantee, class, keys and conditions
    merged."""
    return merge(row for subject in subjects for row in subject_rows(subject))


def subject_rows(subject: Subject) -> Iterator[Row]:
    return _grant_rows(subject) if isinstance(subject, Grant) else _policy_rows(subject)


def merge(found: Iterable[Row]) -> list[Row]:
    """Rows with the same grantee, class, keys and conditions as one, with the actions and
    places of all."""
    merged: dict[tuple[str, str, str, str, tuple[str, ...]], Row] = {}
    for row in found:
        old = merged.get(row.identity)
        if old is None:
            merged[row.identity] = row
        else:
            merged[row.identity] = Row(
                row.grantee, row.action_class, row.keys, row.conditions,
                old.actions | row.actions, _places(old.where + row.where), row.scope)
    return sorted(merged.values(), key=sort_key)


def _places(places: tuple[str, ...]) -> tuple[str, ...]:
    def key(place: str) -> tuple[str, int]:
        path, _, line = place.rpartition(":")
        return (path, int(line) if line.isdigit() else 0)

    return tuple(sorted(set(places), key=key))


def sort_key(row: Row) -> tuple[str, str, int, str, tuple[str, ...]]:
    return (row.path, row.grantee, CLASSES.index(row.action_class), row.keys, row.conditions)


def _where(where: Where) -> str:
    return f"{where.doc.path}:{where.span().line}"


def _by_class(actions: Iterable[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for action in actions:
        found.setdefault(ACTION_CLASS.get(action, UNKNOWN), set()).add(action)
    return {name: frozenset(found[name]) for name in CLASSES if name in found}


def _grant_rows(grant: Grant) -> Iterator[Row]:
    from kms_hooks.kms.facts import canonical

    grantee = _principal_name(grant.grantee) if grant.grantee is not None else "unknown grantee"
    keys, scope = _key_of_grant(grant.key_id)
    conditions = ("grant constraints",) if grant.constraints is not None else ()
    where = (_where(grant.where),)
    actions: set[str] = set()
    unknown = False
    for value in grant.operations or ():
        name = canonical(value.text) if value.text is not None else None
        if name is None:
            unknown = True
        else:
            actions.add(name)
    for action_class, names in _by_class(actions).items():
        yield Row(grantee, action_class, keys, conditions, names, where, scope)
    if unknown:
        yield Row(grantee, UNKNOWN, keys, conditions, frozenset(), where, scope)


def _key_of_grant(value: Value | None) -> tuple[str, int]:
    if value is None:
        return "unknown key", UNKNOWN_SCOPE
    if value.refers is not None:
        return value.refers, NAMED
    if value.text is not None and SPECIFIC not in value.text:
        return show(value.text), NAMED
    return f"unknown key ({value.shown})", UNKNOWN_SCOPE


def _policy_rows(policy: Policy) -> Iterator[Row]:
    if policy.kind == GUARDRAIL:
        return  # service and resource control policies only take access away
    if policy.kind == ENDPOINT and not kms_endpoint(policy):
        return
    if policy.statements is None:
        yield from _default_policy_rows(policy)
        return
    denies = [s for s in policy.statements if s.is_deny]
    for statement in policy.statements:
        if statement.is_deny:
            continue
        yield from _statement_rows(policy, statement, denies)


def _default_policy_rows(policy: Policy) -> Iterator[Row]:
    """AWS's default policies: a key's lets its account's IAM policies decide; an endpoint's
    lets every call through."""
    where = (_where(policy.where),)
    if policy.kind == ENDPOINT:
        grantee = f"anyone through endpoint {_owner(policy, 'endpoint')}"
        entries = [(ANY_KEY, ANY, ALL - STAR_ONLY), (NOT_KEY_SCOPED, NAMED, STAR_ONLY)]
    else:
        grantee = _account("THIS-ACCOUNT")
        entries = [(_owner(policy, "key"), NAMED, ALL - STAR_ONLY)]
    for keys, scope, actions in entries:
        for action_class, names in _by_class(actions).items():
            yield Row(grantee, action_class, keys, ("default policy",), names, where, scope)


def _owner(policy: Policy, kind: str) -> str:
    """The key of a key policy, the endpoint of an endpoint policy."""
    for attachment in policy.attached:
        if attachment.kind == kind and attachment.name is not None:
            return attachment.name
    if policy.kind == KEY_OR_ENDPOINT:
        return f"the key or endpoint of {policy.name}"
    return f"the {kind} of {policy.name}"


def _statement_rows(policy: Policy, statement: Statement,
                    denies: list[Statement]) -> Iterator[Row]:
    where = (_where(statement.where),)
    granted = set(granted_actions(statement))
    unknown_actions = any(v.text is None for v in statement.actions or ()) or any(
        v.text is None for v in statement.not_actions or ())
    if not granted and not unknown_actions:
        return
    conditions = [summarize(c) for c in statement.conditions]
    if statement.effect is None:
        conditions.insert(0, "effect unknown")
    for grantee in _grantees(policy, statement):
        for keys, scope, actions, perimeter in _keys(policy, statement, granted,
                                                     unknown_actions):
            taken, notes = _denied(policy, statement, denies, grantee, keys, actions)
            left = actions - taken
            shown = tuple(dict.fromkeys(c for c in conditions if c not in perimeter)) \
                + tuple(notes)
            for action_class, names in _by_class(left).items():
                yield Row(grantee, action_class, keys, shown, names, where, scope)
            if unknown_actions:
                yield Row(grantee, UNKNOWN, keys, shown, frozenset(), where, scope)


# Grantees --------------------------------------------------------------------------------------


def _grantees(policy: Policy, statement: Statement) -> list[str]:
    if policy.kind == IDENTITY:
        named = [_attachment_name(a) for a in policy.attached
                 if a.kind not in ("key", "endpoint")]
        return named or [policy.name if policy.name.startswith("policy")
                         else f"policy {policy.name}"]
    principals = [_principal_name(p.value, p.type) for p in statement.principals or ()]
    if statement.not_principals is not None:
        excepted = ", ".join(_principal_name(p.value, p.type) for p in statement.not_principals)
        principals.append(f"anyone except {excepted}")
    if not principals:
        principals = ["unknown principal"]
    if policy.kind == ENDPOINT:
        endpoint = _owner(policy, "endpoint")
        return [f"{p} through endpoint {endpoint}" for p in principals]
    return principals


def _attachment_name(attachment: Attachment) -> str:
    if attachment.name is None:
        return f"{attachment.kind} unknown ({attachment.written})"
    if attachment.resource:
        return attachment.name
    return f"{attachment.kind} {attachment.name}"


def _account(account: str) -> str:
    named = "this account" if account in ("THIS-ACCOUNT", "this account") \
        else f"account {account}"
    return f"{named} (its IAM policies decide)"


def _principal_name(value: Value, type_: str = "AWS") -> str:
    if value.refers is not None:
        return value.refers
    text = value.text
    if text is None:
        return f"unknown ({value.shown})"
    if type_ == "*" or (type_ == "AWS" and text == "*"):
        return "anyone"
    if type_ == "Service":
        return f"service {text}"
    if type_ == "AWS":
        shown = show(text)
        if shown.isdigit() or shown == "this account":
            return _account(shown)
        parts = shown.split(":")
        if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
            if "?" in parts[4]:
                return f"account unknown ({value.shown}) (its IAM policies decide)"
            return _account(parts[4])
        return shown
    return f"{type_} {show(text)}"


# Keys ------------------------------------------------------------------------------------------


def _keys(policy: Policy, statement: Statement, granted: set[str], unknown_actions: bool
          ) -> Iterator[tuple[str, int, frozenset[str], tuple[str, ...]]]:
    """(keys, scope, actions, conditions folded into the keys) for each resource entry; with
    `unknown_actions`, also the entries no known action reaches."""
    if policy.kind != IDENTITY and policy.kind != ENDPOINT:
        # A key policy's "*" is its own key; account-level actions mean nothing in it.
        yield _owner(policy, "key"), NAMED, frozenset(granted - STAR_ONLY), ()
        return
    key_actions = frozenset(granted - STAR_ONLY)
    alias_actions = frozenset(granted & ALIAS_OPERATIONS)
    any_key = bool(key_actions) or unknown_actions
    if statement.resources is None:
        if statement.not_resources is not None:
            excepted = ", ".join(_value_text(v) for v in statement.not_resources)
            yield f"{ANY_KEY} except {excepted}", ANY, frozenset(granted), ()
        return
    for value in statement.resources:
        resource = arn.classify_value(value, policy.version)
        kind = resource.kind
        if kind == arn.STAR:
            if granted & STAR_ONLY:
                yield NOT_KEY_SCOPED, NAMED, frozenset(granted & STAR_ONLY), ()
            if any_key:
                keys, scope, folded = _perimeter(statement)
                yield keys, scope, key_actions, folded
        elif kind in (arn.KEY_ARN, arn.KEY_PATTERN):
            if any_key:
                keys, scope = _key_entry(value, resource)
                yield keys, scope, key_actions, ()
        elif kind in (arn.ALIAS_ARN, arn.ALIAS_NAME):
            if alias_actions or unknown_actions:
                scope = ANY if resource.any_account else NAMED
                yield f"alias {value.refers or _value_text(value)}", scope, alias_actions, ()
        elif kind == arn.UNKNOWN:
            if any_key:
                yield f"unknown ({value.shown})", UNKNOWN_SCOPE, key_actions, ()
        # Key ids, malformed ARNs and other services' ARNs match no key: no access.


def _value_text(value: Value) -> str:
    return show(value.text) if value.text is not None else f"unknown ({value.shown})"


def _key_entry(value: Value, resource: arn.Resource) -> tuple[str, int]:
    if value.refers is not None:
        return value.refers, NAMED
    if resource.kind == arn.KEY_ARN:
        return _value_text(value), NAMED
    if resource.any_account:
        return ANY_KEY, ANY
    if resource.resource in ("*", "key/*") and resource.account:
        account = show(resource.account)
        return ("keys of this account" if account == "THIS-ACCOUNT"
                else f"keys of account {account}"), ACCOUNT
    return _value_text(value), ACCOUNT


_PERIMETER_NAMES = {"aws:resourceaccount": "account", "aws:resourceorgid": "organization",
                    "aws:resourceorgpaths": "organization path"}


def _perimeter(statement: Statement) -> tuple[str, int, tuple[str, ...]]:
    """What "*" reaches in an identity policy: any key in any account, unless the statement's
    own resource perimeter condition (aws:ResourceAccount, ...) pins the keys' owner."""
    for condition in statement.conditions:
        key = condition.key.lower()
        if key not in RESOURCE_PERIMETER_KEYS:
            continue
        op = operator(condition.operator)
        if op.base not in ("stringequals", "stringlike") or op.if_exists \
                or op.qualifier == "forallvalues" or not condition.values \
                or any(v.text is None or v.text.strip("*?") == "" for v in condition.values):
            continue
        owners = ", ".join(show(v.text or "") for v in condition.values)
        return f"keys of {_PERIMETER_NAMES[key]} {owners}", ACCOUNT, (summarize(condition),)
    return ANY_KEY, ANY, ()


# Deny statements -------------------------------------------------------------------------------


def _denied(policy: Policy, allow: Statement, denies: list[Statement], grantee: str, keys: str,
            actions: frozenset[str]) -> tuple[frozenset[str], list[str]]:
    """The actions an unconditional Deny of the same policy takes from this row, and notes for
    the Denies that apply only under conditions or may apply."""
    taken: set[str] = set()
    notes: list[str] = []
    for deny in denies:
        hit = actions & granted_actions(deny)
        if not hit or not _deny_reaches_principal(policy, deny, grantee):
            continue
        # Notes name no line: conditions are part of what a row is, and lines move.
        covers = _deny_covers(deny, allow, keys)
        if covers is None:
            notes.append("a Deny may apply")
        elif covers and not deny.conditions:
            taken |= hit
        elif covers:
            shown = ", ".join(summarize(c) for c in deny.conditions)
            notes.append(f"denied where {shown}")
    return frozenset(taken), notes


def _deny_reaches_principal(policy: Policy, deny: Statement, grantee: str) -> bool:
    if policy.kind == IDENTITY:
        return True
    if deny.not_principals is not None:
        return True  # conservatively: the row's principal is not known to be excepted
    names = {_principal_name(p.value, p.type) for p in deny.principals or ()}
    return "anyone" in names or any(grantee == n or grantee.startswith(n + " through")
                                    for n in names)


def _deny_covers(deny: Statement, allow: Statement, keys: str) -> bool | None:
    """Whether the Deny's resources cover the row's keys; None when that cannot be known."""
    if deny.resources is None:
        return None if deny.not_resources is not None else False
    texts = [v.text for v in deny.resources]
    if any(t is not None and t.strip("*") == "" for t in texts):
        return True
    allowed = [v.text for v in allow.resources or ()]
    if any(t is None for t in texts) or any(t is None for t in allowed):
        return None
    if allowed and all(any(glob_match(d or "", a or "") for d in texts) for a in allowed):
        return True
    return False


# Conditions ------------------------------------------------------------------------------------


_SHORT = {
    "kms:calleraccount": "caller account", "aws:principalaccount": "caller account",
    "aws:principalorgid": "caller organization", "aws:principalorgpaths": "caller org path",
    "aws:principalarn": "caller", "aws:userid": "caller id", "aws:sourceaccount": "source account",
    "aws:sourcearn": "source", "aws:sourcevpce": "through VPC endpoint",
    "aws:sourcevpc": "from VPC", "aws:sourceip": "from IP", "aws:resourceaccount": "key account",
    "aws:resourceorgid": "key organization", "aws:resourceorgpaths": "key org path",
    "aws:principaltype": "caller type", "aws:principaltag": "caller tag",
    "aws:resourcetag": "key tag", "kms:grantoperations": "grant operations",
    "kms:keyspec": "key spec", "kms:keyusage": "key usage", "kms:keyorigin": "key origin",
    "kms:requestalias": "requested alias", "kms:resourcealiases": "key alias",
    "kms:encryptionalgorithm": "algorithm", "kms:granteeprincipal": "grantee",
    "kms:retiringprincipal": "retiring principal",
}


def summarize(condition: Condition) -> str:
    """A condition, shortly: `via s3`, `caller account 111122223333`, `encryption context
    aws:s3:arn`."""
    key = condition.key
    lowered = key.lower()
    op = operator(condition.operator)
    values = [show(v.text) if v.text is not None else f"unknown ({v.shown})"
              for v in condition.values]
    negated = op.base.startswith(("stringnot", "arnnot", "numericnot", "datenot")) \
        or op.base == "null" and values == ["true"]
    prefix = "not " if negated else ""
    suffix = " (if present)" if op.if_exists else ""
    listed = ", ".join(values)
    if op.base == "null":
        return f"{key} {'absent' if values == ['true'] else 'present'}"
    if op.base == "bool":
        true = [v.lower() for v in values] == ["true"]
        if lowered == "kms:grantisforawsresource" and true:
            return "grant for an AWS resource"
        if lowered == "aws:principalisawsservice" and true:
            return "AWS services only"
        if lowered == "aws:securetransport" and true:
            return "over TLS"
        return f"{key} {listed}"
    if lowered == "kms:viaservice":
        services = ", ".join(v.split(".")[0] for v in values)
        return f"{prefix}via {services}{suffix}"
    if lowered.startswith("kms:encryptioncontext:"):
        context_key = key.split(":", 2)[2]
        return f"{prefix}encryption context {context_key}{suffix}"
    if lowered == "kms:encryptioncontextkeys":
        return f"{prefix}encryption context keys {listed}{suffix}"
    base = lowered.split("/", 1)[0]
    short = _SHORT.get(base)
    if short is not None:
        tag = key.split("/", 1)[1] + " " if "/" in key else ""
        return f"{prefix}{short} {tag}{listed}{suffix}"
    return f"{condition.operator} {key} {listed}"


# Diff ------------------------------------------------------------------------------------------

ADDED, WIDENED, NARROWED, REMOVED = "added", "widened", "narrowed", "removed"
CHANGES = (WIDENED, ADDED, NARROWED, REMOVED)  # the order a review reads them in


@dataclass(frozen=True)
class Change:
    change: str
    row: Row  # the row now (the row before, for a removed one)
    before: Row | None = None
    why: tuple[str, ...] = field(default=())  # what widened or narrowed


def diff(before: list[Row], after: list[Row]) -> list[Change]:
    """Rows added, removed, widened (more actions, wider keys, a condition dropped) and
    narrowed between two reviews.  Rows are matched on grantee, class, keys and conditions;
    rows left over are paired on grantee and class when one is a wider form of the other."""
    old = {row.identity: row for row in before}
    new = {row.identity: row for row in after}
    changes: list[Change] = []
    for identity, row in new.items():
        previous = old.get(identity)
        if previous is None or previous.actions == row.actions:
            continue
        if row.actions > previous.actions:
            changes.append(Change(WIDENED, row, previous, _more(row, previous)))
        elif row.actions < previous.actions:
            changes.append(Change(NARROWED, row, previous, _fewer(row, previous)))
        else:
            changes.append(Change(REMOVED, previous))
            changes.append(Change(ADDED, row))
    added = [row for identity, row in new.items() if identity not in old]
    removed = [row for identity, row in old.items() if identity not in new]
    left: list[Row] = []
    for row in added:
        match = next((r for r in removed if _wider_or_equal(row, r)), None)
        if match is not None:
            removed.remove(match)
            changes.append(Change(WIDENED, row, match, _widening(row, match)))
        else:
            left.append(row)
    # A row that gives less than one it replaces (a named key instead of "*") is a narrowing,
    # not new access.
    for row in left:
        match = next((r for r in removed if _wider_or_equal(r, row)), None)
        if match is not None:
            removed.remove(match)
            changes.append(Change(NARROWED, row, match, _widening(match, row, narrowed=True)))
        else:
            changes.append(Change(ADDED, row))
    for row in removed:
        changes.append(Change(REMOVED, row))
    return sorted(changes, key=lambda c: (CHANGES.index(c.change), sort_key(c.row)))


def _more(row: Row, previous: Row) -> tuple[str, ...]:
    return (f"more actions: {', '.join(sorted(row.actions - previous.actions))}",)


def _fewer(row: Row, previous: Row) -> tuple[str, ...]:
    return (f"fewer actions: {', '.join(sorted(previous.actions - row.actions))}",)


def _wider_or_equal(row: Row, old: Row) -> bool:
    """Whether `row` gives at least what `old` gave to the same grantee, in the same class."""
    if row.identity[:3] != old.identity[:3]:
        return False
    if row.scope == UNKNOWN_SCOPE or old.scope == UNKNOWN_SCOPE:
        return False
    same_keys = row.keys == old.keys
    wider_keys = row.scope > old.scope
    if not (same_keys or wider_keys):
        return False
    return set(row.conditions) <= set(old.conditions) and row.actions >= old.actions


def _widening(row: Row, old: Row, narrowed: bool = False) -> tuple[str, ...]:
    """What `row` gives beyond `old` (with `narrowed`: what `old`, the row now, lost)."""
    why = []
    if row.keys != old.keys:
        why.append(f"keys: {row.keys} -> {old.keys}" if narrowed
                   else f"keys: {old.keys} -> {row.keys}")
    dropped = [c for c in old.conditions if c not in row.conditions]
    if dropped:
        why.append(f"condition added: {'; '.join(dropped)}" if narrowed
                   else f"condition dropped: {'; '.join(dropped)}")
    if row.actions > old.actions:
        why.extend(_fewer(old, row) if narrowed else _more(row, old))
    return tuple(why)


def grows(changes: Iterable[Change], classes: Iterable[str]) -> list[Change]:
    """The changes that add or widen access of one of `classes`."""
    wanted = set(classes)
    return [c for c in changes if c.change in (ADDED, WIDENED) and c.row.action_class in wanted]
