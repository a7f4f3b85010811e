"""Start-up time of dlcalc against its floor: an empty Typer app with the same heavy imports.

Run from the repository root:  python benchmarks/bench_startup.py [--repeat 9]

The floor is an empty Typer app with one command taking a path and two options that imports
rich.console, numpy and yaml (Typer itself imports pydantic when it converts the options).
Each measured command runs ``--repeat`` times, interleaved with the floor and the others (so
that a busy machine slows all of them alike); the table shows medians and the ratio to the
floor's median.  dlcalc runs as its console script does (``dlcalc.app.cli:main``), with its
bytecode compiled first, as ``pip install`` leaves it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

FLOOR = """
import sys
from pathlib import Path

import numpy
import rich.console
import typer
import yaml

app = typer.Typer()


@app.command()
def solve(problem: Path, decimals: int = 4, carry: int | None = None) -> None:
    rich.console.Console().print(problem.name, decimals, carry)


app(sys.argv[1:], prog_name="floor")
"""

DLCALC = [PY, "-c", "from dlcalc.app.cli import main; main()"]
COMMANDS = {
    "floor: empty typer app (rich.console, numpy, yaml)": [
        PY,
        "-c",
        FLOOR,
        "examples/mazur.yaml",
        "--decimals",
        "3",
    ],
    "dlcalc --help": [*DLCALC, "--help"],
    "dlcalc softmax 1 2 3": [*DLCALC, "softmax", "1", "2", "3"],
    # mazur.yaml names `backprop`; its forward pass runs from a copy that names `forward`.
    "dlcalc forward examples/mazur.yaml": [*DLCALC, "forward", "MAZUR_FORWARD"],
}


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command (>= 9)")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "dlcalc", quiet=1)
    text = (ROOT / "examples" / "mazur.yaml").read_text(encoding="utf-8")
    forward = Path(tempfile.mkdtemp()) / "mazur-forward.yaml"
    forward.write_text(text.replace("command: backprop", "command: forward"), encoding="utf-8")
    for cmd in COMMANDS.values():
        cmd[:] = [str(forward) if word == "MAZUR_FORWARD" else word for word in cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for cmd in COMMANDS.values():  # warm the file cache
        run_once(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(max(args.repeat, 1)):
        for name, cmd in COMMANDS.items():
            times[name].append(run_once(cmd, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = next(iter(medians.values()))
    for name, median in medians.items():
        print(f"{name:<52} {median:.3f} s  {median / floor:.2f}x")


if __name__ == "__main__":
    main()
