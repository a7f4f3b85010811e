"""Benchmark: checking a 4,000-claim answer sheet against solving the problem alone.

Run from the repository root:  python benchmarks/bench_check.py [--repeat 5] [--claims 4000]

The problem is a 6-12-6 sigmoid network trained online on four examples with every update
written out (``--every-step``), which records about 5,000 steps; the sheet claims the first
``--claims`` of them to 6 decimals.  Two sheets: every claim right, and the same with one
slip (a wrong value, which also makes ``check`` try the textbook conventions, re-solving
the problem for each variant that applies).  Two measurements, medians of ``--repeat`` runs:

* in process: building the solution, against building it, reading the sheet, judging it
  and marking the solution (what ``check`` adds before rendering);
* whole commands: ``dlcalc backprop P --every-step -f json`` against
  ``dlcalc check P S --every-step -f json``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def problem_text(seed: int = 1) -> str:
    rng = random.Random(seed)
    sizes = [6, 12, 6]

    def row(n: int) -> str:
        return "[" + ", ".join(f"{rng.uniform(-0.5, 0.5):.3f}" for _ in range(n)) + "]"

    lines = ["command: backprop", "learning_rate: 0.5", "loss: half_sse", "epochs: 3", "examples:"]
    for _ in range(4):
        lines.append(f"  - input: {row(6)}")
        lines.append(
            "    target: [" + ", ".join(f"{rng.uniform(0.1, 0.9):.2f}" for _ in range(6)) + "]"
        )
    lines.append("layers:")
    for i in range(1, len(sizes)):
        lines.append("  - activation: sigmoid")
        lines.append("    weights:")
        for _ in range(sizes[i]):
            lines.append(f"      - {row(sizes[i - 1])}")
        lines.append(f"    bias: {row(sizes[i])}")
    return "\n".join(lines) + "\n"


def timed(fn, repeat: int, clock=time.perf_counter) -> float:
    """The median time of ``repeat`` calls of ``fn`` on ``clock`` (wall, or process CPU time)."""
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--claims", type=int, default=4000)
    args = parser.parse_args()

    from dlcalc.app.commands import solve as solve_command
    from dlcalc.app.settings import Settings
    from dlcalc.specs.loader import load

    tmp = Path(tempfile.mkdtemp())
    problem = tmp / "problem.yaml"
    problem.write_text(problem_text(), encoding="utf-8")
    settings = Settings(every_step=True)
    solution = solve_command("backprop", load(str(problem)), settings)
    steps = [s for s in solution.iter_steps() if isinstance(s.value, float)]
    lines = [f"{step.label}: {step.value:.6f}" for step in steps[: args.claims]]
    print(f"{len(steps):,} steps; sheets of {len(lines):,} claims")
    right_path = tmp / "right.yaml"
    right_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slip_path = tmp / "slip.yaml"
    lines[3] = f"{steps[3].label}: {steps[3].value + 0.01:.6f}"
    slip_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for title, sheet_path in (("all right", right_path), ("one slip", slip_path)):
        measure(title, problem, sheet_path, settings, args.repeat)


def measure(title: str, problem: Path, sheet_path: Path, settings, repeat: int) -> None:
    from dlcalc.app.commands import solve as solve_command
    from dlcalc.grading.checking import check_sheet, load_sheet, marked
    from dlcalc.grading.conventions import Problem, apply
    from dlcalc.specs.loader import Document, load

    print(f"-- sheet: {title}")

    def solve_only() -> None:
        solve_command("backprop", load(str(problem)), settings)

    def solve_and_check() -> None:
        doc = load(str(problem))
        solved = solve_command("backprop", doc, settings)
        sheet = load_sheet(str(sheet_path))
        variants = Problem(
            "backprop",
            doc.data,
            lambda data: solve_command("backprop", Document(data, "p"), settings),
            every_step=True,
        )
        report = check_sheet(solved, sheet, None, variants, conventions=apply)
        marked(solved, report)

    solve_s = timed(solve_only, repeat, time.process_time)
    check_s = timed(solve_and_check, repeat, time.process_time)
    print(
        f"in process (CPU): solve {solve_s:.3f} s, solve + check {check_s:.3f} s, ratio {check_s / solve_s:.2f}"
    )

    sheet = load_sheet(str(sheet_path))
    solved = solve_command("backprop", load(str(problem)), settings)
    report = check_sheet(solved, sheet, conventions=apply)
    print("  " + report.summary())

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "dlcalc"]
    solve_cmd = [*cmd, "backprop", str(problem), "--every-step", "-f", "json"]
    check_cmd = [*cmd, "check", str(problem), str(sheet_path), "--every-step", "-f", "json"]

    def run(argv: list[str]) -> float:
        """Run ``argv``; its CPU time (user + system), less sensitive to a shared machine's load."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    results = {}
    for label, argv in (("backprop", solve_cmd), ("check", check_cmd)):
        cpu: list[float] = []
        wall = timed(lambda argv=argv, cpu=cpu: cpu.append(run(argv)), repeat)
        results[label] = (wall, statistics.median(cpu))
        print(f"whole command {label}: wall {wall:.3f} s, CPU {results[label][1]:.3f} s")
    (sw, sc), (cw, cc) = results["backprop"], results["check"]
    print(f"  check / backprop: wall {cw / sw:.2f}, CPU {cc / sc:.2f}")


if __name__ == "__main__":
    main()
