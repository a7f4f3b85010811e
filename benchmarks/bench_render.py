"""Benchmark: rendering a large worked solution costs about as much as computing it.

Run from the repository root:  python benchmarks/bench_render.py [--repeat 3] [--sizes 2,32,32,2]

Writes a random network (seeded) of the given layer sizes, then times one backprop update
as whole processes (CPU time): ``--format json`` (computation and a flat document) against the
default terminal format (written to a file, 100 columns) and markdown/LaTeX/HTML.  The
issue's bar: the default format within 2x the JSON time.  Prints one line per format.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def network(sizes: list[int], seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = [
        "command: backprop",
        f"input: [{', '.join(f'{rng.uniform(-1, 1):.3f}' for _ in range(sizes[0]))}]",
        f"target: [{', '.join(f'{rng.uniform(0, 1):.3f}' for _ in range(sizes[-1]))}]",
        "learning_rate: 0.5",
        "layers:",
    ]
    for n_in, n_out in zip(sizes, sizes[1:]):
        rows = ", ".join(
            "[" + ", ".join(f"{rng.uniform(-0.5, 0.5):.3f}" for _ in range(n_in)) + "]"
            for _ in range(n_out)
        )
        lines += ["- activation: sigmoid", f"  weights: [{rows}]", "  bias: 0.1"]
    return "\n".join(lines) + "\n"


def timed(args: list[str], repeat: int, color: bool = False) -> float:
    """Median CPU time (user + system) of the process: steadier than wall time on a busy machine."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env.pop("NO_COLOR" if color else "FORCE_COLOR", None)
    env["FORCE_COLOR" if color else "NO_COLOR"] = "1"
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="2,32,32,2")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        problem = Path(tmp) / "net.yaml"
        problem.write_text(network(sizes), encoding="utf-8")
        base = [sys.executable, "-m", "dlcalc", "backprop", str(problem)]
        json_time = timed([*base, "--format", "json"], options.repeat)
        print(f"{options.sizes} backprop --format json: {json_time:.2f} s CPU")
        t = timed(base, options.repeat, color=True)
        print(
            f"{options.sizes} backprop (terminal, colour): {t:.2f} s CPU ({t / json_time:.2f}x json)"
        )
        for fmt in ("rich", "markdown", "latex", "html"):
            t = timed([*base, "--format", fmt], options.repeat)
            print(
                f"{options.sizes} backprop --format {fmt}: {t:.2f} s CPU ({t / json_time:.2f}x json)"
            )


if __name__ == "__main__":
    main()
