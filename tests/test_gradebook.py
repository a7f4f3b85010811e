"""The LMS round trip (dlcalc grade): a class of 30 generated sheets as a Moodle quiz responses
CSV and a Canvas student analysis CSV, re-marked, and the grade CSVs carry the expected scores."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES
from tests.marking_class import ASK, Planted, expected, generate

CARRIED = 0.5
WEIGHTS = {"w5_new": 2.0, "w8_new": 2.0}


@pytest.fixture(scope="module")
def sheets() -> list[Planted]:
    return generate(30, seed=7)


@pytest.fixture
def problem(tmp_path: Path) -> Path:
    path = tmp_path / "quiz.yaml"
    path.write_text(
        (EXAMPLES / "mazur.yaml").read_text(encoding="utf-8")
        + f"\nask: [{', '.join(ASK)}]\n"
        + f"marks: {{carried_forward: {CARRIED}, steps: {{w5_new: 2, w8_new: 2}}}}\n",
        encoding="utf-8",
    )
    return path


def answer(p: Planted, label: str) -> str:
    return "" if label in p.blank else f"{p.values[label]:.4f}"


def moodle_csv(sheets: list[Planted], extra: list[list[str]] = ()) -> str:
    """A Moodle quiz Responses report: one cloze question, its parts the asked quantities."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "Surname",
            "First name",
            "ID number",
            "Email address",
            "State",
            "Started on",
            "Completed",
            "Time taken",
            "Grade/12.00",
            "Response 1",
        ]
    )
    for k, p in enumerate(sheets):
        parts = "; ".join(f"part {i + 1}: {answer(p, label)}" for i, label in enumerate(ASK))
        w.writerow(
            [
                f"Student{k}",
                p.student,
                f"ID{k:04d}",
                f"{p.student}@uni.example",
                "Finished",
                "6 December 2026  10:00 AM",
                "6 December 2026  10:40 AM",
                "40 mins",
                "5.00",
                parts,
            ]
        )
    for row in extra:
        w.writerow(row)
    w.writerow(["Overall average", "", "", "", "", "", "", "", "7.50", ""])
    return "\ufeff" + out.getvalue()  # Moodle's downloads start with a byte-order mark


def canvas_csv(sheets: list[Planted]) -> str:
    """A Canvas Student Analysis report: one numerical question per asked quantity, shuffled."""
    order = list(reversed(ASK))  # the quiz's order differs from ask: matched by the labels named
    header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted"]
    for q, label in enumerate(order):
        header += [f"{1000 + q}: Work out {label} to 4 decimals.", "1.0"]
    header += ["n correct", "n incorrect", "score"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for k, p in enumerate(sheets):
        row = [f"{p.student} Student", str(500 + k), f"SIS{k:04d}", "Section A", "77", "SEC-A", ""]
        for label in order:
            row += [answer(p, label), "0.0"]
        row += ["0", "12", "0.0"]
        w.writerow(row)
    return out.getvalue()


def grades(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_moodle_round_trip(runner, tmp_path: Path, problem: Path, sheets) -> None:
    responses = tmp_path / "responses.csv"
    responses.write_text(moodle_csv(sheets), encoding="utf-8")
    out = tmp_path / "grades.csv"
    report = tmp_path / "marks.csv"
    args = ["grade", str(problem), str(responses), "-o", str(out), "--report", str(report)]
    result = runner.invoke(app, [*args, "--feedback", str(tmp_path / "fb")])
    assert result.exit_code == 0, result.output
    rows = grades(out)
    assert list(rows[0])[:4] == ["First name", "Surname", "ID number", "Email address"]
    item = list(rows[0])[4]
    assert item.startswith("dlcalc: ")
    assert len(rows) == len(sheets)
    checked = 0
    for p, row in zip(sheets, rows):
        assert row["First name"] == p.student
        assert float(row[item]) == pytest.approx(expected(p, CARRIED, WEIGHTS)), p
        checked += 1
    assert checked == 30
    kinds = {(p.slip is not None, p.gaming, p.loss, bool(p.blank)) for p in sheets}
    assert len(kinds) >= 4  # honest, slips, gaming, a convention and blanks are all in the class
    assert len(list((tmp_path / "fb").glob("*.html"))) == 30
    assert "score,max_score" in report.read_text(encoding="utf-8").splitlines()[0]


def test_canvas_round_trip(runner, tmp_path: Path, problem: Path, sheets) -> None:
    responses = tmp_path / "student_analysis.csv"
    responses.write_text(canvas_csv(sheets), encoding="utf-8")
    out = tmp_path / "gradebook.csv"
    result = runner.invoke(app, ["grade", str(problem), str(responses), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    possible = next(csv.reader([lines[1]]))
    assert possible[0].strip() == "Points Possible" and float(possible[5]) == 14
    rows = list(csv.reader(lines[2:]))
    assert len(rows) == len(sheets)
    for k, (p, row) in enumerate(zip(sheets, rows)):
        assert row[1] == str(500 + k) and row[2] == f"SIS{k:04d}"
        assert float(row[5]) == pytest.approx(expected(p, CARRIED, WEIGHTS)), p


def test_moodle_to_canvas_and_best_attempt(runner, tmp_path: Path, problem: Path, sheets):
    """Two attempts of one student: the better one counts; --to writes the other LMS's file."""
    honest = sheets[0]
    first = Planted(honest.student, honest.values, blank=list(ASK[:6]))  # half blank
    text = moodle_csv([first, honest])
    responses = tmp_path / "responses.csv"
    responses.write_text(text.replace("ID0001", "ID0000"), encoding="utf-8")  # the same student
    out = tmp_path / "gradebook.csv"
    args = ["grade", str(problem), str(responses), "-o", str(out), "--to", "canvas"]
    result = runner.invoke(app, [*args, "--item", "Backprop quiz"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0][5] == "Backprop quiz"
    assert len(rows) == 3 and float(rows[2][5]) == 14  # one student, their best attempt
    assert rows[2][2] == "ID0000"


def test_csv_formula_injection_is_neutralised(runner, tmp_path: Path, problem: Path, sheets):
    evil = [
        '=HYPERLINK("http://evil.example","click")',
        "+1+1<script>alert(1)</script>",
        "ID9",
        "@SUM(1)",
        "Finished",
        "",
        "",
        "",
        "",
        "part 1: =1+1; part 2: 0.5933",
    ]
    responses = tmp_path / "responses.csv"
    responses.write_text(moodle_csv(sheets[:1], [evil]), encoding="utf-8")
    out = tmp_path / "grades.csv"
    feedback = tmp_path / "fb"
    args = ["grade", str(problem), str(responses), "-o", str(out), "--feedback", str(feedback)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in feedback.iterdir())
    assert len(pages) == 2 and all(re.fullmatch(r"[A-Za-z0-9_-]+\.html", p) for p in pages)
    html = "".join(p.read_text(encoding="utf-8") for p in feedback.iterdir())
    assert "<script>" not in html and "&lt;script&gt;" in html
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    bad = rows[2]
    assert bad[0] == "'+1+1<script>alert(1)</script>" and bad[1].startswith("'=HYPERLINK")
    assert bad[3] == "'@SUM(1)"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_an_lms_answer_that_is_text(runner, tmp_path: Path, problem: Path):
    """A non-number typed into the LMS is a wrong claim, not a crash."""
    responses = tmp_path / "r.csv"
    p = Planted("x", dict.fromkeys(ASK, 0.5))
    text = moodle_csv([p]).replace("part 2: 0.5000", "part 2: about a half")
    responses.write_text(text, encoding="utf-8")
    out = tmp_path / "g.csv"
    report = tmp_path / "r.md"
    args = ["grade", str(problem), str(responses), "-o", str(out), "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "about a half" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,id\nA,1\n", "neither a Moodle quiz responses report"),
        ("", "is empty"),
    ],
)
def test_unreadable_responses_exit_2(runner, tmp_path: Path, problem: Path, text: str, message):
    responses = tmp_path / "r.csv"
    responses.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app, ["grade", str(problem), str(responses), "-o", str(tmp_path / "g.csv")]
    )
    assert result.exit_code == 2 and message in result.output


def test_grade_needs_ask(runner, tmp_path: Path) -> None:
    responses = tmp_path / "r.csv"
    responses.write_text(moodle_csv([]), encoding="utf-8")
    args = ["grade", str(EXAMPLES / "mazur.yaml"), str(responses), "-o", str(tmp_path / "g.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "ask" in result.output


def test_unknown_lms_exit_2(runner, tmp_path: Path, problem: Path) -> None:
    responses = tmp_path / "r.csv"
    responses.write_text(moodle_csv([]), encoding="utf-8")
    args = ["grade", str(problem), str(responses), "-o", str(tmp_path / "g.csv"), "--to", "excel"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "moodle or canvas" in result.output


def test_moodle_one_question_per_quantity(runner, tmp_path: Path, problem: Path, sheets):
    """A quiz of 12 numerical questions: Response k is the k-th asked quantity."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "Surname",
            "First name",
            "Email address",
            "State",
            *[f"Response {k}" for k in range(1, 13)],
        ]
    )
    for p in sheets[:6]:
        w.writerow(
            [
                "S",
                p.student,
                f"{p.student}@uni.example",
                "Finished",
                *[answer(p, a) or "-" for a in ASK],
            ]
        )
    w.writerow(["S", "late", "late@uni.example", "In progress", *["0"] * 12])  # not submitted
    responses = tmp_path / "r.csv"
    responses.write_text(out.getvalue(), encoding="utf-8")
    grades_file = tmp_path / "g.csv"
    result = runner.invoke(app, ["grade", str(problem), str(responses), "-o", str(grades_file)])
    assert result.exit_code == 0, result.output
    rows = grades(grades_file)
    assert [r["First name"] for r in rows] == [p.student for p in sheets[:6]]
    item = list(rows[0])[4]
    for p, row in zip(sheets, rows):
        assert float(row[item]) == pytest.approx(expected(p, CARRIED, WEIGHTS))


def test_canvas_fill_in_multiple_blanks(runner, tmp_path: Path, problem: Path, sheets):
    """One fill-in-multiple-blanks question: its answer a,b,c holds the asked quantities in order."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "name",
            "id",
            "section",
            "section_id",
            "submitted",
            "77: Fill in the blanks",
            "12.0",
            "n correct",
            "n incorrect",
            "score",
        ]
    )
    for k, p in enumerate(sheets[:6]):
        w.writerow(
            [
                p.student,
                str(k + 1),
                "A",
                "1",
                "",
                ",".join(answer(p, a) for a in ASK),
                "0",
                "0",
                "1",
                "0",
            ]
        )
    responses = tmp_path / "r.csv"
    responses.write_text(out.getvalue(), encoding="utf-8")
    grades_file = tmp_path / "g.csv"
    result = runner.invoke(app, ["grade", str(problem), str(responses), "-o", str(grades_file)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(grades_file.read_text(encoding="utf-8").splitlines()))[2:]
    assert len(rows) == 6
    for p, row in zip(sheets, rows):
        assert float(row[5]) == pytest.approx(expected(p, CARRIED, WEIGHTS))
