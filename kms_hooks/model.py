"""The normalized policy model that every source produces and every rule reads.

Sources turn file formats into these types; rules never see a file format.  Each element carries a
`Where`: the document it was read from and its path there.  Line and column are computed from the
path only when a finding is reported, so files without findings never pay for position tracking.
"""
from __future__ import annotations

from kms_hooks.records import dataclass, field
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol
else:
    Protocol = object  # the typing module is a tenth of a hook call's start-up

PathPart = str | int
Path = tuple[PathPart, ...]

# Kinds of policy; they decide which rules apply.
IDENTITY = "identity"
KEY = "key"
ENDPOINT = "endpoint"
GUARDRAIL = "guardrail"
# A raw document with a Principal and KMS ARNs in Resource: a key or an endpoint policy.
KEY_OR_ENDPOINT = "key-or-endpoint"
GRANT = "grant"
POLICY_KINDS = (IDENTITY, KEY, ENDPOINT, GUARDRAIL, KEY_OR_ENDPOINT)

ERROR = "error"
WARNING = "warning"
NOTE = "note"
SEVERITIES = (ERROR, WARNING, NOTE)
SEVERITY_RANK = {NOTE: 1, WARNING: 2, ERROR: 3}

# Placeholders that resolvers put inside a value's text for parts known by meaning, not by value.
# Private-use code points cannot occur in a real ARN, so they never collide with written text.
THIS_ACCOUNT = "\ue000"  # the account that deploys the template (AWS::AccountId, caller identity)
SPECIFIC = "\ue001"  # one definite value that is not known here (a parameter, a policy variable)


@dataclass(frozen=True)
class Span:
    """1-based line and column of the first character, and of the character after the last."""

    line: int
    column: int
    end_line: int
    end_column: int


class Document(Protocol):
    """A parsed file (or a policy embedded in one) that can say where a path lies in its text."""

    @property
    def path(self) -> str:
        """The file this document was read from, as given on the command line."""

    def span(self, at: Path, key: bool = False) -> Span:
        """Where the value at `at` is (or its key, with `key=True`)."""

    def pointer(self, at: Path) -> str:
        """How to name `at` in this document's own terms (a JSON Pointer, a YAML path, ...)."""


@dataclass(frozen=True)
class Where:
    doc: Document
    at: Path
    key: bool = False

    def span(self) -> Span:
        return self.doc.span(self.at, self.key)

    def pointer(self) -> str:
        return self.doc.pointer(self.at)

    def child(self, part: PathPart) -> Where:
        return Where(self.doc, self.at + (part,))

    def as_key(self) -> Where:
        return Where(self.doc, self.at, True)


@dataclass(frozen=True)
class TextEdit:
    """One edit of a fix, as the source that knows the format writes it: in the text of the
    element at `where` (its key with `where.key`), `old` becomes `new`; the whole element when
    `old` is None.  `old` must occur exactly once in the element's text, or the fix is not
    applied: an element written with escapes is left alone rather than guessed at."""

    where: Where
    new: str
    old: str | None = None
    # The exact region instead of the element's text (a member removed with its line), computed
    # when the fix is made; None from it: the region cannot be said with certainty.
    span: Callable[[], Span | None] | None = None


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding.  `title` is what the element becomes, for messages;
    `edits` are applied all together or not at all (none: a suggestion that cannot be applied,
    with `reason` saying why).  An unsafe fix narrows access or changes what a deployment does:
    it is applied only with --unsafe-fixes."""

    title: str
    edits: tuple[TextEdit, ...] = ()
    safe: bool = True
    reason: str = ""


Narrowing = Callable[["Value", "str | None"], Fix]
Splitting = Callable[["Statement", "list[Value]", Fix], Fix]


@dataclass(frozen=True)
class Value:
    """A string element of a policy, such as one Action or Resource entry.

    `text` is None when the value cannot be known (a parameter, a variable, an expression):
    rules report nothing about unknown values.  `kind` is what a resolver knows the value to be
    when the text alone would not say (a CloudFormation `Ref` to a key returns a key id);
    `display` is how the value is written in the file when that is not `text`; `fix` is the
    replacement a resolver can suggest (a key ARN for a reference that returns a key id), with
    the edits that make it in the file's own format.
    """

    text: str | None
    where: Where
    display: str | None = None
    kind: str | None = None
    fix: Fix | None = None
    # The resource a reference names, in the file's own terms ("Resources/AppKey",
    # "aws_kms_key.app"): how an access review names the key or role behind the value.
    refers: str | None = None

    @property
    def shown(self) -> str:
        if self.display is not None:
            return self.display
        return self.text if self.text is not None else "(unknown)"


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str
    values: tuple[Value, ...]
    where: Where


PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
# The type of a principal written in a way IAM rejects (a string other than "*", a map with an
# unknown key): KMS003 reports it, and no rule may guess what it names.
MALFORMED_PRINCIPAL = "malformed"


@dataclass(frozen=True)
class PrincipalEntry:
    """One principal: `type` is AWS, Service, Federated, CanonicalUser, "*" for
    `"Principal": "*"`, or MALFORMED_PRINCIPAL."""

    type: str
    value: Value


@dataclass(frozen=True)
class Problem:
    """A structural problem found while normalizing (reported by KMS002/KMS003)."""

    rule: str
    message: str
    where: Where


@dataclass(frozen=True)
class Statement:
    where: Where
    sid: str | None
    effect: str | None  # "Allow", "Deny", or None when absent or malformed
    actions: tuple[Value, ...] | None  # None: the element is absent
    not_actions: tuple[Value, ...] | None
    resources: tuple[Value, ...] | None
    not_resources: tuple[Value, ...] | None
    principals: tuple[PrincipalEntry, ...] | None
    not_principals: tuple[PrincipalEntry, ...] | None
    conditions: tuple[Condition, ...]
    # Where the element keys themselves are ("NotAction", "Principal", ...), for findings on a key.
    keys: dict[str, Where] = field(default_factory=dict, compare=False, hash=False)
    problems: tuple[Problem, ...] = ()

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    def key_where(self, name: str) -> Where:
        return self.keys.get(name, self.where)


@dataclass(frozen=True)
class Attachment:
    """What a policy is attached to, or whose policy it is, where the file says so: the role,
    user or group of an identity policy, the key of a key policy, the endpoint of an endpoint
    policy.  `kind` is "role", "user", "group", "key", "endpoint", "function" or
    "permission set"; `name` is how the file names it (`Resources/AppRole`,
    `aws_iam_role.app`, a name as written), None when it cannot be known here."""

    kind: str
    name: str | None
    written: str = ""  # the expression as written, for an unknown name
    # The name is a resource of the file (its logical id, its address), not a name as written.
    resource: bool = False


@dataclass(frozen=True)
class Policy:
    """One policy document in its context.

    `statements` is None when the resource carries no policy at all (a KMS key with the default
    key policy, a VPC endpoint with the default full-access policy).  `complete` is False for a
    lone statement (a fragment): whole-policy rules skip it.  `known_source` says the kind comes
    from the resource that holds the policy, not from a guess on a raw document.
    """

    kind: str
    name: str
    where: Where
    statements: tuple[Statement, ...] | None
    version: str | None = None
    complete: bool = True
    known_source: bool = False
    aws_managed: bool = False
    # Facts about the resource around the policy: "bypass_policy_lockout_safety_check",
    # "service_name" of an endpoint, ...; each a Value at its own location.
    attributes: dict[str, Value] = field(default_factory=dict, compare=False, hash=False)
    resource_where: Where | None = None  # the resource block, for findings about the resource
    problems: tuple[Problem, ...] = ()
    note: str | None = None  # said with -v: how the kind was decided, what was left unknown
    # Messages start with the name: where the file position alone does not say which
    # resource a finding is about (a plan, a document shared by several resources).
    name_in_messages: bool = False
    attached: tuple[Attachment, ...] = ()
    # How this policy's source writes a resource as the home account's keys, for the fixes that
    # narrow "*": given the Value and the configured home account (None: not configured), the
    # edit, or a Fix without edits saying why it cannot be written here.
    narrow: Narrowing | None = field(default=None, compare=False, hash=False)
    # How the source splits a statement: it keeps the given actions (which need "*") and its
    # resources, and a copy after it holds the others with the narrowing fix made in it.
    split: Splitting | None = field(default=None, compare=False, hash=False)
    # Written by a tool (a Terraform plan): findings point at it, but fixes belong in its source.
    generated: bool = False


@dataclass(frozen=True)
class Grant:
    """A KMS grant resource (aws_kms_grant)."""

    name: str
    where: Where
    operations: tuple[Value, ...] | None
    grantee: Value | None
    key_id: Value | None
    constraints: Where | None  # the constraints block, None when absent
    operations_where: Where | None = None
    problems: tuple[Problem, ...] = ()
    note: str | None = None
    name_in_messages: bool = False


Subject = Policy | Grant


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    where: Where
    subject_name: str = ""
    policy_kind: str = ""
    # The statement that holds the element, when there is one in the same document: a change
    # anywhere in the statement (a new action beside an old "Resource": "*") concerns it.
    statement: Where | None = None
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        span = self.where.span()
        return (self.where.doc.path, span.line, span.column, self.rule)


def json_type_name(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages about elements of the wrong type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
