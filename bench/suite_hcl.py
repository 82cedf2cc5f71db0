"""Terraform HCL (`../shared/corpus/terraform-hcl`): the tool against parsing the same `.tf`
files alone with tree-sitter, and a `kms-terraform` call against `checkov -d` on the folder
when checkov is installed (on PATH, or named by KMS_BENCH_CHECKOV).

Target: at least 30 times faster than checkov.  The folder timings are taken inside a fresh
process each (imports included, interpreter start excluded), so both sides pay the same
start-up; the checkov comparison times whole commands, interpreter start included.  Each
figure is the median of several runs (checkov: one run, it takes seconds).
"""
from __future__ import annotations

import os
import pathlib
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_raw import ROOT, timed_call, timed_inside, tool_program  # noqa: E402  (the same way of timing)

FOLDER = ROOT.parent / "shared" / "corpus" / "terraform-hcl"
RUNS = 5

TOOL = tool_program("main_terraform")
BASELINE = """
import sys, time
start = time.perf_counter()
import os
import tree_sitter_hcl
from tree_sitter import Language, Parser
parser = Parser(Language(tree_sitter_hcl.language()))
for root, dirs, names in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(names):
        if name.endswith(".tf"):
            with open(os.path.join(root, name), "rb") as handle:
                parser.parse(handle.read())
print(time.perf_counter() - start, file=sys.stderr)
"""


def run() -> list[tuple[str, float, str, float]]:
    if not FOLDER.is_dir():
        return []
    count = sum(1 for _ in FOLDER.rglob("*.tf"))
    timed_inside(TOOL, FOLDER, 1)  # writes bytecode
    rows = [(f"terraform-hcl, {count} .tf files", timed_inside(TOOL, FOLDER, RUNS),
             "tree-sitter parse alone", timed_inside(BASELINE, FOLDER, RUNS))]
    checkov = os.environ.get("KMS_BENCH_CHECKOV") or shutil.which("checkov")
    if checkov:
        tool = [sys.executable, "-c", "import sys; from kms_hooks.cli import main_terraform; "
                "sys.exit(main_terraform(sys.argv[1:]))", "-q", str(FOLDER)]
        rows.append((f"kms-terraform call, {count} .tf files", timed_call(tool, RUNS),
                     "checkov -d (terraform)", timed_call(
                         [checkov, "-d", str(FOLDER), "--framework", "terraform", "--quiet",
                          "--compact"], 1)))
    return rows
