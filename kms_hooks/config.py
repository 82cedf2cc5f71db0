"""The user's configuration: `[tool.kms-hooks]` in pyproject.toml, or a `.kms-hooks.toml`.

The file is found from the current directory up to the root of the git work tree (only the
current directory outside git); `--config FILE` names it instead.  Every key is checked: an
unknown key or a bad value is an error that names the file and the key, never ignored.
"""
from __future__ import annotations

import os
import re
import sys
from kms_hooks.records import dataclass, field

from kms_hooks.files import git_above
from kms_hooks.model import ENDPOINT, GUARDRAIL, IDENTITY, KEY, SEVERITIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

FAIL_ON = (*SEVERITIES, "never")
EXTRACT_KINDS = (IDENTITY, KEY, ENDPOINT, GUARDRAIL)
PYPROJECT = "pyproject.toml"
OWN_FILE = ".kms-hooks.toml"


class UsageError(Exception):
    """The tool cannot run as asked (exit 2); the message is one line, ready to print."""


class ConfigError(UsageError):
    """A configuration file that cannot be used."""


@dataclass(frozen=True)
class Extract:
    """Policies of a team's own format: `path` (JMESPath) in files matching `files`."""

    files: str
    path: str
    kind: str
    expression: Any = field(compare=False, repr=False)  # the compiled JMESPath


@dataclass(frozen=True)
class Config:
    """Settings read from a file; None or empty where the file does not set them."""

    file: str | None = None
    root: str = "."  # globs (per-file-ignores, extract files) are relative to this directory
    trusted_accounts: tuple[str, ...] | None = None
    account: str | None = None  # the home account: unsafe fixes in raw JSON name its keys
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    fail_on: str | None = None
    sensitive_actions: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    extract: tuple[Extract, ...] = ()


def find(start: str = ".") -> str | None:
    """The configuration file that applies in `start`: pyproject.toml with a [tool.kms-hooks]
    table, else .kms-hooks.toml, in `start` or a parent up to the git work tree's root."""
    directory = os.path.abspath(start)
    while True:
        pyproject = os.path.join(directory, PYPROJECT)
        if os.path.isfile(pyproject) and _has_our_table(pyproject):
            return pyproject
        own = os.path.join(directory, OWN_FILE)
        if os.path.isfile(own):
            return own
        if os.path.exists(os.path.join(directory, ".git")):
            return None  # the root of the work tree: a config above it belongs to something else
        parent = os.path.dirname(directory)
        if parent == directory or not git_above(parent):
            return None
        directory = parent


# A configuration file is a few lines; `--config /dev/zero` or a huge file is not one.
CONFIG_BYTES = 1024 * 1024


def _has_our_table(path: str) -> bool:
    # A cheap look first: most pyproject.toml files are not ours, and need not be parsed.
    from kms_hooks.files import Unreadable, read_regular

    try:
        raw = read_regular(path, limit=CONFIG_BYTES)
    except Unreadable:
        return False
    if b"kms-hooks" not in raw:
        return False
    tool = _parse(os.path.relpath(path), raw).get("tool")
    return isinstance(tool, dict) and "kms-hooks" in tool


def load(path: str | None = None, start: str = ".") -> Config:
    """The configuration from `path`, or from the file found from `start`; empty when none."""
    if path is None:
        found = find(start)
        if found is None:
            return Config(root=os.path.abspath(start))
        path = os.path.relpath(found)  # named in messages as the user would type it
    from kms_hooks.files import Unreadable, read_regular

    try:
        raw = read_regular(path, limit=CONFIG_BYTES)
    except Unreadable as error:
        raise ConfigError(f"{path}: cannot read the configuration file: "
                          f"{error.detail}") from None
    data = _parse(path, raw)
    tool = data.get("tool")
    if isinstance(tool, dict) and "kms-hooks" in tool:
        table = tool["kms-hooks"]
        where = f"{path}: [tool.kms-hooks]"
    elif os.path.basename(path) == PYPROJECT:
        raise ConfigError(f"{path}: has no [tool.kms-hooks] table")
    else:
        table = data
        where = path
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    return _read(table, where, path)


def _parse(path: str, raw: bytes) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from None


_KEYS = ("trusted-accounts", "account", "select", "ignore", "fail-on", "sensitive-actions",
         "per-file-ignores", "severity", "extract")


def _read(table: dict[str, Any], where: str, path: str) -> Config:
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{_did_you_mean(key, _KEYS)}")
    config = Config(file=path, root=os.path.dirname(os.path.abspath(path)))
    values: dict[str, Any] = {}
    if "trusted-accounts" in table:
        accounts = _strings(table, "trusted-accounts", where)
        for account in accounts:
            if not re.fullmatch(r"\d{12}", account):
                raise ConfigError(f"{where}: trusted-accounts: {account!r} is not a 12-digit "
                                  "account id")
        values["trusted_accounts"] = accounts
    if "account" in table:
        account = table["account"]
        if not isinstance(account, str) or not re.fullmatch(r"\d{12}", account):
            raise ConfigError(f"{where}: account: {account!r} is not a 12-digit account id")
        values["account"] = account
    for key in ("select", "ignore"):
        if key in table:
            values[key] = _rule_names(_strings(table, key, where), f"{where}: {key}")
    if "fail-on" in table:
        fail_on = table["fail-on"]
        if fail_on not in FAIL_ON:
            raise ConfigError(f"{where}: fail-on must be one of {', '.join(FAIL_ON)}, "
                              f"not {fail_on!r}")
        values["fail_on"] = fail_on
    if "sensitive-actions" in table:
        values["sensitive_actions"] = tuple(_sensitive_actions(table, where))
    if "per-file-ignores" in table:
        values["per_file_ignores"] = tuple(_per_file_ignores(table["per-file-ignores"], where))
    if "severity" in table:
        values["severity"] = _severities(table["severity"], where)
    if "extract" in table:
        values["extract"] = tuple(_extracts(table["extract"], where))
    return Config(**{**config.__dict__, **values})


def _did_you_mean(key: str, choices: tuple[str, ...] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(choices)}"


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, such as [\"...\"], "
                          f"not {_toml_type(value)}")
    return tuple(value)


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list with non-string entries"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _rule_names(names: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Rule ids or prefixes, names (`resource-star`) turned into ids, comma lists split."""
    from kms_hooks.rules import as_ids, iter_matching, split_names

    names = split_names(names)
    for name in names:
        if not any(True for _ in iter_matching([name])):
            raise ConfigError(f"{where}: no rule matches {name!r}; see --list-rules")
    return as_ids(names)


def _sensitive_actions(table: dict[str, Any], where: str) -> Iterator[str]:
    from kms_hooks.kms.facts import canonical

    for action in _strings(table, "sensitive-actions", where):
        service, _, name = action.rpartition(":")
        found = canonical(name) if service.lower() in ("", "kms") else None
        if found is None:
            raise ConfigError(f"{where}: sensitive-actions: {action!r} is not a KMS action "
                              "(write it as kms:ActionName)")
        yield found


def _per_file_ignores(value: Any, where: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of glob = [rule ids], "
                          f"not {_toml_type(value)}")
    for pattern in value:
        ids = _strings(value, pattern, f"{where}: per-file-ignores")
        yield pattern, _rule_names(ids, f"{where}: per-file-ignores {pattern!r}")


def _severities(value: Any, where: str) -> dict[str, str]:
    from kms_hooks.rules import get

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: severity must be a table of rule id = severity, "
                          f"not {_toml_type(value)}")
    chosen: dict[str, str] = {}
    for rule_id, severity in value.items():
        found = get(rule_id)
        if found is None:
            raise ConfigError(f"{where}: severity: no rule {rule_id!r}; see --list-rules")
        if severity not in SEVERITIES:
            raise ConfigError(f"{where}: severity: {rule_id} must be one of "
                              f"{', '.join(SEVERITIES)}, not {severity!r}")
        chosen[found.id] = severity
    return chosen


_EXTRACT_KEYS = ("files", "path", "kind")


def _extracts(value: Any, where: str) -> Iterator[Extract]:
    import jmespath
    from jmespath.exceptions import JMESPathError

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: extract must be a list of tables "
                          "({files = GLOB, path = JMESPATH, kind = KIND}), "
                          f"not {_toml_type(value)}")
    for index, entry in enumerate(value):
        at = f"{where}: extract[{index}]"
        for key in entry:
            if key not in _EXTRACT_KEYS:
                raise ConfigError(f"{at}: unknown key {key!r}{_did_you_mean(key, _EXTRACT_KEYS)}")
        for key in _EXTRACT_KEYS:
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ConfigError(f"{at}: {key} must be a non-empty string")
        if entry["kind"] not in EXTRACT_KINDS:
            raise ConfigError(f"{at}: kind must be one of {', '.join(EXTRACT_KINDS)}, "
                              f"not {entry['kind']!r}")
        try:
            expression = jmespath.compile(entry["path"])
        except JMESPathError as error:
            detail = " ".join(str(error).split())
            raise ConfigError(f"{at}: path {entry['path']!r} is not a valid JMESPath "
                              f"expression: {detail}") from None
        yield Extract(entry["files"], entry["path"], entry["kind"], expression)


def glob_matches(pattern: str, path: str, root: str) -> bool:
    """Whether `path` (as given on the command line) matches `pattern`, a glob relative to
    `root`.  `*` matches across directories; a pattern without `/` matches the file name at
    any depth; a leading `**/` also matches at the top."""
    import fnmatch

    relative = _relative(path, root)
    if "/" not in pattern:
        return fnmatch.fnmatchcase(relative.rpartition("/")[2], pattern)
    pattern = pattern.lstrip("/") if not pattern.startswith("**/") else pattern
    if fnmatch.fnmatchcase(relative, pattern):
        return True
    return pattern.startswith("**/") and fnmatch.fnmatchcase(relative, pattern[3:])


_RELATIVE: dict[tuple[str, str], str] = {}


def _relative(path: str, root: str) -> str:
    key = (path, root)
    found = _RELATIVE.get(key)
    if found is None:
        found = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        _RELATIVE[key] = found
    return found
