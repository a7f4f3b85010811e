"""Benchmark for issue 14: ``dlcalc conv`` on a 28×28 input with 8 3×3 filters, ``--format json``.

Run from the repository root:  python benchmarks/bench_conv.py [--repeat 5] [--backward]

The problem (an MNIST-sized image of small whole numbers, 8 filters, relu, 2×2 max
pooling) is written to a temporary file and solved in a fresh process each time, as
a student would run it; the median wall time of ``--repeat`` runs is printed, with
the forward pass only and with ``grad_output`` (the backward pass) as well.  The
issue asks for under 1 s.
"""

from __future__ import annotations

import argparse
import json
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


def problem(backward: bool) -> dict:
    rng = random.Random(14)
    image = [[rng.randint(0, 9) for _ in range(28)] for _ in range(28)]
    filters = [
        {
            "kernel": [[rng.randint(-2, 2) for _ in range(3)] for _ in range(3)],
            "bias": rng.randint(-1, 1),
        }
        for _ in range(8)
    ]
    data: dict = {
        "title": "28×28 input, 8 filters 3×3, relu, 2×2 max pooling",
        "input": image,
        "layers": [
            {"conv": {"filters": filters}},
            {"activation": "relu"},
            {"maxpool": {"kernel": 2}},
        ],
    }
    if backward:
        data["grad_output"] = [
            [[rng.choice([-1, 0, 1]) for _ in range(13)] for _ in range(13)] for _ in range(8)
        ]
    return data


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(path: str, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``repeat`` runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, cpus = [], []
    for _ in range(repeat):
        before = cpu()
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "dlcalc", "conv", path, "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - before)
        json.loads(out.stdout)
    return statistics.median(times), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backward in (False, True):
            path = Path(tmp) / f"conv-{backward}.json"  # JSON is YAML: no dumper needed
            path.write_text(json.dumps(problem(backward)))
            seconds, cpu_seconds = timed(str(path), args.repeat)
            what = "forward + backward" if backward else "forward"
            verdict = (
                "ok" if seconds < 1.0 else "SLOWER THAN 1 s (wall; see CPU time and machine load)"
            )
            print(
                f"dlcalc conv 28×28, 8 filters 3×3, relu, maxpool, {what}, --format json: "
                f"{seconds:.3f} s wall, {cpu_seconds:.3f} s CPU ({verdict})"
            )
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
