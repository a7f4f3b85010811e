"""IMS QTI 1.2 (Canvas's quiz import): a ``.zip`` with ``imsmanifest.xml`` and one assessment.

Each problem is a section; each asked quantity an item.  A number is a Canvas
``numerical_question``: a ``render_fib`` box scored 100 when the response equals the answer
or lies within ``[answer − margin, answer + margin]`` (``<or><varequal/><and><vargte/>
<varlte/></and></or>``, the form Canvas exports and reads back as an exact answer with a
margin).  A text answer is a ``short_answer_question``.  The worked solution is the general
feedback of a problem's first item.  The XML follows the IMS QTI ASI 1.2.1 DTD; the zip's
entries have fixed dates, so the same export is the same bytes.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

from dlcalc.export.pages import esc
from dlcalc.export.quiz import Part, Question

QUIZ = "dlcalc-quiz.xml"
DOCTYPE = '<!DOCTYPE questestinterop SYSTEM "ims_qtiasiv1p2p1.dtd">\n'
DATE = (1980, 1, 1, 0, 0, 0)


def _field(parent: ET.Element, label: str, entry: str) -> None:
    field = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(field, "fieldlabel").text = label
    ET.SubElement(field, "fieldentry").text = entry


def _html(parent: ET.Element, markup: str) -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", {"texttype": "text/html"}).text = markup


def item(question: Question, part: Part, k: int, feedback: bool) -> ET.Element:
    """One asked quantity as a QTI item."""
    ident = f"{question.ident}-{k + 1}"
    element = ET.Element("item", {"ident": ident, "title": f"{question.title}: {part.label}"})
    meta = ET.SubElement(ET.SubElement(element, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", "numerical_question" if part.numeric else "short_answer_question")
    _field(meta, "points_possible", repr(float(part.points)))
    presentation = ET.SubElement(element, "presentation")
    _html(
        presentation,
        f"<p><strong>{esc(question.title)}</strong></p>\n{question.intro_html}\n"
        f"<p>Work out {part.name_html}.</p>",
    )
    response = ET.SubElement(
        presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}
    )
    fib = ET.SubElement(
        response, "render_fib", {"fibtype": "Decimal" if part.numeric else "String"}
    )
    ET.SubElement(fib, "response_label", {"ident": "answer1"})
    processing = ET.SubElement(element, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(
        outcomes,
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    if feedback:
        general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
        ET.SubElement(
            general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"}
        )
    right = ET.SubElement(processing, "respcondition", {"continue": "No"})
    condition = ET.SubElement(right, "conditionvar")
    if part.numeric:
        low, high = bounds(part)
        either = ET.SubElement(condition, "or")
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = part.answer
        within = ET.SubElement(either, "and")
        ET.SubElement(within, "vargte", {"respident": "response1"}).text = low
        ET.SubElement(within, "varlte", {"respident": "response1"}).text = high
    else:
        ET.SubElement(condition, "varequal", {"respident": "response1"}).text = part.answer
    ET.SubElement(right, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    if feedback:
        fb = ET.SubElement(element, "itemfeedback", {"ident": "general_fb"})
        _html(ET.SubElement(fb, "flow_mat"), question.feedback_html)
    return element


def bounds(part: Part) -> tuple[str, str]:
    """``answer ∓ margin`` as exact decimal text (no binary rounding: 0.75135, 0.75145)."""
    from decimal import Decimal

    from dlcalc.export.quiz import decimal_text

    answer, margin = Decimal(part.answer), Decimal(part.tolerance or "0")
    return decimal_text(answer - margin), decimal_text(answer + margin)


def assessment(questions: list[Question], title: str) -> str:
    """The assessment XML: one section per problem, one item per asked quantity."""
    root = ET.Element("questestinterop")
    test = ET.SubElement(root, "assessment", {"ident": "dlcalc-quiz", "title": title})
    meta = ET.SubElement(test, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    top = ET.SubElement(test, "section", {"ident": "root_section"})
    for question in questions:
        section = ET.SubElement(top, "section", {"ident": question.ident, "title": question.title})
        for k, part in enumerate(question.parts):
            section.append(item(question, part, k, feedback=k == 0))
    ET.indent(root, space="  ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + DOCTYPE
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )


def manifest() -> str:
    """``imsmanifest.xml``: one QTI 1.2 resource, the assessment."""
    ns = "http://www.imsglobal.org/xsd/imscp_v1p1"
    root = ET.Element("manifest", {"identifier": "dlcalc-export", "xmlns": ns})
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "IMS Content"
    ET.SubElement(meta, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(
        resources, "resource", {"identifier": "dlcalc-quiz", "type": "imsqti_xmlv1p2", "href": QUIZ}
    )
    ET.SubElement(resource, "file", {"href": QUIZ})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(questions: list[Question], title: str) -> bytes:
    """The QTI package: a zip of the manifest and the assessment, the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in (("imsmanifest.xml", manifest()), (QUIZ, assessment(questions, title))):
            info = zipfile.ZipInfo(name, DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
