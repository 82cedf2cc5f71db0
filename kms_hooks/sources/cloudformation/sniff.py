"""Whether a file may be a template: decided without loading the template reader, which a
run over policy files and Terraform never needs."""
from __future__ import annotations

from kms_hooks.sources.base import ParseError, SourceFile


# identify's tags of names that say nothing of the format (`.txt`), beside names it does not know
# at all (`.template`, `.cfn`, no extension): such files are templates if their content says so.
_UNTYPED_TAGS = frozenset({"text", "plain-text"})


def template_format(file: SourceFile) -> str | None:
    """"json" or "yaml" when the file may be a template: a JSON or YAML file that mentions
    `Resources` and `AWS::`, or a file of an untyped name (`app.template`) whose content does and
    reads as text; JSON when that content starts with `{`."""
    if "format" in file.cache:
        found: str | None = file.cache["format"]
        return found
    tags = file.extension_tags
    found = None
    if "json" in tags or "yaml" in tags:
        text = file.text
        if "Resources" in text and "AWS::" in text:
            found = "json" if "json" in tags else "yaml"
    elif tags <= _UNTYPED_TAGS and _mentions_resources(file):
        try:
            text = file.text
        except ParseError:
            text = ""  # not text: a binary file that happens to hold the words
        if text:
            found = "json" if text.lstrip().startswith("{") else "yaml"
    file.cache["format"] = found
    return found


def _mentions_resources(file: SourceFile) -> bool:
    try:
        content = file.content
    except ParseError:
        return False  # unreadable, and of no known format: not this source's to report
    return b"AWS::" in content and b"Resources" in content


def may_be_template(file: SourceFile) -> bool:
    return template_format(file) is not None
