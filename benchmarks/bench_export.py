"""Export a set of variants to Moodle XML, GIFT and QTI: seconds per format.

    python benchmarks/bench_export.py [--count 200]

Makes ``count`` variants of Mazur's 2-2-2 network (random weights, as `dlcalc vary` would)
in a temporary folder with a manifest, then times ``dlcalc export`` for each format (wall
clock, one process each, start-up included) and reports the file sizes.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def make_variants(folder: Path, count: int) -> Path:
    base = yaml.safe_load((ROOT / "examples" / "mazur.yaml").read_text(encoding="utf-8"))
    rng = random.Random(7)
    (folder / "problems").mkdir()
    rows = ["id,seed,problem"]
    for k in range(count):
        doc = dict(base)
        doc["layers"] = [
            {
                **layer,
                "weights": [[round(rng.uniform(-1, 1), 2) for _ in r] for r in layer["weights"]],
            }
            for layer in base["layers"]
        ]
        (folder / "problems" / f"s{k:03d}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        rows.append(f"s{k:03d},{k},problems/s{k:03d}.yaml")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    count = parser.parse_args().count
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = make_variants(folder, count)
        for to, name in (("moodle", "quiz.xml"), ("gift", "quiz.txt"), ("qti", "quiz.zip")):
            out = folder / name
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "dlcalc",
                    "export",
                    str(manifest),
                    "--to",
                    to,
                    "-o",
                    str(out),
                ],
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{to}: {done.stderr.strip()}")
            print(f"{to:7s} {count} variants: {seconds:6.2f} s, {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
