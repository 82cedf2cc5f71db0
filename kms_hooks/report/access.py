"""The access review in text, markdown (a pull request comment, $GITHUB_STEP_SUMMARY) and JSON.

Every value comes from the files under review: it is printed escaped (no control characters in
text, no markup in markdown).
"""
from __future__ import annotations

import json
import re

from kms_hooks.access import CHANGES, NOT_KEY_SCOPED, Change, Row, sort_key
from kms_hooks.escape import printable, shortened
from kms_hooks.kms.facts import ACTION_CLASS, STAR_ONLY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence

def plain(text: str) -> str:
    """Text on one line, control characters (terminal escapes, bidirectional overrides)
    escaped, very long values cut."""
    return printable(shortened(text))


def actions(row: Row) -> str:
    """`use (Decrypt, Encrypt)`; `use (all)` when the row has every action of its class."""
    # "All" of the class as far as the row's keys go: account-level actions (CreateKey,
    # ListKeys) are never granted on a key, and a key's actions never without one.
    account_level = row.keys == NOT_KEY_SCOPED
    every = {a for a, c in ACTION_CLASS.items()
             if c == row.action_class and (a in STAR_ONLY) == account_level}
    if not row.actions:
        return row.action_class
    if every and row.actions == every and len(every) > 1:
        return f"{row.action_class} (all)"
    missing = every - row.actions
    if len(every) > 6 and row.actions < every and len(missing) <= 2:
        return f"{row.action_class} (all but {', '.join(sorted(missing))})"
    return f"{row.action_class} ({', '.join(sorted(row.actions))})"


def conditions(row: Row) -> str:
    return "; ".join(row.conditions) if row.conditions else "no conditions"


def places(row: Row) -> str:
    """`main.tf:12`, or `main.tf:12, 30` for a row that several statements grant."""
    lines = [place.rpartition(":")[2] for place in row.where]
    return f"{row.path}:{', '.join(lines)}"


def _line(row: Row) -> str:
    also = ""
    if len(row.where) > 1:
        also = f" (also line {', '.join(p.rpartition(':')[2] for p in row.where[1:])})"
    return plain(f"{row.where[0]}: {row.grantee} · {actions(row)} · {row.keys} · "
                 f"{conditions(row)}{also}")


def text(rows: Sequence[Row]) -> str:
    return "".join(_line(row) + "\n" for row in rows)


def text_changes(changes: Sequence[Change]) -> str:
    lines = []
    for change in changes:
        line = f"{change.change:<8} {_line(change.row)}"
        if change.why:
            line += plain(f"  ({'; '.join(change.why)})")
        lines.append(line)
    return "".join(line + "\n" for line in lines)


# Markdown ----------------------------------------------------------------------------------------

_MARKUP = re.compile(r"([\\`*_\[\]<>|~&@])")


def _md(text: str) -> str:
    return _MARKUP.sub(r"\\\1", plain(text)).replace("\n", " ")


def markdown(rows: Sequence[Row]) -> str:
    out = ["### KMS access", ""]
    if not rows:
        return "\n".join(out + ["No KMS access is granted in the files reviewed.", ""])
    for grantee, group in _by_grantee([(None, r) for r in rows]):
        out += [f"**{_md(grantee)}**", "", "| access | keys | conditions | where |",
                "|---|---|---|---|"]
        for _, row in group:
            out.append(f"| {_md(actions(row))} | {_md(row.keys)} | {_md(conditions(row))} | "
                       f"{_md(places(row))} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def markdown_changes(changes: Sequence[Change]) -> str:
    counts = {name: sum(1 for c in changes if c.change == name) for name in CHANGES}
    out = ["### KMS access changes", ""]
    if not changes:
        return "\n".join(out + ["This change adds, widens or removes no KMS access.", ""])
    out += [", ".join(f"{n} {name}" for name, n in counts.items() if n), ""]
    for grantee, group in _by_grantee([(c, c.row) for c in changes]):
        out += [f"**{_md(grantee)}**", "",
                "| change | access | keys | conditions | where |", "|---|---|---|---|---|"]
        for change, row in group:
            assert change is not None
            what = change.change + (f": {'; '.join(change.why)}" if change.why else "")
            out.append(f"| {_md(what)} | {_md(actions(row))} | {_md(row.keys)} | "
                       f"{_md(conditions(row))} | {_md(places(row))} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _by_grantee(items: list[tuple[Change | None, Row]]) -> list[
        tuple[str, list[tuple[Change | None, Row]]]]:
    """Items grouped by grantee: grantees with widened, then added access first (the order of
    the changes), each group in the order given."""
    groups: dict[str, list[tuple[Change | None, Row]]] = {}
    for item in items:
        groups.setdefault(f"{item[1].grantee} ({item[1].path})", []).append(item)

    def rank(entry: tuple[str, list[tuple[Change | None, Row]]]) -> tuple[int, str]:
        best = min((CHANGES.index(c.change) for c, _ in entry[1] if c is not None), default=0)
        return best, entry[0]

    return sorted(groups.items(), key=rank)


# JSON --------------------------------------------------------------------------------------------


def row_fields(row: Row) -> dict[str, Any]:
    return {"grantee": row.grantee, "class": row.action_class,
            "actions": sorted("kms:" + a for a in row.actions), "keys": row.keys,
            "conditions": list(row.conditions), "where": list(row.where)}


def json_rows(rows: Sequence[Row]) -> str:
    return json.dumps([row_fields(r) for r in sorted(rows, key=sort_key)], indent=2) + "\n"


def json_changes(changes: Sequence[Change]) -> str:
    found = []
    for change in changes:
        fields: dict[str, Any] = {"change": change.change, **row_fields(change.row)}
        if change.before is not None and change.change != "removed":
            fields["before"] = row_fields(change.before)
        if change.why:
            fields["why"] = list(change.why)
        found.append(fields)
    return json.dumps(found, indent=2) + "\n"


def renderers(name: str) -> tuple[Callable[[Sequence[Row]], str],
                                  Callable[[Sequence[Change]], str]]:
    """The renderers of rows and of changes for a format name."""
    return {"text": (text, text_changes), "markdown": (markdown, markdown_changes),
            "json": (json_rows, json_changes)}[name]
