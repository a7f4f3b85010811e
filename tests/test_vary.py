"""dlcalc vary, check --manifest and practice: sound, reproducible variants; sheets, keys, marking."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcalc.app.cli import app
from dlcalc.app.commands import command_of, solve
from dlcalc.app.settings import Settings
from dlcalc.render.json_doc import document
from dlcalc.render.numbers import DEFAULT_DECIMALS
from dlcalc.sets.asking import asks_of
from dlcalc.sets.problem_sets import counted_rows, make_set, neutral, read_roster
from dlcalc.sets.templates import read_template, solution_values, variant_seed
from dlcalc.specs.loader import load, parse_yaml
from tests.conftest import EXAMPLES

TEMPLATES = sorted((EXAMPLES / "templates").glob("*.yaml"))
BACKPROP = str(EXAMPLES / "templates" / "backprop.yaml")
BACKPROP_TEXT = Path(BACKPROP).read_text(encoding="utf-8")


def _at(data, path):
    for key in path:
        data = data[key]
    return data


def _json_value(doc: dict, name: str):
    """The value of a step (by label) or of a result path in a JSON document of the contract."""
    from dlcalc.grading.checking import resolve_path

    for step in doc["steps"]:
        if step["quantity"] == name:
            return step["value"]
    return resolve_path(doc["result"], name)


def test_there_is_a_template_for_every_command() -> None:
    from dlcalc.app.commands import COMMANDS

    commands = set()
    for path in TEMPLATES:
        commands.add(load(str(path)).data["command"])
    assert commands == set(COMMANDS)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_sixty_variants_of_every_template(path: Path) -> None:
    """Reproducible, every draw in its range and decimals, every constraint true, every
    variant solves from its own file, and its asked values are the solution's JSON values."""
    rows = counted_rows(60)
    first = make_set(str(path), rows, 2026, DEFAULT_DECIMALS, Settings())
    again = make_set(str(path), rows, 2026, DEFAULT_DECIMALS, Settings())
    assert [v.text for v in first] == [v.text for v in again]
    assert len({v.text.split("\n", 1)[1] for v in first}) == 60  # all distinct
    template = read_template(load(str(path)))
    assert template.draws
    checked = 0
    for v in first:
        doc = parse_yaml(v.text, "variant.yaml")
        for draw in template.draws:
            assert draw.allows(_at(doc.data, draw.path)), (v.row.id, draw.where)
        name = command_of(doc, None)
        solution = solve(name, doc, Settings())
        values = solution_values(solution)
        assert all(c.holds(values) for c in template.constraints)
        assert asks_of(doc) == [a.label for a in v.asked]
        json_doc = json.loads(json.dumps(document(solution)))
        for a in v.asked:
            assert _json_value(json_doc, a.label) == a.value, (v.row.id, a.label)
            checked += 1
    assert checked >= 60


def test_json_summaries_name_what_was_written(runner, tmp_path) -> None:
    out = tmp_path / "set"
    args = ["vary", BACKPROP, "--count", "2", "--seed", "4", "-o", str(out), "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["command"] == "vary" and doc["result"]["files"] == 2 * 8 + 3
    for v in doc["result"]["variants"]:
        assert (out / v["problem"]).is_file() and isinstance(v["seed"], int)
    args = ["practice", "backprop", "--seed", "4", "-o", str(tmp_path), "-f", "json"]
    practice = json.loads(runner.invoke(app, args).output)["result"]
    assert Path(practice["problem"]).is_file() and Path(practice["answers"]).is_file()
    assert practice["ask"][0] == "net_h1"


def test_a_variant_seed_is_a_stable_hash_of_the_seed_and_the_id() -> None:
    assert variant_seed(2026, "s01") == variant_seed(2026, "s01")
    assert variant_seed(2026, "s01") != variant_seed(2026, "s02")
    assert variant_seed(2026, "s01") != variant_seed(2027, "s01")
    # the documented definition, the same on every machine and Python (never hash())
    digest = hashlib.sha256(b"dlcalc-vary\x001\x00x").digest()
    assert variant_seed(1, "x") == int.from_bytes(digest[:6], "big")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_same_arguments_write_byte_identical_files(runner, tmp_path) -> None:
    for out in ("a", "b"):
        result = runner.invoke(
            app, ["vary", BACKPROP, "--count", "6", "--seed", "9", "-o", str(tmp_path / out)]
        )
        assert result.exit_code == 0, result.output
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) == 6 * 8 + 3 and a == b
    with open(tmp_path / "a" / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    for row in rows:
        assert (tmp_path / "a" / row["problem"]).is_file()
        assert runner.invoke(app, ["solve", str(tmp_path / "a" / row["problem"])]).exit_code == 0


HOSTILE = [
    ["student", "name", "note"],
    ["s01", '=HYPERLINK("http://x","click")', "<script>alert(1)</script>"],
    ["s02", "+cmd|' /C calc'!A0", "\\input{/etc/passwd} $x$ & _ % #"],
    ["s03", "@SUM(1+1)", "| pipe | ```"],
    ["s04", "-2+3", "ordinary"],
]


def _roster(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_roster_text_is_escaped_everywhere_and_neutralised_in_csv(runner, tmp_path) -> None:
    roster = _roster(tmp_path / "class.csv", HOSTILE)
    out = tmp_path / "set"
    result = runner.invoke(
        app, ["vary", BACKPROP, "--roster", str(roster), "--seed", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with open(out / "manifest.csv", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    for row in table:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell
    assert table[0][-2:] == ["name", "note"] and table[2][-2] == "'+cmd|' /C calc'!A0"
    html_text = (out / "sheets" / "s01.html").read_text(encoding="utf-8")
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    tex = (out / "sheets.tex").read_text(encoding="utf-8")
    assert "\\input{/etc/passwd}" not in tex and "\\textbackslash{}input\\{/etc/passwd\\}" in tex
    md = (out / "sheets" / "s03.md").read_text(encoding="utf-8")
    assert "\\| pipe \\|" in md


def test_any_id_names_safe_files_and_marks_by_its_id_key(runner, tmp_path) -> None:
    rows = [["student"], ["Ana López"], ["../../etc/x"], ["=1+1"], ["ana_l_pez"]]
    roster = _roster(tmp_path / "c.csv", rows)
    out = tmp_path / "set"
    args = ["vary", BACKPROP, "--roster", str(roster), "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert sorted(p.name for p in (out / "problems").iterdir()) == [
        "Ana_L_pez.yaml",
        "ana_l_pez_2.yaml",
        "s_1_1.yaml",
        "s_etc_x.yaml",
    ]
    assert not (tmp_path / "etc").exists()
    with open(out / "manifest.csv", encoding="utf-8") as fh:
        ids = [r["id"] for r in csv.DictReader(fh)]
    assert ids == ["Ana López", "../../etc/x", "'=1+1", "ana_l_pez"]
    stub = out / "answers" / "s_1_1.yaml"
    assert 'id: "=1+1"' in stub.read_text(encoding="utf-8")
    text = stub.read_text(encoding="utf-8").replace("net_h1:", "net_h1: 5")
    returned = tmp_path / "whatever.yaml"
    returned.write_text(text, encoding="utf-8")
    report = tmp_path / "marks.csv"
    args = [
        "check",
        "--manifest",
        str(out / "manifest.csv"),
        str(returned),
        "--report",
        str(report),
    ]
    assert runner.invoke(app, args).exit_code == 1
    with open(report, encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["student"] == "'=1+1"  # the class report neutralises it too
    assert row["wrong"] == "1" and row["first_wrong"] == "net_h1"


def test_adding_a_student_changes_nobody_elses_problem(runner, tmp_path) -> None:
    small = _roster(tmp_path / "a.csv", [["id"], ["ana"], ["ben"]])
    large = _roster(tmp_path / "b.csv", [["id"], ["ana"], ["zoe"], ["ben"]])
    for roster, out in ((small, "a"), (large, "b")):
        args = ["vary", BACKPROP, "--roster", str(roster), "--seed", "5", "-o", str(tmp_path / out)]
        assert runner.invoke(app, args).exit_code == 0
    for name in ("ana", "ben"):
        a = (tmp_path / "a" / "problems" / f"{name}.yaml").read_bytes()
        assert a == (tmp_path / "b" / "problems" / f"{name}.yaml").read_bytes()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["id"], ["x" * 65]], "at most 64 characters"),
        ([["id"], ["a\nid: b"]], "on one line"),
        ([["id"], ["a"], ["a"]], "ids must differ"),
        ([["id"]], "expected one line per student"),
        ([["id", "name"], ["a", "x\x1b[31m"]], "control character"),
    ],
)
def test_bad_rosters_are_one_line(runner, tmp_path, rows, message: str) -> None:
    roster = _roster(tmp_path / "r.csv", rows)
    args = ["vary", BACKPROP, "--roster", str(roster), "-o", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def _template(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


SOFTMAX = "command: softmax\nlogits: [{uniform: [0, 1], decimals: 1}, 2, 3]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SOFTMAX + "constraints: ['p_1 > 0.9']\n", "'p_1 > 0.9' is false in 100 of them"),
        (SOFTMAX + "constraints: ['q_1 > 0.1']\n", "names 'q_1'"),
        (SOFTMAX + "constraints: ['p_1']\n", "compares nothing"),
        (SOFTMAX + "constraints: ['import(os) > 1']\n", "constraints[0]"),
        ("command: softmax\nlogits: [{uniform: [2, 1]}, 1]\n", "low 2 is above high 1"),
        ("command: softmax\nlogits: [{uniform: [0, 1], decimals: 9}, 1]\n", "expected 0 to 6"),
        ("command: softmax\nlogits: [{choice: []}, 1]\n", "choice: expected a list"),
        ("command: softmax\nlogits: [{integer: [0, 1e99]}, 1]\n", "within ±1e+09"),
        ("command: softmax\nlogits: [{integer: [0, 1], extra: 2}, 1]\n", "a draw is"),
        ("command: softmax\nlogits: [{integer: [0, 1]}, 1]\nask: [p_9]\n", "ask[0]"),
        ("command: softmax\nlogit: [{integer: [0, 1]}, 1]\n", "unknown key 'logit'"),
    ],
)
def test_bad_templates_are_one_line(runner, tmp_path, text: str, message: str) -> None:
    args = ["vary", _template(tmp_path, text), "--count", "3", "-o", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_counts_stay_within_the_budget(runner, tmp_path) -> None:
    path = _template(tmp_path, SOFTMAX)
    result = runner.invoke(app, ["vary", path, "--count", "501", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "at most 500" in result.output
    # a choice of two values cannot give three different variants
    few = _template(tmp_path, "command: softmax\nlogits: [{choice: [1, 2]}, 0]\n")
    result = runner.invoke(app, ["vary", few, "--count", "3", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "same as an earlier variant" in result.output


def test_the_work_of_every_draw_counts(runner, tmp_path, monkeypatch) -> None:
    """A template whose draws are all refused stops at the budget of solved steps."""
    import dlcalc.sets.problem_sets as ps

    monkeypatch.setattr(ps, "MAX_SOLVED_STEPS", 2_000)
    never = BACKPROP_TEXT + "  - out_o1 > 2\n"
    args = ["vary", _template(tmp_path, never), "--count", "3", "-o", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "more than 2,000 worked steps solved" in result.output


def test_rounding_ties_and_saturation_are_guarded() -> None:
    from dlcalc.sets.problem_sets import _near_tie

    assert _near_tie(0.12345, 4) and _near_tie(-0.12345, 4) and not _near_tie(0.1234, 4)
    assert not _near_tie(0.12344, 4) and _near_tie(0.1234495, 4)
    rows = counted_rows(30)
    tmp = EXAMPLES / "templates" / "forward.yaml"
    outputs = [
        step.value
        for v in make_set(str(tmp), rows, 3, DEFAULT_DECIMALS, Settings())
        for step in v.solution.iter_steps()
        if step.label.startswith("out_")
    ]
    assert len(outputs) == 30 * 3  # h1, h2, o1 of every variant
    assert all(0.001 < out < 0.999 for out in outputs)


def _fill(answers: Path, values: dict[str, float], decimals: dict[str, int]) -> None:
    lines = []
    for line in answers.read_text(encoding="utf-8").splitlines():
        if line.endswith(":") and not line.startswith("#"):
            key = json.loads(line[:-1]) if line.startswith('"') else line[:-1]
            line += f" {values[key]:.{decimals[key]}f}"
        lines.append(line)
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_stubs_filled_with_the_key_and_with_a_slip_are_marked_through_the_manifest(
    runner, tmp_path
) -> None:
    out = tmp_path / "set"
    assert runner.invoke(app, ["vary", BACKPROP, "--count", "4", "-o", str(out)]).exit_code == 0
    variants = make_set(BACKPROP, counted_rows(4), 0, DEFAULT_DECIMALS, Settings())
    returned = tmp_path / "returned"
    returned.mkdir()
    for v in variants:
        values = {a.label: a.value for a in v.asked}
        places = {a.label: a.decimals for a in v.asked}
        if v.row.id == "2":  # one slip: net_h1; out_h1 worked on from it (carried forward)
            values["net_h1"] += 0.1
            values["out_h1"] = 1 / (1 + math.exp(-round(values["net_h1"], 4)))
        target = returned / ("renamed.yaml" if v.row.id == "3" else f"{v.row.id}.yaml")
        shutil.copy(out / "answers" / f"{v.row.id}.yaml", target)
        _fill(target, values, places)
    (returned / "stranger.yaml").write_text("id: 99\nnet_h1: 0.5\n", encoding="utf-8")
    report = tmp_path / "marks.csv"
    paths = sorted(str(p) for p in returned.glob("*.yaml"))
    result = runner.invoke(
        app, ["check", "--manifest", str(out / "manifest.csv"), *paths, "--report", str(report)]
    )
    assert result.exit_code == 1, result.output  # one sheet has a wrong value
    with open(report, encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"1", "2", "3", "4", "99"}  # renamed.yaml matched by its id: key
    for student in ("1", "3", "4"):
        assert rows[student]["right"] == "10" and rows[student]["wrong"] == "0"
    assert rows["2"]["wrong"] == "1" and rows["2"]["carried_forward"] == "1"
    assert rows["2"]["right"] == "8" and rows["2"]["first_wrong"] == "net_h1"
    assert "no variant '99'" in rows["99"]["error"]
    # the same sheet checked alone against its problem file: ✗ then ↪
    alone = runner.invoke(app, ["check", str(out / "problems" / "2.yaml"), paths[1]])
    assert alone.exit_code == 1 and "↪ carried forward" in alone.output


def test_blank_answers_are_not_claims(runner, tmp_path) -> None:
    out = tmp_path / "set"
    assert runner.invoke(app, ["vary", BACKPROP, "--count", "1", "-o", str(out)]).exit_code == 0
    stub = out / "answers" / "1.yaml"
    text = stub.read_text(encoding="utf-8").replace("E_total:", "E_total: 0.1")
    stub.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app, ["check", str(out / "problems" / "1.yaml"), str(stub), "-f", "json"]
    )
    assert json.loads(result.output)["result"]["checked"] == 1


def test_a_missing_variant_file_is_a_row_with_its_error(runner, tmp_path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,seed,problem\nana,1,problems/ana.yaml\n", encoding="utf-8")
    answers = tmp_path / "ana.yaml"
    answers.write_text("net_h1: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "--manifest", str(manifest), str(answers)])
    assert result.exit_code == 0 and "| ana |" in result.output and "ana.yaml" in result.output


def test_the_manifest_may_not_point_outside_its_folder(runner, tmp_path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,seed,problem\n1,1,../../etc/passwd\n", encoding="utf-8")
    answers = tmp_path / "1.yaml"
    answers.write_text("net_h1: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["check", "--manifest", str(manifest), str(answers)])
    assert result.exit_code == 2 and "leaves the manifest's folder" in result.output


def test_practice_writes_a_problem_and_its_stub(runner, tmp_path) -> None:
    result = runner.invoke(
        app, ["practice", "softmax", "--seed", "4", "-o", str(tmp_path), "--show"]
    )
    assert result.exit_code == 0, result.output
    problem, stub = tmp_path / "practice-4.yaml", tmp_path / "practice-4-answers.yaml"
    assert "p_1" in result.output and "Softmax, computed stably" in result.output  # --show
    again = runner.invoke(app, ["practice", "softmax", "--seed", "4", "-o", str(tmp_path / "b")])
    assert (tmp_path / "b" / "practice-4.yaml").read_bytes() == problem.read_bytes()
    data = load(str(problem))
    solution = solve("softmax", data, Settings())
    from dlcalc.sets.asking import asked_quantities

    asked = asked_quantities(solution, asks_of(data))
    _fill(stub, {a.label: a.value for a in asked}, {a.label: a.decimals for a in asked})
    assert runner.invoke(app, ["check", str(problem), str(stub)]).exit_code == 0
    assert again.exit_code == 0
    wrong = runner.invoke(app, ["practice", "softmx"])
    assert wrong.exit_code == 2 and "did you mean 'softmax'" in wrong.output


def test_a_roster_without_a_header_is_all_students(tmp_path) -> None:
    from dlcalc.sets.problem_sets import _is_header

    roster = _roster(tmp_path / "c.csv", [["s01", "Ann"], ["s02", "Bo"]])
    assert [(r.id, r.columns) for r in read_roster(str(roster))] == [
        ("s01", [("column 2", "Ann")]),
        ("s02", [("column 2", "Bo")]),
    ]
    for heading in ("id", "Student ID", "student_number", "E-mail", "Name", "user name"):
        assert _is_header([heading])
    for student in ("s01", "ana", "1234567"):
        assert not _is_header([student])


def test_roster_reader_keeps_the_other_columns(tmp_path) -> None:
    roster = _roster(tmp_path / "c.csv", [["id", "name"], ["a1", "Ann"], ["", ""], ["b2", "Bo"]])
    rows = read_roster(str(roster))
    assert [(r.id, r.columns) for r in rows] == [
        ("a1", [("name", "Ann")]),
        ("b2", [("name", "Bo")]),
    ]
    assert neutral("=1+1") == "'=1+1" and neutral("Ann") == "Ann" and neutral("\tx") == "'\tx"


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdfinfo") is None,
    reason="pdflatex or poppler's pdfinfo not installed",
)
def test_the_class_documents_typeset(runner, tmp_path) -> None:
    roster = _roster(tmp_path / "class.csv", HOSTILE)
    out = tmp_path / "set"
    args = ["vary", BACKPROP, "--roster", str(roster), "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    for name in ("sheets.tex", "keys.tex"):
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
            cwd=out,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-2000:]
    pages = subprocess.run(["pdfinfo", "sheets.pdf"], cwd=out, capture_output=True, text=True)
    assert "Pages:           4" in pages.stdout  # one student a page


@settings(max_examples=300, deadline=None)
@given(
    low=st.integers(-10_000, 10_000),
    span=st.integers(0, 10_000),
    decimals=st.integers(0, 4),
    seed=st.integers(0, 2**48),
)
def test_a_uniform_draw_is_in_its_range_with_its_decimals(low, span, decimals, seed) -> None:
    """Against exact decimal arithmetic: every drawn number lies in [lo, hi] and has at most
    ``decimals`` decimals as YAML writes it (its repr)."""
    import random
    from decimal import Decimal

    from dlcalc.sets.templates import Draw

    lo, hi = Decimal(low) / 100, Decimal(low + span) / 100
    unit = Decimal(1).scaleb(-decimals)
    assume((hi / unit).to_integral_value(rounding="ROUND_FLOOR") * unit >= lo)
    draw = Draw(("x",), "uniform", float(lo), float(hi), decimals)
    value = draw.pick(random.Random(seed))
    written = Decimal(repr(value))
    assert lo <= written <= hi
    assert written == written.quantize(unit)
    assert draw.allows(value)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_templates_stubs_filled_with_the_key_are_all_right(path: Path, tmp_path) -> None:
    """The key's values, written to the decimals the key shows, are ✓ in every format of
    answer (numbers, whole numbers, class labels) for every command."""
    from dlcalc.grading.checking import check_sheet, load_sheet
    from dlcalc.sets.problem_sets import answers_stub

    for v in make_set(str(path), counted_rows(5), 11, DEFAULT_DECIMALS, Settings()):
        stub = tmp_path / f"{v.row.stem}.yaml"
        stub.write_text(answers_stub(v, DEFAULT_DECIMALS, "dlcalc check"), encoding="utf-8")
        values = {a.label: a.value for a in v.asked}
        lines = []
        for line in stub.read_text(encoding="utf-8").splitlines():
            if line.endswith(":") and not line.startswith("#"):
                key = json.loads(line[:-1]) if line.startswith('"') else line[:-1]
                a = next(a for a in v.asked if a.label == key)
                value = values[key]
                line += f" {value}" if isinstance(value, str) else f" {value:.{a.decimals}f}"
            lines.append(line)
        stub.write_text("\n".join(lines) + "\n", encoding="utf-8")
        sheet = load_sheet(str(stub))
        assert sheet.owner == v.row.id
        report = check_sheet(v.solution, sheet, conventions=None)
        assert len(report.verdicts) == len(v.asked)
        assert not report.mismatches and not report.carried, (v.row.id, report.summary())


def _text_blocks(page: str) -> list[str]:
    import re

    from tests.conftest import ROOT

    return re.findall(r"```text\n(.*?)```", (ROOT / "docs" / page).read_text("utf-8"), re.S)


def test_the_docs_show_real_output(runner, tmp_path, monkeypatch) -> None:
    """docs/practice.md's session and docs/teaching-sets.md's refusal are what dlcalc prints."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["practice", "softmax", "--seed", "7"])
    assert result.exit_code == 0
    (session,) = _text_blocks("practice.md")
    assert session.strip().splitlines() == result.output.strip().splitlines()
    Path("t.yaml").write_text(SOFTMAX + "constraints: ['p_1 > 0.9']\n", encoding="utf-8")
    refusal = runner.invoke(app, ["vary", "t.yaml", "--count", "3", "-o", "set"])
    assert refusal.output.strip() in _text_blocks("teaching-sets.md")[0]


def test_saturated_draws_are_refused_unless_allowed(tmp_path) -> None:
    text = (
        "command: forward\ninput: [1, 1]\ntarget: [1]\nloss: half_sse\nlayers:\n"
        "  - activation: sigmoid\n    weights: [[{uniform: [-12, 12], decimals: 1}, 1]]\n"
        "    bias: 0\n"
    )
    plain = make_set(_template(tmp_path, text), counted_rows(20), 1, DEFAULT_DECIMALS, Settings())
    outs = [v.solution.step("out_o1").value for v in plain]
    assert all(0.001 < out < 0.999 for out in outs)
    allowed = _template(tmp_path, text + "vary: {allow_saturated: true}\n")
    free = make_set(allowed, counted_rows(20), 1, DEFAULT_DECIMALS, Settings())
    assert any(not 0.001 < v.solution.step("out_o1").value < 0.999 for v in free)
