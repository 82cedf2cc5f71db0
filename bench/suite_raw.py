"""Raw policy JSON: the tool over a folder of policies against plain `json.load` of the same
files, and one hook call on one small file against `python -c pass`.

Targets: the folder at most 3 times json.load; one call at most 40 ms more than Python's start.
Each figure is the fastest of several runs, each in a fresh process, the tool and its
baseline taking turns.  The folder is timed inside the process (imports included, interpreter
start excluded, nothing cached from a previous run), then as whole processes.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDER = ROOT.parent / "shared" / "corpus" / "managed-policies"
SMALL = ROOT / "fixtures" / "bad" / "reader-policy.json"
# As installed: pip compiles the package's bytecode, so the runs use it too (the first run
# writes it when the environment would not).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "PYTHONPATH": str(ROOT)}

# Both programs walk the folder, read and parse every file, and print how long that took.
def tool_program(entry: str, arguments: str = "sys.argv[1]") -> str:
    """A program that imports a hook's entry point, runs it quietly on `arguments` and prints
    how long that took, imports included."""
    return f"""
import sys, time
start = time.perf_counter()
from kms_hooks.cli import {entry}
sys.stdout = open("/dev/null", "w")
{entry}(["-q", {arguments}])
print(time.perf_counter() - start, file=sys.stderr)
"""


TOOL = tool_program("main")
BASELINE = """
import sys, time
start = time.perf_counter()
import json, os
for root, dirs, names in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(names):
        with open(os.path.join(root, name), "rb") as handle:
            json.load(handle)
print(time.perf_counter() - start, file=sys.stderr)
"""


def inside(program: str, folder: pathlib.Path) -> float:
    """Seconds one run of `program` reports, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", program, str(folder)], env=ENV,
                          capture_output=True, text=True, check=False)
    return float(done.stderr.strip().splitlines()[-1])


def whole(command: list[str]) -> float:
    """Seconds one run of `command` takes, interpreter start included."""
    start = time.perf_counter()
    subprocess.run(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - start


def timed_inside(program: str, folder: pathlib.Path, runs: int) -> float:
    """The median of `runs` runs of `inside` (for the suites that time one program alone)."""
    return statistics.median(inside(program, folder) for _ in range(runs))


def timed_call(command: list[str], runs: int) -> float:
    """The median of `runs` runs of `whole`."""
    return statistics.median(whole(command) for _ in range(runs))


def alternating(tool: Callable[[], float], baseline: Callable[[], float],
                runs: int) -> tuple[float, float]:
    """The fastest of `runs` runs of each, the two taking turns: on a shared machine a busy
    moment slows whichever runs then, and the fastest run is the one least disturbed."""
    tool_times, baseline_times = [], []
    for _ in range(runs):
        baseline_times.append(baseline())
        tool_times.append(tool())
    return min(tool_times), min(baseline_times)


def run() -> list[tuple[str, float, str, float]]:
    rows = []
    inside(TOOL, SMALL)  # writes bytecode
    if FOLDER.is_dir():
        count = sum(1 for p in FOLDER.rglob("*") if p.is_file())
        tool, baseline = alternating(lambda: inside(TOOL, FOLDER),
                                     lambda: inside(BASELINE, FOLDER), 7)
        rows.append((f"kms-policies on managed-policies ({count} files)", tool,
                     "json.load of the same files", baseline))
        # The same, as whole processes: what a user waits for, interpreter start included.
        tool, baseline = alternating(
            lambda: whole([sys.executable, "-m", "kms_hooks", "-q", str(FOLDER)]),
            lambda: whole([sys.executable, "-c", BASELINE, str(FOLDER)]), 7)
        rows.append(("  as whole processes", tool, "  json.load loop as a process", baseline))
    runs = 15
    whole([sys.executable, "-m", "kms_hooks", str(SMALL)])  # writes bytecode
    tool, python = alternating(lambda: whole([sys.executable, "-m", "kms_hooks", str(SMALL)]),
                               lambda: whole([sys.executable, "-c", "pass"]), runs)
    rows.append(("python -m kms_hooks on one small file", tool, "python -c pass", python))
    script = shutil.which("kms-policies")
    if script:
        tool, python = alternating(lambda: whole([script, str(SMALL)]),
                                   lambda: whole([sys.executable, "-c", "pass"]), runs)
        rows.append((f"{script} on one small file", tool, "python -c pass", python))
    return rows
