"""Text from a repository made safe to print: every line the tool writes goes through here.

A file name or a policy value is chosen by whoever wrote the pull request.  Printed raw, a
newline in it starts a line of its own (GitHub reads `::error ...` workflow commands from both
streams), a terminal escape sequence repaints the screen, and a lone surrogate stops the
output with an encoding error.  `printable` writes all of these visibly escaped, and
`shortened` cuts the values that messages echo to a length a reader can take in.
"""
from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the bidirectional
# overrides and isolates (which reorder what a reader sees), and lone surrogates (from file
# names that are not UTF-8, or from `\ud800` escapes in JSON), which no stream can encode.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# A run of characters without a space longer than this is a value, not prose: cut it.
LONGEST_RUN = 200
_LONG_RUN = re.compile(r"\S{%d,}" % (LONGEST_RUN + 1))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line, with control characters, line breaks, terminal escapes, bidi
    controls and lone surrogates written as `\\n`, `\\x1b`, `\\u2028`, `\\udc80`."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def _cut(match: re.Match[str]) -> str:
    run = match.group()
    return f"{run[:LONGEST_RUN - 40]}...({len(run):,} characters)"


def shortened(text: str) -> str:
    """`text` with each run of more than LONGEST_RUN non-space characters cut: a message
    quoting a 10 MB action says so in a line, not in 10 MB."""
    if len(text) <= LONGEST_RUN:
        return text
    return _LONG_RUN.sub(_cut, text)


def token(text: str, most: int = 16) -> str:
    """A short, escaped quotation of the text at a parse error: enough to find the place,
    never the content of a file that should not have been read."""
    first = text.strip().split("\n", 1)[0] if text.strip() else ""
    if len(first) > most:
        first = first[:most] + "..."
    return printable(first)
