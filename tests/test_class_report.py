"""The class report: ten generated sheets marked at once, totals per student, CSV and Markdown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dlcalc.app.cli import app
from dlcalc.app.commands import solve, variants
from dlcalc.app.settings import Settings
from dlcalc.grading.class_report import mark_sheets
from dlcalc.specs.loader import load

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples/mazur.yaml"
LABELS = ["net_h1", "out_h1", "net_o1", "out_o1", "E_total", "delta_o1", "dE_dw5", "w5_new"]
DELTA_O2 = (0.772928465 - 0.99) * 0.772928465 * (1 - 0.772928465)  # Mazur's out_o2, t_o2


def sheets(tmp_path: Path) -> tuple[list[str], dict[str, tuple[int, int, int, int, str]]]:
    """Ten sheets and what each should score: (claims, right, carried, wrong, first wrong)."""
    doc = load(str(MAZUR))
    solution = solve("backprop", doc, Settings())
    value = {label: float(solution.step(label).value) for label in LABELS}  # type: ignore[union-attr]
    paths, expected = [], {}

    def write(name: str, lines: list[str]) -> None:
        path = tmp_path / f"{name}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))

    # Two students with everything right.
    for name in ("ada", "ben"):
        write(name, [f"{k}: {value[k]:.9f}" for k in LABELS])
        expected[name] = (8, 8, 0, 0, "")
    # Five students who slip once and then go on with the right values (no error carried).
    for name, slip in zip(
        ("cai", "dee", "eli", "fay", "gus"), ("out_h1", "out_o1", "out_h1", "E_total", "w5_new")
    ):
        lines = [f"{k}: {value[k] + (0.01 if k == slip else 0):.9f}" for k in LABELS]
        write(name, lines)
        expected[name] = (8, 7, 0, 1, slip)
    # The README's sheet: out_h1 slipped and the rest follows from it (3 right, 8 carried, 1 wrong).
    write("hal", (ROOT / "examples/answers/mazur.yaml").read_text(encoding="utf-8").splitlines())
    expected["hal"] = (12, 3, 8, 1, "out_h1")
    # Han & Kamber's sign for δ on two claims: right under that convention.
    write(
        "ivy",
        [
            f"delta_o1: {-value['delta_o1']:.9f}",
            f"delta_o2: {-DELTA_O2:.9f}",
            f"out_o1: {value['out_o1']:.9f}",
        ],
    )
    expected["ivy"] = (3, 3, 0, 0, "")
    # A sheet with a name that does not exist: listed in its row, nothing else to mark.
    write("jon", ["out_h9: 0.5"])
    expected["jon"] = (0, 0, 0, 0, "")
    return paths, expected


def test_ten_sheets_totals(tmp_path: Path) -> None:
    paths, expected = sheets(tmp_path)
    doc = load(str(MAZUR))
    solution = solve("backprop", doc, Settings())
    report = mark_sheets(solution, paths, variants=variants("backprop", doc, Settings()))
    got = {
        s.student: (s.claims, s.right, s.carried, s.wrong, s.first_wrong or "")
        for s in report.students
    }
    assert got == expected
    by_name = {s.student: s for s in report.students}
    assert by_name["ivy"].conventions == ["delta_sign: han_kamber"]
    # an unknown name is listed in the row; the sheet's other claims are still marked
    assert by_name["jon"].unknown == ["out_h9"] and "out_h9" in by_name["jon"].row()[-1]
    assert report.first_wrong_counts() == [
        ("out_h1", 3),
        ("E_total", 1),
        ("out_o1", 1),
        ("w5_new", 1),
    ]


def test_report_files_csv_and_markdown(runner, tmp_path: Path) -> None:
    paths, expected = sheets(tmp_path)
    marks_csv, marks_md = tmp_path / "marks.csv", tmp_path / "marks.md"
    result = runner.invoke(app, ["check", str(MAZUR), *paths, "--report", str(marks_csv)])
    assert result.exit_code == 1, result.output  # some sheets have genuinely wrong values
    rows = list(csv.DictReader(io.StringIO(marks_csv.read_text(encoding="utf-8"))))
    assert [r["student"] for r in rows] == list(expected)
    for row in rows:
        claims, right, carried, wrong, first = expected[row["student"]]
        assert (
            int(row["claims"]),
            int(row["right"]),
            int(row["carried_forward"]),
            int(row["wrong"]),
        ) == (
            claims,
            right,
            carried,
            wrong,
        )
        assert row["first_wrong"] == first
    assert "Where the class first went wrong" in result.output

    result = runner.invoke(app, ["check", str(MAZUR), *paths, "--report", str(marks_md)])
    text = marks_md.read_text(encoding="utf-8")
    tables = [line for line in text.splitlines() if line.startswith("|")]
    bars = [line.count("|") - line.count("\\|") for line in tables[: len(paths) + 2]]
    assert bars == [11] * (len(paths) + 2)  # header, rule, one row per sheet: 10 cells each
    assert "| out\\_h1 | 3 |" in text  # escaped as the solution renderers escape


def test_report_needs_a_known_extension(runner, tmp_path: Path) -> None:
    paths, _ = sheets(tmp_path)
    result = runner.invoke(
        app, ["check", str(MAZUR), paths[0], "--report", str(tmp_path / "m.xlsx")]
    )
    assert result.exit_code == 2 and ".csv or .md" in result.output
