"""Renderers: one module per output format, each turning any Solution into text.

Renderers never compute; they format the numbers and lay out the steps, tables and
notes that a computation recorded.
"""

from __future__ import annotations

from enum import Enum

from dlcalc.model.steps import Solution


class Format(str, Enum):
    rich = "rich"
    markdown = "markdown"
    latex = "latex"
    json = "json"
    html = "html"


EXTENSIONS = {
    ".md": Format.markdown,
    ".tex": Format.latex,
    ".json": Format.json,
    ".txt": Format.rich,
    ".html": Format.html,
}


def render_text(
    solution: Solution, fmt: Format, decimals: int = 4, every_step: bool = False, width: int = 100
) -> str:
    """Render ``solution`` as a string in ``fmt`` (rich becomes plain text without colour)."""
    if fmt is Format.json:
        from dlcalc.render import json_doc

        return json_doc.render(solution, decimals)
    if fmt is Format.markdown:
        from dlcalc.render import markdown

        return markdown.render(solution, decimals, every_step)
    if fmt is Format.html:
        from dlcalc.render import html

        return html.render(solution, decimals, every_step)
    if fmt is Format.latex:
        from dlcalc.render import latex

        return latex.render(solution, decimals, every_step)
    from dlcalc.render import terminal

    return terminal.to_text(solution, decimals, every_step, width=width)


def ascii_wanted(stream: object) -> bool:
    """Whether output to ``stream`` is to be plain ASCII: ``--ascii``, or it cannot show Unicode."""
    import os

    from dlcalc.render.notation import can_encode

    return bool(os.environ.get("DLCALC_ASCII")) or not can_encode(stream)


def in_ascii(text: str, fmt: Format) -> str:
    """``text`` in ``fmt`` as plain ASCII that means the same.

    JSON escapes (the same document), HTML character references (the same page); Markdown,
    LaTeX and plain text spell dlcalc's symbols out (−0.5 → -0.5, ∂E/∂w5 → dE/dw5).
    """
    if text.isascii():
        return text
    if fmt is Format.json:
        import json

        return json.dumps(json.loads(text), ensure_ascii=True, indent=1) + "\n"
    if fmt is Format.html:
        return text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    from dlcalc.render.notation import ascii_text, ascii_title

    lines = text.split("\n")
    return "\n".join(
        ascii_title(line)
        if line.startswith(("#", "\\section", "\\subsection"))
        else ascii_text(line)
        for line in lines
    )


def any_in_ascii(text: str) -> str:
    """Text of a format not known here (a practice sheet, a summary, JSON) in plain ASCII:
    JSON's and HTML's characters escaped in place, anything else spelled out line by line."""
    if text.isascii():
        return text
    head = text.lstrip()[:15].lower()
    if head.startswith(("{", "[")):
        import json

        try:
            json.loads(text)
        except ValueError:
            pass
        else:  # non-ASCII characters stand only inside strings: escape them where they are
            return "".join(json.dumps(ch)[1:-1] if ord(ch) > 127 else ch for ch in text)
    if head.startswith(("<!doctype", "<html")):
        return in_ascii(text, Format.html)
    return in_ascii(text, Format.markdown)
