"""Benchmarks for the core issue: a 10000-epoch backprop run and start-up time.

Run from the repository root:  python benchmarks/bench_core.py [--repeat 5]

* ``dlcalc backprop`` of the 2-2-2 example for 10000 online epochs, against the same
  10000-step loop written with PyTorch autograd (skipped when torch is not installed);
  both are timed as whole processes, and dlcalc's peak memory (max RSS) is reported.
* ``dlcalc --help`` and ``dlcalc forward examples/bce-binary.yaml`` against Python importing
  typer, rich, numpy and yaml and nothing else.
Medians of ``--repeat`` runs; prints one line per measurement.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

TORCH_LOOP = """
import torch
torch.set_num_threads(1)
w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
b1 = torch.tensor([0.35, 0.35], dtype=torch.float64)
b2 = torch.tensor([0.60, 0.60], dtype=torch.float64)
x = torch.tensor([0.05, 0.10], dtype=torch.float64)
t = torch.tensor([0.01, 0.99], dtype=torch.float64)
history = []
for epoch in range(10000):
    out = torch.sigmoid(w2 @ torch.sigmoid(w1 @ x + b1) + b2)
    loss = (0.5 * (t - out) ** 2).sum()
    g1, g2 = torch.autograd.grad(loss, [w1, w2])
    with torch.no_grad():
        w1 -= 0.5 * g1
        w2 -= 0.5 * g2
        history.append(float((0.5 * (t - torch.sigmoid(w2 @ torch.sigmoid(w1 @ x + b1) + b2)) ** 2).sum()))
print(history[-1])
"""


# The least any typer command can cost: the same four imports, then one typer command with a
# file argument and two options invoked (typer's parameter handling imports pydantic).
EMPTY_COMMAND = """
import typer, rich, numpy, yaml
from pathlib import Path
app = typer.Typer()
@app.command()
def solve(problem: Path, decimals: int = 4, carry: int | None = None) -> None:
    pass
app(["examples/mazur.yaml"], standalone_mode=False)
"""


def timed(cmd: list[str], repeat: int, env: dict | None = None) -> tuple[float, float]:
    """Median wall time (s) of ``cmd`` and the largest max-RSS (MiB) among its runs."""
    times, peak = [], 0.0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
        times.append(time.perf_counter() - start)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return statistics.median(times), peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dlcalc = [PY, "-m", "dlcalc"]
    # As installed: `pip install .` writes the bytecode of dlcalc's modules; an editable install
    # under PYTHONDONTWRITEBYTECODE=1 (as on this workplace's machines) would recompile every
    # module on every run, which is not what a student's installed dlcalc does.
    import compileall

    import dlcalc as package

    compileall.compile_dir(Path(package.__file__).parent, quiet=1)

    problem = (ROOT / "examples" / "mazur.yaml").read_text() + "\nepochs: 10000\n"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(problem)
        long_run = fh.name
    try:
        seconds, _ = timed(dlcalc + ["backprop", long_run], args.repeat)
        json_seconds, _ = timed(dlcalc + ["backprop", long_run, "-f", "json"], args.repeat)
        # Peak memory measured in its own child so other runs do not mask it.
        rss = subprocess.run(
            [
                PY,
                "-c",
                "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                *dlcalc,
                "backprop",
                long_run,
                "-f",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
        print(f"dlcalc backprop mazur, 10000 online epochs (rich):   {seconds:.3f} s")
        print(
            f"dlcalc backprop mazur, 10000 online epochs (json):   {json_seconds:.3f} s, peak {int(rss) / 1024:.1f} MiB"
        )
    finally:
        os.unlink(long_run)

    try:
        import torch  # noqa: F401

        torch_seconds, _ = timed([PY, "-c", TORCH_LOOP], args.repeat)
        print(f"PyTorch autograd, same 10000-step loop:              {torch_seconds:.3f} s")
        print(f"  ratio dlcalc/torch: {seconds / torch_seconds:.2f}")
    except ImportError:
        print("PyTorch autograd: skipped (torch not installed; pip install torch==2.13.0)")

    base, _ = timed([PY, "-c", "import typer, rich, numpy, yaml"], args.repeat * 2)
    floor, _ = timed([PY, "-c", EMPTY_COMMAND], args.repeat * 2)
    helptime, _ = timed(dlcalc + ["--help"], args.repeat * 2)
    fwd, _ = timed(dlcalc + ["forward", "examples/bce-binary.yaml"], args.repeat * 2)
    print(f"python -c 'import typer, rich, numpy, yaml':         {base:.3f} s")
    print(f"floor: an empty typer command, same imports:       {floor:.3f} s ({floor / base:.2f}x)")
    print(
        f"dlcalc --help:                                       {helptime:.3f} s ({helptime / base:.2f}x)"
    )
    print(f"dlcalc forward examples/bce-binary.yaml:             {fwd:.3f} s ({fwd / base:.2f}x)")


if __name__ == "__main__":
    main()
