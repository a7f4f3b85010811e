"""Benchmark for issue 23: the slow inputs a class's files can hold, each refused or fast.

Run from the repository root:  python benchmarks/bench_class_run.py [--only NAME] [--limit 10]

Every input of the issue's table that used to take long (a padded 1×1 convolution, a
nested sigmoid under ``optimize``, an exact convolution with its backward pass, thirty
files of 10,000 logits given to ``key``, …) and a few neighbours (a little under and over
each limit) is written to a temporary folder and run in a fresh process, as a teacher's
run would.  Each line shows the case, the exit status, the wall time and the peak memory
(the child's maximum resident set size); the worst case is printed last.  Exit status 1
when a case takes 10 s or more, uses 1 GB or more, or ends with a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Case = tuple[str, Callable[[Path], list[str]]]


def dump(folder: Path, name: str, data: dict) -> str:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    return str(path)


def conv_padding(padding: int, *extra: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        data = {
            "command": "conv",
            "input": [[1]],
            "layers": [{"conv": {"kernel": [[1]], "padding": padding}}],
        }
        return ["conv", dump(folder, f"pad{padding}.yaml", data), *extra]

    return build


def conv_big_input(size: int, *extra: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        rng = random.Random(size)
        data = {
            "command": "conv",
            "input": [[rng.randint(0, 9) for _ in range(size)] for _ in range(size)],
            "layers": [{"conv": {"kernel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]]}}],
        }
        return ["conv", dump(folder, f"big{size}.yaml", data), *extra]

    return build


def optimize_nested(depth: int, steps: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        function = "w"
        for _ in range(depth):
            function = f"σ(w*{function})"
        data = {
            "command": "optimize",
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "start": [0.5],
            "function": function,
            "steps": steps,
        }
        return ["optimize", dump(folder, f"nest{depth}.yaml", data), "-f", "json"]

    return build


def conv_exact(channels: int, size: int, layers: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        rng = random.Random(23)

        def number() -> float:
            return round(rng.uniform(-1, 1), 6)

        data: dict = {
            "command": "conv",
            "input": [
                [[number() for _ in range(size)] for _ in range(size)] for _ in range(channels)
            ],
            "layers": [],
        }
        shape = (channels, size, size)
        for _ in range(layers):
            kernels = [
                {
                    "kernel": [
                        [[number() for _ in range(3)] for _ in range(3)] for _ in range(shape[0])
                    ]
                }
                for _ in range(channels)
            ]
            data["layers"].append({"conv": {"filters": kernels, "padding": 1}})
        data["grad_output"] = [
            [[number() for _ in range(size)] for _ in range(size)] for _ in range(channels)
        ]
        return ["conv", dump(folder, f"exact{channels}x{size}x{layers}.yaml", data), "-f", "json"]

    return build


def key_logits(files: int, logits: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        rng = random.Random(files)
        paths = []
        for k in range(files):
            data = {"command": "softmax", "logits": [rng.randint(-9, 9) for _ in range(logits)]}
            paths.append(dump(folder, f"logits{k}.yaml", data))
        return ["key", *paths, "-o", str(folder / "key.md")]

    return build


def derive_tower(folder: Path) -> list[str]:
    return ["derive", "((x^9999)^9999)^9999", "--at", "x=2"]


def conv_shape_transposed(count: int) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        layer = {"conv_transpose": {"filters": 1, "kernel": 3, "stride": 4}}
        data = {"command": "conv-shape", "input": [1, 1, 1], "layers": [layer] * count}
        return ["conv-shape", dump(folder, f"tr{count}.yaml", data)]

    return build


CASES: list[Case] = [
    ("conv padding 865", conv_padding(865)),
    ("conv padding 865 -o x.html", conv_padding(865, "-o", "OUT.html")),
    ("key conv padding 865", lambda f: ["key", *conv_padding(865)(f)[1:2], "-o", str(f / "k.md")]),
    ("conv padding 100", conv_padding(100)),
    ("conv padding 40", conv_padding(40)),
    ("conv padding 40 -f json", conv_padding(40, "-f", "json")),
    ("conv padding 190 -f json", conv_padding(190, "-f", "json")),
    ("conv 200×200 input", conv_big_input(200)),
    ("conv 60×60 input -o x.html", conv_big_input(60, "-o", "OUT.html")),
    ("optimize σ nested 20, 2000 steps", optimize_nested(20, 2000)),
    ("optimize σ nested 15, 2000 steps", optimize_nested(15, 2000)),
    ("optimize σ nested 5, 2000 steps", optimize_nested(5, 2000)),
    ("optimize σ nested 20, 990 steps", optimize_nested(20, 990)),
    ("optimize σ nested 28, 200 steps", optimize_nested(28, 200)),
    ("exact conv 8×30×30, 5 layers, grad_output", conv_exact(8, 30, 5)),
    ("exact conv 4×20×20, 3 layers, grad_output", conv_exact(4, 20, 3)),
    ("exact conv 8×20×20, 5 layers, grad_output", conv_exact(8, 20, 5)),
    ("exact conv 4×22×22, 3 layers, grad_output", conv_exact(4, 22, 3)),
    ("exact conv 2×20×20, 8 layers, grad_output", conv_exact(2, 20, 8)),
    ("exact conv 3×16×16, 6 layers, grad_output", conv_exact(3, 16, 6)),
    ("key 30 files × 10,000 logits", key_logits(30, 10_000)),
    ("key 3 files × 3,000 logits", key_logits(3, 3_000)),
    ("key 2 files × 3,000 logits", key_logits(2, 3_000)),
    ("derive ((x^9999)^9999)^9999 at x=2", derive_tower),
    ("conv-shape 500 conv_transpose", conv_shape_transposed(500)),
]


def run(args: list[str], folder: Path, timeout: float = 120) -> tuple[int, float, float, str]:
    """Exit status, seconds, the child's peak memory in MB, the last line of standard error."""
    args = [a.replace("OUT.html", str(folder / "out.html")) for a in args]
    err_path = folder / "stderr.txt"
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "dlcalc", *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "100"},
        )
        while True:  # reaped here, with wait4, for this child's own resource usage
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: Popen must not wait
    lines = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    last = lines[-1][:110] if lines else ""
    if any(line.startswith("Traceback") for line in lines):
        last = "Traceback: " + last
    return child.returncode, seconds, usage.ru_maxrss / 1024, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds allowed per case")
    options = parser.parse_args()
    worst: tuple[float, str, float] = (0.0, "", 0.0)
    failed = False
    for name, build in CASES:
        if options.only and options.only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            status, seconds, peak, last = run(build(folder), folder)
        outcome = "refused" if status == 2 else f"exit {status}"
        print(f"{name:45} {outcome:8} {seconds:6.2f} s {peak:6.0f} MB  {last}", flush=True)
        if seconds > worst[0]:
            worst = (seconds, name, peak)
        if seconds >= options.limit or peak >= 1024 or "Traceback" in last or status < 0:
            failed = True
    print(f"worst case: {worst[1]} ({worst[0]:.2f} s, {worst[2]:.0f} MB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
