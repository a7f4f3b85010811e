"""Moodle XML: one cloze question per problem, or one numerical question per asked quantity.

What Moodle's importer reads (``question/format/xml/format.php``, ``import_multianswer``):
the question text is scanned for ``{points:NUMERICAL:=answer:tolerance}`` parts by the cloze
parser (``question/type/multianswer/questiontype.php``): the points are digits, the answer
and tolerance numbers (``-?digits[.digits]``).  Everything else in the text is ours to keep
inert: user text is escaped and its braces are character references (:mod:`.pages`), so
no cloze part can be injected.  Variants of one template share a ``<question
type="category">``, so that a quiz's "random question" draws one per student.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from fractions import Fraction

from dlcalc.errors import InputError
from dlcalc.export.pages import esc
from dlcalc.export.quiz import Part, Question

PENALTY = "0.3333333"  # Moodle's default penalty for a wrong try


def category_path(title: str) -> str:
    """The category of a template's variants: ``$course$/top/dlcalc/<title>`` (a ``/`` doubled,
    as Moodle escapes it in category names)."""
    return "$course$/top/dlcalc/" + title.replace("/", "//")


def whole_points(parts: list[Part]) -> list[int]:
    """Cloze parts take whole points: weights scaled by the least factor that makes them whole."""
    fractions = [Fraction(p.points).limit_denominator(1000) for p in parts]
    scale = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    return [int(f * scale) for f in fractions]


def cloze_part(part: Part, points: int) -> str:
    """``{1:NUMERICAL:=0.7514:0.00005}``, or ``{1:SHORTANSWER:=car}`` for a text answer."""
    if part.numeric:
        return f"{{{points}:NUMERICAL:={part.answer}:{part.tolerance}}}"
    return f"{{{points}:SHORTANSWER:={short_answer(part.answer)}}}"


def short_answer(text: str) -> str:
    """A text answer inside a cloze part: HTML-escaped (the parser decodes entities), ``}`` and
    ``#`` escaped with a backslash as the parser expects; ``~`` and ``\\`` cannot be written."""
    import html

    if "~" in text or "\\" in text:
        raise InputError(
            f"the answer {text!r} holds ~ or \\, which a Moodle cloze answer cannot hold; rename it"
        )
    return html.escape(text).replace("}", "\\}").replace("#", "\\#")


def _text(parent: ET.Element, tag: str, text: str, html: bool = True) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = text
    return element


def _head(question: Question, name: str, qtype: str, root: ET.Element) -> ET.Element:
    element = ET.SubElement(root, "question", {"type": qtype})
    ET.SubElement(ET.SubElement(element, "name"), "text").text = name
    return element


def cloze(question: Question, root: ET.Element) -> None:
    """One cloze question: the givens, then a table of the asked quantities with their boxes."""
    points = whole_points(question.parts)
    rows = "".join(
        f"<tr><td>{part.name_html}</td><td>= {cloze_part(part, p)}</td></tr>"
        for part, p in zip(question.parts, points)
    )
    text = (
        f"<p><strong>{esc(question.title)}</strong></p>\n{question.intro_html}\n"
        f"<p>Work out:</p>\n<table>{rows}</table>"
    )
    element = _head(question, f"{question.title} ({question.ident})", "cloze", root)
    _text(element, "questiontext", text)
    _text(element, "generalfeedback", question.feedback_html)
    ET.SubElement(element, "penalty").text = PENALTY
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = question.ident


def numerical(question: Question, root: ET.Element) -> None:
    """One numerical (or short-answer) question per asked quantity."""
    for part in question.parts:
        qtype = "numerical" if part.numeric else "shortanswer"
        name = f"{question.title} ({question.ident}): {part.label}"
        element = _head(question, name, qtype, root)
        text = (
            f"<p><strong>{esc(question.title)}</strong></p>\n{question.intro_html}\n"
            f"<p>Work out {part.name_html}.</p>"
        )
        _text(element, "questiontext", text)
        _text(element, "generalfeedback", question.feedback_html)
        ET.SubElement(element, "defaultgrade").text = repr(float(part.points))
        ET.SubElement(element, "penalty").text = PENALTY
        ET.SubElement(element, "hidden").text = "0"
        answer = ET.SubElement(
            element, "answer", {"fraction": "100", "format": "moodle_auto_format"}
        )
        ET.SubElement(answer, "text").text = part.answer
        if part.numeric:
            ET.SubElement(answer, "tolerance").text = part.tolerance
        _text(answer, "feedback", "")


def write(questions: list[Question], kind: str = "cloze") -> str:
    """The Moodle XML quiz file (``kind``: ``cloze`` or ``numerical``)."""
    root = ET.Element("quiz")
    category: str | None = None
    for question in questions:
        if question.category is not None and question.category != category:
            category = question.category
            element = ET.SubElement(root, "question", {"type": "category"})
            ET.SubElement(ET.SubElement(element, "category"), "text").text = category_path(category)
            _text(element, "info", "")
        (cloze if kind == "cloze" else numerical)(question, root)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
