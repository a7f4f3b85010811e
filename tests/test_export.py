"""``dlcalc export``: Moodle XML, GIFT and QTI 1.2 from problems and variants.

Every asked number in every format equals ``solve``'s JSON value as the key shows it; the
Moodle cloze parts match Moodle's own cloze parser (its regular expressions, transcribed
from question/type/multianswer/questiontype.php); the QTI assessment validates against the
IMS QTI ASI 1.2.1 DTD; the GIFT file parses with an independent GIFT parser; hostile titles
and names come out inert.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"

# Moodle's cloze parser (qtype_multianswer): ANSWER_REGEX and NUMERICAL_ALTERNATIVE_REGEX.
# PCRE's variable-width look-behind (?<!\\|&|&amp;) is three fixed-width ones in Python.
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = re.compile("^(" + NUMBER + ")(:" + NUMBER + ")?$")
ALTERNATIVE = (
    r"(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?"
    r"(.+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$))"
    r"(#(.*?(?<!\\)(?=[~}]|$)))?"
)
TYPES = (
    r"(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
    r"(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
    r"(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
    r"(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)"
)
ANSWER = re.compile(
    r"\{([0-9]*):(" + TYPES + "):(" + ALTERNATIVE + "(~" + ALTERNATIVE + ")*)\\}", re.S
)


def cloze_parts(text: str) -> list[tuple[str, str, str | None]]:
    """``(kind, answer, tolerance)`` of every part Moodle's parser finds in a question text."""
    parts = []
    while (m := ANSWER.search(text)) is not None:
        kind = "NUMERICAL" if m.group(3) else "SHORTANSWER" if m.group(7) else m.group(2)
        alternative = re.match("~?" + ALTERNATIVE, m.group(16), re.S)
        assert alternative is not None and alternative.group(1) == "="
        answer = alternative.group(3)
        tolerance = None
        if kind == "NUMERICAL":
            numeric = NUMERICAL_ALTERNATIVE.match(answer)
            assert numeric is not None, f"Moodle would not read {answer!r} as a number"
            answer, tolerance = numeric.group(1), numeric.group(6)
        parts.append((kind, answer, tolerance))
        text = text[: m.start()] + "{#}" + text[m.end() :]
    return parts


def exported(tmp_path: Path, to: str, *problems: str, extra: tuple[str, ...] = ()) -> str | bytes:
    from typer.testing import CliRunner

    from dlcalc.app.cli import app

    suffix = {"moodle": ".xml", "gift": ".txt", "qti": ".zip"}[to]
    out = tmp_path / f"quiz{suffix}"
    result = CliRunner().invoke(app, ["export", *problems, "--to", to, "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out.read_bytes() if to == "qti" else out.read_text(encoding="utf-8")


def json_values(problem: str) -> tuple[dict, dict]:
    """``solve``'s JSON: step values by quantity, and the result."""
    from typer.testing import CliRunner

    from dlcalc.app.cli import app

    result = CliRunner().invoke(app, ["solve", problem, "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    return {s["quantity"]: s["value"] for s in doc["steps"]}, doc["result"]


def expected(label: str, steps: dict, result: dict) -> float:
    """The JSON value an asked label stands for: its step's, else its result path's."""
    from dlcalc.grading.checking import resolve_path

    if label in steps:
        return float(steps[label])
    return float(resolve_path(result, label.removeprefix("result.")))


def agrees(answer: str, tolerance: str, value: float) -> None:
    """The exported answer is ``value`` to the decimals it shows, and the tolerance covers it."""
    places = max(0, -Decimal(answer).as_tuple().exponent)  # type: ignore[operator]
    assert Decimal(answer) == abs(Decimal(f"{value:.{places}f}")) or Decimal(answer) == Decimal(
        f"{value:.{places}f}"
    ), (answer, value)
    assert abs(Decimal(answer) - Decimal(repr(value))) <= Decimal(tolerance), (answer, value)


EXPORTABLE = sorted(
    p.name
    for p in EXAMPLES.glob("*.yaml")
    if "command:" in p.read_text(encoding="utf-8") and "templates" not in str(p)
)


@pytest.mark.parametrize("name", EXPORTABLE)
def test_every_example_exports_its_values(tmp_path: Path, name: str) -> None:
    """Moodle cloze parts (as Moodle's parser reads them), GIFT answers and QTI answers all
    equal solve's JSON values to the shown decimals."""
    from dlcalc.app.settings import Settings
    from dlcalc.export.quiz import questions

    problem = str(EXAMPLES / name)
    steps, result = json_values(problem)
    [question] = questions([problem], Settings())
    moodle = exported(tmp_path, "moodle", problem)
    parts = cloze_parts(html_of_questiontext(moodle))
    assert len(parts) == len(question.parts) > 0
    for part, (kind, answer, tolerance) in zip(question.parts, parts):
        if part.numeric:
            assert kind == "NUMERICAL" and tolerance is not None
            agrees(answer, tolerance, expected(part.label, steps, result))
        else:
            assert kind == "SHORTANSWER"
    gift = exported(tmp_path, "gift", problem)
    answers = re.findall(r"\{#(-?[0-9.]+):([0-9.]+)\}", str(gift))
    numeric = [p for p in question.parts if p.numeric]
    assert len(answers) == len(numeric)
    for part, (answer, tolerance) in zip(numeric, answers):
        agrees(answer, tolerance, expected(part.label, steps, result))


def html_of_questiontext(xml: str | bytes) -> str:
    """The question texts of a Moodle XML file, as Moodle's importer reads them."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    return "\n".join(t.text or "" for t in root.iterfind("./question/questiontext/text"))


def test_cloze_parser_transcription_finds_what_moodle_finds() -> None:
    """The transcribed parser reads a part with a tolerance, a short answer, and not a brace
    written as a character reference (what dlcalc writes for user text)."""
    text = "a {2:NUMERICAL:=0.7514:0.00005} b {1:SA:=car} c &#123;1:NUMERICAL:=1:1&#125;"
    assert cloze_parts(text) == [("NUMERICAL", "0.7514", "0.00005"), ("SHORTANSWER", "car", None)]
    with pytest.raises(AssertionError):
        cloze_parts("{1:NUMERICAL:=1e:2}")


def test_moodle_xml_structure(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(exported(tmp_path, "moodle", str(EXAMPLES / "mazur.yaml")))
    assert root.tag == "quiz"
    [question] = root.findall("question")
    assert question.get("type") == "cloze"
    feedback = question.findtext("generalfeedback/text") or ""
    assert r"\(" in feedback and r"\frac{\partial E}{\partial w_{5}}" in feedback
    assert question.findtext("idnumber") == "mazur"
    numerical = ET.fromstring(
        exported(
            tmp_path, "moodle", str(EXAMPLES / "mazur.yaml"), extra=("--moodle-type", "numerical")
        )
    )
    questions = numerical.findall("question")
    assert {q.get("type") for q in questions} == {"numerical"}
    assert len(questions) == 9  # the loss and eight new weights
    answer = questions[0].find("answer")
    assert answer is not None and answer.findtext("text") == "0.2984"
    assert answer.findtext("tolerance") == "0.00005"


def test_qti_package_validates_against_the_dtd(tmp_path: Path) -> None:
    etree = pytest.importorskip("lxml.etree")
    package = exported(
        tmp_path, "qti", str(EXAMPLES / "mazur.yaml"), str(EXAMPLES / "perceptron-trace.yaml")
    )
    with zipfile.ZipFile(io.BytesIO(bytes(package))) as z:
        names = z.namelist()
        assert names == ["imsmanifest.xml", "dlcalc-quiz.xml"]
        manifest = etree.fromstring(z.read("imsmanifest.xml"))
        quiz = z.read("dlcalc-quiz.xml")
    ns = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
    [resource] = manifest.findall("cp:resources/cp:resource", ns)
    assert resource.get("type") == "imsqti_xmlv1p2" and resource.get("href") == "dlcalc-quiz.xml"
    dtd = etree.DTD(str(DATA / "qti" / "ims_qtiasiv1p2p1.dtd"))
    tree = etree.fromstring(quiz, etree.XMLParser(load_dtd=False, no_network=True))
    assert dtd.validate(tree), dtd.error_log.filter_from_errors()
    items = tree.findall(".//item")
    steps, result = json_values(str(EXAMPLES / "mazur.yaml"))
    mazur = [i for i in items if i.get("ident", "").startswith("mazur-")]
    assert len(mazur) == 9
    for element in mazur:
        kind = element.findtext(".//qtimetadatafield[fieldlabel='question_type']/fieldentry")
        assert kind == "numerical_question"
        answer = element.findtext(".//varequal")
        low, high = element.findtext(".//vargte"), element.findtext(".//varlte")
        label = element.get("title", "").rpartition(": ")[2]
        value = expected(label, steps, result)
        assert Decimal(low) <= Decimal(repr(value)) <= Decimal(high)
        agrees(answer, str((Decimal(high) - Decimal(low)) / 2), value)
    # the worked solution once per problem: the feedback of its first item
    assert len(tree.findall(".//itemfeedback")) == 2


def test_qti_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    one = exported(tmp_path, "qti", str(EXAMPLES / "softmax-3-4-10-3.yaml"))
    two = exported(tmp_path, "qti", str(EXAMPLES / "softmax-3-4-10-3.yaml"))
    assert one == two


def test_gift_round_trips_through_an_independent_parser(tmp_path: Path) -> None:
    parser = pytest.importorskip("pygiftparser.parser")
    text = str(exported(tmp_path, "gift", str(EXAMPLES / "mazur.yaml")))
    gift = parser.parse(text)
    steps, result = json_values(str(EXAMPLES / "mazur.yaml"))
    assert len(gift.questions) == 9
    for question in gift.questions:
        option = question.answer.options[0]
        answer, _, tolerance = option.text.lstrip("#").strip().partition(":")
        label = question.name.rpartition(": ")[2]
        agrees(answer, tolerance, expected(label, steps, result))


HOSTILE = [
    "]]><script>alert(1)</script>",
    "{#1:1} {1:NUMERICAL:=1:100} ~= #{}:",
    '=HYPERLINK("http://evil.example","click")',
    "<img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_and_names_are_inert(tmp_path: Path, title: str) -> None:
    """A title or unit name from a stranger cannot add a cloze part, a GIFT answer, markup or
    a formula in any format."""
    etree = pytest.importorskip("lxml.etree")
    problem = tmp_path / "p.yaml"
    unit = "u" + re.sub(r"[^A-Za-z0-9]", "", title)[:20]
    problem.write_text(
        json.dumps(
            {
                "command": "forward",
                "title": title,
                "source": title,
                "input": [1.0],
                "target": [0.5],
                "layers": [
                    {"units": [unit], "activation": "sigmoid", "weights": [[0.5]], "bias": 0.1}
                ],
            }
        ),
        encoding="utf-8",
    )
    moodle = str(exported(tmp_path, "moodle", str(problem)))
    text = html_of_questiontext(moodle)
    assert [kind for kind, _, _ in cloze_parts(text)] == ["NUMERICAL"] * 2  # output and loss
    assert "<script" not in text and "<img" not in text
    gift = str(exported(tmp_path, "gift", str(problem)))
    assert len(re.findall(r"(?<!\\)\{#", gift)) == 2
    assert "<script" not in gift and "<img" not in gift
    package = bytes(exported(tmp_path, "qti", str(problem)))
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        tree = etree.fromstring(z.read("dlcalc-quiz.xml"))
    for mattext in tree.iter("mattext"):
        assert "<script" not in (mattext.text or "") and "<img" not in (mattext.text or "")
    assert len(tree.findall(".//item")) == 2


def test_tolerance_follows_the_marking_policy() -> None:
    from dlcalc.export.quiz import answer_and_tolerance

    assert answer_and_tolerance(0.75136507, 4) == ("0.7514", "0.00005")
    assert answer_and_tolerance(34944, 0) == ("34944", "0.5")
    assert answer_and_tolerance(-0.0000001, 4) == ("0.0000", "0.00005")
    assert answer_and_tolerance(0.75136507, 4, "absolute", 0.01) == ("0.7514", "0.01")
    assert answer_and_tolerance(2.5, 4, "relative", 0.01) == ("2.5000", "0.025")
    assert answer_and_tolerance(0.75136507, 4, "decimals", 2) == ("0.75", "0.005")
    assert answer_and_tolerance(0.0012345, 4, "significant", 3) == ("0.00123", "0.000005")
    assert answer_and_tolerance(1234.5, 4, "significant", 3) == ("1230", "5")


def test_marks_policy_sets_points_and_tolerance(tmp_path: Path) -> None:
    """A problem's marks: gives each part its points and its tolerance in the export."""
    import xml.etree.ElementTree as ET

    problem = tmp_path / "p.yaml"
    problem.write_text(
        (EXAMPLES / "mazur.yaml").read_text(encoding="utf-8")
        + "ask: [out_o1, E_total, w5_new]\n"
        + "marks: {default: 1, steps: {w5_new: 2}, tolerance: {mode: absolute, value: 0.001}}\n",
        encoding="utf-8",
    )
    root = ET.fromstring(exported(tmp_path, "moodle", str(problem)))
    text = html_of_questiontext(ET.tostring(root, encoding="unicode"))
    assert re.findall(r"\{(\d+):NUMERICAL:=([-0-9.]+):([0-9.]+)\}", text) == [
        ("1", "0.7514", "0.001"),
        ("1", "0.2984", "0.001"),
        ("2", "0.3589", "0.001"),
    ]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlcalc.app.cli import app

    runner = CliRunner()
    mazur = str(EXAMPLES / "mazur.yaml")
    for args, words in (
        (["export", mazur, "--to", "moodel"], "did you mean 'moodle'"),
        (["export", mazur, "--to", "qti"], "give -o quiz.zip"),
        (["export", mazur, "--to", "qti", "-o", str(tmp_path / "q.xml")], "q.zip"),
        (["export", str(tmp_path / "missing.yaml"), "--to", "gift"], "missing.yaml"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert words in result.output, result.output
        assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def varied(folder: Path, template: str, count: int) -> Path:
    """``dlcalc vary`` a shipped template into ``folder``; its manifest."""
    from typer.testing import CliRunner

    from dlcalc.app.cli import app

    template_path = str(EXAMPLES / "templates" / f"{template}.yaml")
    args = ["vary", template_path, "--count", str(count), "--seed", "3", "-o", str(folder)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return folder / "manifest.csv"


@pytest.mark.parametrize("template", ["backprop", "softmax", "conv"])
def test_twenty_variants_share_a_category_and_export_their_own_values(
    tmp_path: Path, template: str
) -> None:
    import csv
    import xml.etree.ElementTree as ET

    from dlcalc.app.settings import Settings
    from dlcalc.export.quiz import questions

    manifest = varied(tmp_path / "set", template, 20)
    rows = list(csv.DictReader(manifest.read_text(encoding="utf-8").splitlines()))
    root = ET.fromstring(exported(tmp_path, "moodle", str(manifest)))
    category, *cloze = root.findall("question")
    assert category.get("type") == "category"
    made = questions([str(manifest)], Settings())
    assert category.findtext("category/text") == "$course$/top/dlcalc/" + made[0].title
    assert [q.findtext("idnumber") for q in cloze] == [row["id"] for row in rows]
    for row, question, element in zip(rows, made, cloze):
        steps, result = json_values(str(manifest.parent / row["problem"]))
        parts = cloze_parts(element.findtext("questiontext/text") or "")
        assert len(parts) == len(question.parts) > 0
        for part, (_, answer, tolerance) in zip(question.parts, parts):
            if part.numeric:
                assert tolerance is not None
                agrees(answer, tolerance, expected(part.label, steps, result))
    gift = str(exported(tmp_path, "gift", str(manifest)))
    assert gift.startswith("$CATEGORY: $course$/top/dlcalc/")
    assert gift.count("::[html]") == sum(len(q.parts) for q in made)


def test_a_manifest_names_its_own_variants_only(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dlcalc.app.cli import app

    (tmp_path / "set").mkdir()
    manifest = tmp_path / "set" / "manifest.csv"
    manifest.write_text("id,seed,problem\ns1,1,../secret.yaml\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(manifest), "--to", "gift"])
    assert result.exit_code == 2 and "outside the manifest's folder" in result.output
    manifest.write_text("name,problem\nx,p.yaml\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(manifest), "--to", "gift"])
    assert result.exit_code == 2 and "missing: id" in result.output
