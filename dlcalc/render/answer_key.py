"""Answer keys: several worked solutions in one numbered Markdown or LaTeX document.

Each problem is headed by its number and title, then where it comes from: the
``source:`` key and the leading ``#`` comment lines of its YAML file (where the
example files cite their slide deck).
"""

from __future__ import annotations

from dataclasses import dataclass

from dlcalc.model.steps import Solution

TITLE = "Answer key"


@dataclass
class Problem:
    """One solved problem of the key: its solution, file name and source comment."""

    solution: Solution
    name: str
    comment: str | None = None


def leading_comment(text: str) -> str | None:
    """The ``#`` comment lines at the top of a YAML file, joined (``None`` when there are none)."""
    lines: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped and not lines:
            continue
        if not stripped.startswith("#"):
            break
        lines.append(stripped.lstrip("#").strip())
    text = " ".join(line for line in lines if line)
    return text or None


def _heading(problem: Problem, number: int) -> str:
    return f"{number}. {problem.solution.title or problem.name}"


def _sources(problem: Problem) -> list[str]:
    """Where the problem comes from, once: the file's leading comment, else its ``source:``."""
    source = (problem.solution.source or "").strip()
    return [problem.comment] if problem.comment else [source] if source else []


def _bare(solution: Solution) -> Solution:
    return solution.replace(title=None, source=None)


def markdown(
    problems: list[Problem], decimals: int = 4, every_step: bool = False, title: str = TITLE
) -> str:
    """One Markdown document: ``# Answer key``, then ``## 1. Title``, its source and its solution."""
    from dlcalc.render import markdown as md

    # Titles, sources and file names are user text: escaped, never Markdown.
    parts = [f"# {md.escape(title)}", ""]
    parts += [
        f"{i}. {md.escape(p.solution.title or p.name)} ({md.code(p.name)}, {p.solution.command})"
        for i, p in enumerate(problems, 1)
    ]
    parts.append("")
    for i, p in enumerate(problems, 1):
        parts += [f"## {md.escape(_heading(p, i))}", ""]
        parts += [f"*{md.escape(s)}*" for s in _sources(p)] + [""] if _sources(p) else []
        # Solution sections become ### headings under the problem's ##.
        parts.append(md.render(_bare(p.solution), decimals, every_step, level=2))
    return "\n".join(parts).rstrip() + "\n"


def latex(
    problems: list[Problem], decimals: int = 4, every_step: bool = False, title: str = TITLE
) -> str:
    """A complete LaTeX document (amsmath, booktabs): one numbered section per problem."""
    from dlcalc.render import latex as tex

    lines = [
        tex.PREAMBLE,
        f"\\title{{{tex.text(title)}}}",
        "\\date{}",
        "\\begin{document}",
        "\\maketitle",
        "\\tableofcontents",
        "\\clearpage",
        "",
    ]
    for i, p in enumerate(problems, 1):
        lines.append(f"\\section{{{tex.text(p.solution.title or p.name)}}}")
        for source in _sources(p):
            lines.append(f"\\emph{{{tex.text(source)}}}\n")
        lines.append(tex.body(_bare(p.solution), decimals, every_step))
        if i < len(problems):
            lines.append("\\clearpage")
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


def html(
    problems: list[Problem], decimals: int = 4, every_step: bool = False, title: str = TITLE
) -> str:
    """One HTML page: a contents list linking to each problem, then the problems in turn."""
    from dlcalc.render import html as h

    body = [f"<h1>{h.esc(title)}</h1>", "<ol>"]
    body += [
        f'<li><a href="#problem-{i}">{h.esc(p.solution.title or p.name)}</a>'
        f" (<code>{h.esc(p.name)}</code>, {h.esc(p.solution.command)})</li>"
        for i, p in enumerate(problems, 1)
    ]
    body.append("</ol>")
    for i, p in enumerate(problems, 1):
        body.append(f'<h2 id="problem-{i}">{h.esc(_heading(p, i))}</h2>')
        body += [f'<p class="source">{h.esc(s)}</p>' for s in _sources(p)]
        body += h.sections(_bare(p.solution), decimals, every_step, level=3)
    return h.page(title, body)
