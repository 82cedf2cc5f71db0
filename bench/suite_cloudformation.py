"""CloudFormation templates: the tool over the templates of ../shared/corpus/cloudformation (the
repository's template fixtures when it is absent) against plain parsing of the same files
(`json.load`, and YAML's C loader with CloudFormation's tags tolerated), and one process of
kms-cloudformation against one process of cfn-lint on the same files when cfn-lint is installed.

Targets: within 3 times plain parsing; at least 30 times faster than cfn-lint.  The parsing
figures are the median of several runs, each in a fresh process, timed inside it (imports
included, interpreter start excluded); the cfn-lint comparison is wall time of whole processes.
"""
from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_raw import ROOT, timed_call, timed_inside, tool_program  # noqa: E402  (the same way of timing)

FOLDER = ROOT.parent / "shared" / "corpus" / "cloudformation"

# Both programs read and parse every file listed (one per line) in the file they are given, and
# print how long that took.
TOOL = tool_program("main_cloudformation", "*open(sys.argv[1]).read().splitlines()")
BASELINE = """
import sys, time
start = time.perf_counter()
import json, yaml

class Loader(yaml.CSafeLoader):
    pass

def tolerate(loader, suffix, node):  # !Ref, !Sub ...: without this, templates do not load
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)

Loader.add_multi_constructor("!", tolerate)
for path in open(sys.argv[1]).read().splitlines():
    with open(path, "rb") as handle:
        if path.endswith(".json"):
            json.load(handle)
        else:
            yaml.load(handle, Loader=Loader)
print(time.perf_counter() - start, file=sys.stderr)
"""


def templates() -> tuple[str, list[str]]:
    if FOLDER.is_dir():
        return "the corpus", sorted(str(p) for p in FOLDER.rglob("*") if p.is_file())
    fixtures = sorted(ROOT.glob("fixtures/*/cloudformation-*"))
    return "the fixtures", [str(p) for p in fixtures]


def run() -> list[tuple[str, float, str, float]]:
    where, files = templates()
    if not files:
        return []
    rows = []
    groups = [("", "json.load / YAML CSafeLoader", files),
              (" (YAML)", "YAML CSafeLoader", [f for f in files if not f.endswith(".json")]),
              (" (JSON)", "json.load", [f for f in files if f.endswith(".json")])]
    with tempfile.TemporaryDirectory() as scratch:
        for index, (suffix, parser, group) in enumerate(groups):
            if not group:
                continue
            listed = pathlib.Path(scratch, f"files-{index}")
            listed.write_text("\n".join(group))
            if index == 0:
                timed_inside(TOOL, listed, 1)  # writes bytecode
            baseline = timed_inside(BASELINE, listed, 5)
            rows.append((f"kms-cloudformation on {where}{suffix}, {len(group)} files",
                         timed_inside(TOOL, listed, 5), f"{parser} of the same files", baseline))
    command = [sys.executable, "-c", "import sys; from kms_hooks.cli import main_cloudformation;"
               " sys.exit(main_cloudformation(['-q', *sys.argv[1:]]))"]
    one = [f for f in files if not f.endswith(".json")][:1] or files[:1]
    python = timed_call([sys.executable, "-c", "pass"], 11)
    rows.append(("kms-cloudformation process, one template", timed_call(command + one, 11),
                 "python -c pass", python))
    cfn_lint = shutil.which("cfn-lint")
    if cfn_lint:
        # cfn-lint takes a minute or more on the corpus: one run of it, three of the tool.
        tool = timed_call(command + files, 3)
        rows.append((f"kms-cloudformation process, {len(files)} files", tool,
                     "cfn-lint process, the same files", timed_call([cfn_lint, *files], 1)))
    return rows
