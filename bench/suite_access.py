"""The access review: `kms-policies access` over the templates of ../shared/corpus/cloudformation
(the repository's fixtures when it is absent) against the check of the same files, in one process
each, timed inside it (imports included).  Target: within 2 times the check.
"""
from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
from suite_raw import ROOT, timed_inside, tool_program  # noqa: E402  (the same way of timing)

FOLDER = ROOT.parent / "shared" / "corpus" / "cloudformation"

CHECK = tool_program("main")
ACCESS = """
import sys, time
start = time.perf_counter()
from kms_hooks.cli import main
sys.stdout = open("/dev/null", "w")
main(["access", "-q", sys.argv[1]])
print(time.perf_counter() - start, file=sys.stderr)
"""


def run() -> list[tuple[str, float, str, float]]:
    folder = FOLDER if FOLDER.is_dir() else ROOT / "fixtures"
    where = "the corpus templates" if FOLDER.is_dir() else "the fixtures"
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    timed_inside(ACCESS, folder, 1)  # writes bytecode
    check = timed_inside(CHECK, folder, 5)
    access = timed_inside(ACCESS, folder, 5)
    return [(f"kms-policies access on {where} ({count} files)", access,
             "kms-policies (the check) on the same files", check)]
