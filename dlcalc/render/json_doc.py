"""The JSON document of the contract: ``{"command", "result", "steps"}`` and a little more."""

from __future__ import annotations

import json
from typing import Any

from dlcalc.model.plain import jsonable
from dlcalc.model.steps import Solution
from dlcalc.render.numbers import as_written


def document(solution: Solution, decimals: int = 4) -> dict[str, Any]:
    """The JSON document as a dict (used by ``check`` too)."""
    steps = []
    for section in solution.sections:
        for step in section.steps:
            entry: dict[str, Any] = {"quantity": step.label, "value": jsonable(step.value)}
            if step.symbol and step.symbol != step.label:
                entry["symbol"] = step.symbol
            formula = step.formula()
            if formula is not None:
                entry["formula"] = formula
                substituted = step.substituted(lambda v: as_written(v, decimals))
                if substituted is not None:
                    entry["substituted"] = substituted
                entry["inputs"] = step.inputs
            if step.exact is not None or step.exact_note is not None:  # --exact
                entry["exact"] = step.exact
                if step.exact_note is not None:
                    entry["exact_note"] = step.exact_note
            if step.note:
                entry["note"] = step.note
            mark = solution.marks.get(step.label)
            if mark is not None:
                entry["mark"] = {
                    "status": mark.status,
                    "claimed": jsonable(mark.claimed),
                    "correct": jsonable(mark.correct),
                }
                if mark.status == "carried":
                    entry["mark"]["follows_from_claims"] = jsonable(mark.expected)
                elif mark.expected is not None:
                    entry["mark"]["from_your_values"] = jsonable(mark.expected)
                if mark.first_wrong:
                    entry["mark"]["first_wrong"] = True
                if mark.points is not None:
                    entry["mark"]["points"] = mark.points
            entry["section"] = section.title
            steps.append(entry)
    doc: dict[str, Any] = {"command": solution.command}
    if solution.title:
        doc["title"] = solution.title
    if solution.source:
        doc["source"] = solution.source
    doc["result"] = jsonable(solution.result)
    doc["steps"] = steps
    if solution.notes:
        doc["notes"] = list(solution.notes)
    return doc


def render(solution: Solution, decimals: int = 4) -> str:
    return json.dumps(document(solution, decimals), ensure_ascii=False, indent=1) + "\n"
