"""Rule documentation as `--explain`, `--list-rules` and docs/rules.md show it."""
from __future__ import annotations

import textwrap

from kms_hooks.rules import Rule, all_rules


def explain(rule: Rule) -> str:
    doc = rule.doc
    kinds = ", ".join(sorted(rule.kinds))
    parts = [
        f"{rule.id} {rule.name} (default severity: {rule.severity})",
        "",
        f"Applies to: {rule.applies}." if rule.applies
        else f"Applies to: {kinds} policies." if "grant" not in rule.kinds
        else f"Applies to: {kinds}.",
        "",
        "What it finds",
        _indent(doc.finds),
        "Why it matters",
        _indent(doc.why),
        "Bad",
        _indent(doc.bad, code=True),
        "Good",
        _indent(doc.good, code=True),
        "AWS guidance",
        _indent(doc.guidance),
    ]
    if doc.suppress:
        parts += ["When the broad grant is deliberate", _indent(doc.suppress)]
    return "\n".join(parts)


def _indent(text: str, code: bool = False) -> str:
    body = textwrap.dedent(text).strip("\n")
    if not code:
        body = "\n\n".join(textwrap.fill(p, 96) for p in body.split("\n\n"))
    return textwrap.indent(body, "    ") + "\n"


def rule_table() -> str:
    rules = all_rules()
    width = max(len(r.name) for r in rules)
    lines = [f"{r.id}  {r.name:<{width}}  {r.severity:<7}  {r.summary}" for r in rules]
    return "\n".join(lines) + "\n"


def rules_json() -> str:
    """The rule table as JSON, for `--list-rules --format json`."""
    import json

    return json.dumps([{"id": r.id, "name": r.name, "severity": r.severity, "summary": r.summary,
                        "kinds": sorted(r.kinds)} for r in all_rules()], indent=2) + "\n"


def markdown() -> str:
    """docs/rules.md: generated from the rules themselves; a test keeps the file in sync."""
    out = [
        "# Rules",
        "",
        "Generated from the rules' own documentation by `python -m kms_hooks.rules.docs`;"
        " `kms-policies --explain ID` prints the same text.",
        "",
        "| id | name | severity | applies to | fires when |",
        "|---|---|---|---|---|",
    ]
    rules = all_rules()
    for r in rules:
        kinds = r.applies or ", ".join(sorted(r.kinds))
        out.append(f"| [{r.id}](#{r.id.lower()}) | {r.name} | {r.severity} | {kinds} | "
                   f"{r.summary} |")
    for r in rules:
        doc = r.doc
        out += ["", f"## {r.id}", "", f"**{r.name}**, default severity *{r.severity}*.", "",
                "### What it finds", "", textwrap.dedent(doc.finds).strip(), "",
                "### Why it matters", "", textwrap.dedent(doc.why).strip(), "",
                "### Bad", "", "```", textwrap.dedent(doc.bad).strip("\n"), "```", "",
                "### Good", "", "```", textwrap.dedent(doc.good).strip("\n"), "```", "",
                "### AWS guidance", "", textwrap.dedent(doc.guidance).strip()]
        if doc.suppress:
            out += ["", "### When the broad grant is deliberate", "",
                    textwrap.dedent(doc.suppress).strip()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import pathlib

    target = pathlib.Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    target.write_text(markdown(), encoding="utf-8")
