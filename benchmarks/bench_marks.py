"""Benchmark: marking 500 answer sheets of the 2-2-2 backpropagation problem with a policy.

Run from the repository root:  python benchmarks/bench_marks.py [--sheets 500] [--repeat 3]

The sheets come from tests/marking_class.py (worked by hand, independently of dlcalc: honest
sheets, one planted slip, the sse convention, gaming values of 0 or 1, blanks).  The problem
is examples/mazur.yaml with `ask:` its 12 asked quantities and `marks: {carried_forward:
0.5, tolerance: {mode: significant, value: 3}}`.  Two measurements (issue 27: under 10 s):

* the whole command: ``dlcalc check PROBLEM sheets/*.yaml --report marks.csv`` (wall and CPU
  time of the child process, median of ``--repeat`` runs);
* in process: reading, judging, scoring and reporting the sheets (the solve excluded).

It also checks every score against the hand-worked expectation, so a fast wrong answer fails.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.marking_class import ASK, expected, generate, significant  # noqa: E402

MARKS = "marks: {carried_forward: 0.5, tolerance: {mode: significant, value: 3}}"


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    planted = generate(args.sheets, seed=27)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        problem = folder / "mazur-marks.yaml"
        problem.write_text(
            (ROOT / "examples/mazur.yaml").read_text(encoding="utf-8")
            + f"\nask: [{', '.join(ASK)}]\n{MARKS}\n",
            encoding="utf-8",
        )
        sheets = folder / "sheets"
        sheets.mkdir()
        paths = []
        for p in planted:
            path = sheets / f"{p.student}.yaml"
            path.write_text(p.sheet(), encoding="utf-8")
            paths.append(str(path))
        report = folder / "marks.csv"
        command = [sys.executable, "-m", "dlcalc", "check", str(problem), *paths]
        command += ["--report", str(report)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}

        walls, cpus = [], []
        for _ in range(args.repeat):
            before = child_cpu()
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, env=env, check=False)
            walls.append(time.perf_counter() - start)
            cpus.append(child_cpu() - before)
            if done.returncode not in (0, 1):
                sys.exit(done.stderr.decode())
        rows = list(csv.DictReader(report.open(encoding="utf-8")))
        scores = [expected(p, 0.5, tol=significant(3)) for p in planted]
        wrong = [
            (p.student, row["score"], score)
            for p, row, score in zip(planted, rows, scores)
            if abs(float(row["score"]) - score) > 1e-9
        ]

        from dlcalc.app.commands import solve
        from dlcalc.app.commands import variants as variants_of
        from dlcalc.app.settings import Settings
        from dlcalc.grading.class_report import mark_sheets
        from dlcalc.grading.marking import load_policy
        from dlcalc.specs.loader import load

        doc = load(str(problem))
        settings = Settings()
        solution = solve("backprop", doc, settings)
        variants = variants_of("backprop", doc, settings)
        policy = load_policy(doc)
        inner = []
        for _ in range(args.repeat):
            start = time.process_time()
            marks = mark_sheets(solution, paths, None, None, variants, 4, policy)
            marks.to_csv()
            marks.to_markdown()
            inner.append(time.process_time() - start)

    print(f"{args.sheets} sheets of the 2-2-2 backprop problem, marked with {MARKS}")
    print(
        f"  dlcalc check … --report marks.csv: wall {statistics.median(walls):.2f} s, "
        f"CPU {statistics.median(cpus):.2f} s (median of {args.repeat})"
    )
    print(f"  in process (read, judge, score, report): CPU {statistics.median(inner):.2f} s")
    print(f"  scores that differ from the hand-worked expectation: {len(wrong)}")
    if wrong:
        sys.exit(f"wrong scores: {wrong[:5]}")


if __name__ == "__main__":
    main()
