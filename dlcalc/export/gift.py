"""GIFT: Moodle's plain-text question format, one numerical question per asked quantity.

``::name::[html]text{#answer:tolerance}``; a text answer is ``{=answer}``.  GIFT gives
``~ = # { } :`` (and the backslash) their meaning, so every one of them in user text is
written with a backslash before it, as Moodle's GIFT documentation says; a blank line ends
a question, so no text of ours holds one.  Variants of one template follow a
``$CATEGORY:`` line.  GIFT has no points per question: give them in the quiz.
"""

from __future__ import annotations

import re

from dlcalc.export.moodle import category_path
from dlcalc.export.pages import esc
from dlcalc.export.quiz import Part, Question

SPECIAL = re.compile(r"([~=#{}:\\])")


def escape(text: str) -> str:
    """GIFT's special characters escaped with a backslash; line breaks as spaces."""
    return SPECIAL.sub(r"\\\1", " ".join(text.split()))


def answer(part: Part) -> str:
    """``{#0.7514:0.00005}`` for a number, ``{=car}`` for a text answer."""
    if part.numeric:
        return f"{{#{part.answer}:{part.tolerance}}}"
    return "{=" + escape(part.answer) + "}"


def write(questions: list[Question]) -> str:
    """The GIFT file: every asked quantity of every question, a blank line between them."""
    out: list[str] = []
    category: str | None = None
    for question in questions:
        if question.category is not None and question.category != category:
            category = question.category
            out.append(f"$CATEGORY: {' '.join(category_path(category).split())}\n")
        intro = " ".join(question.intro_html.split())
        for part in question.parts:
            name = escape(esc(f"{question.title} ({question.ident}): {part.label}"))
            text = escape(
                f"<p><strong>{esc(question.title)}</strong></p> {intro} "
                f"<p>Work out {part.name_html}.</p>"
            )
            out.append(f"::{name}::[html]{text}{answer(part)}\n")
    return "\n".join(out)
