"""Problems and variants as quiz files an LMS imports: Moodle XML, GIFT and QTI 1.2 (Canvas).

``dlcalc export PROBLEM_OR_MANIFEST… --to moodle | gift | qti -o FILE``: each problem (or each
variant of a ``vary`` manifest) is solved, its asked quantities (``ask:``, else the command's
final answers: :mod:`dlcalc.sets.asking`) become numerical answers with a tolerance, its givens
the question text and its worked solution the general feedback.

:mod:`dlcalc.export.quiz` builds the questions as plain records; one module per format writes
them (:mod:`~dlcalc.export.moodle`, :mod:`~dlcalc.export.gift`, :mod:`~dlcalc.export.qti`).
Every piece of user text (titles, sources, names, roster columns) is escaped for the target
format by the library that writes it, or by the format's own escaping rule.
"""

from __future__ import annotations

from typing import Any

from dlcalc.errors import InputError

FORMATS = ("moodle", "gift", "qti")

EXTENSIONS = {"moodle": ".xml", "gift": ".gift.txt", "qti": ".zip"}


def export(inputs: list[str], to: str, settings: Any, moodle_type: str = "cloze") -> None:
    """Solve every problem (or manifest's variants) and write them as a quiz in format ``to``.

    Moodle XML and GIFT go to -o or standard output; a QTI package (a zip) needs -o.
    """
    from dlcalc.app import files
    from dlcalc.export import gift, moodle, qti
    from dlcalc.export.quiz import questions
    from dlcalc.specs.loader import suggest

    if to not in FORMATS:
        raise InputError(
            f"unknown format {to!r}{suggest(to, FORMATS)}; expected one of: {', '.join(FORMATS)}",
            field="--to",
        )
    if moodle_type not in ("cloze", "numerical"):
        raise InputError(
            f"unknown Moodle question type {moodle_type!r}; expected cloze or numerical",
            field="--moodle-type",
        )
    if settings.fmt is not None:
        raise InputError(
            "export writes the quiz format --to names; leave out --format", field="--format"
        )
    output = settings.output
    if to == "qti" and output is None:
        raise InputError("a QTI package is a .zip file: give -o quiz.zip", field="--output")
    if output is not None and to == "qti" and output.suffix.lower() != ".zip":
        raise InputError(
            f"a QTI package is a .zip file; write -o {output.with_suffix('.zip').name}",
            field="--output",
        )
    files.reset()
    made = questions(inputs, settings)
    if to == "qti":
        title = made[0].category or made[0].title if len(made) == 1 else "dlcalc quiz"
        target = files.staged(output)
        target.write_bytes(qti.write(made, title))
        files.commit()
        return
    text = moodle.write(made, moodle_type) if to == "moodle" else gift.write(made)
    if output is None:
        files.write_stdout(text)
    else:
        files.write_text(output, text)
        files.commit()
