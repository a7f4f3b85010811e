"""--diagram: the DOT text dlcalc writes (checked structurally) and the SVG Graphviz draws of it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import dlcalc
from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

MAZUR = str(EXAMPLES / "mazur.yaml")
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)

NODE = re.compile(r"^\s*(n\d+) \[shape=(\w+), [^\n]*label=<(.*)>\];$", re.M)
EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)(?: \[label=<(.*)>\])?;$", re.M)


def parse(dot: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str]], list[str]]:
    """Nodes (id → shape, label), edges (from, to, label) and cluster labels of dlcalc's DOT."""
    nodes = {m[1]: (m[2], m[3]) for m in NODE.finditer(dot)}
    edges = [(m[1], m[2], m[3] or "") for m in EDGE.finditer(dot)]
    clusters = re.findall(r"subgraph cluster_\d+ \{\n\s*label=<([^>]*)>", dot)
    return nodes, edges, clusters


def by_heading(nodes: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Node id by the bold heading of its label (x1, h1, o2 …)."""
    return {re.search(r"<b>(.*?)</b>", label)[1]: key for key, (_, label) in nodes.items()}


def test_the_2_2_2_network_as_dot() -> None:
    """Units in layers, every weight on its edge with its update, net/out/δ in every unit."""
    dot = dlcalc.solve(MAZUR).diagram("dot")
    nodes, edges, clusters = parse(dot)
    assert clusters == ["inputs", "layer 1 (hidden, sigmoid)", "layer 2 (output, sigmoid)"]
    ids = by_heading(nodes)
    assert sorted(ids) == ["h1", "h2", "o1", "o2", "x1", "x2"]
    assert len(edges) == 8 and len({(a, b) for a, b, _ in edges}) == 8
    labels = {(a, b): label for a, b, label in edges}
    # the slides' numbering: w1 from x1 into h1, w2 from x2 into h1, …, w8 from h2 into o2
    expected = {
        ("x1", "h1"): "w1 = 0.15<br/>w1⁺ = 0.1498",
        ("x2", "h1"): "w2 = 0.2<br/>w2⁺ = 0.1996",
        ("x1", "h2"): "w3 = 0.25<br/>w3⁺ = 0.2498",
        ("h1", "o1"): "w5 = 0.4<br/>w5⁺ = 0.3589",
        ("h2", "o2"): "w8 = 0.55<br/>w8⁺ = 0.5614",
    }
    for (a, b), label in expected.items():
        assert labels[(ids[a], ids[b])] == label
    h1, o1 = nodes[ids["h1"]][1], nodes[ids["o1"]][1]
    for line in ("net_h1 = 0.3775", "out_h1 = 0.5933", "δ_h1 = 0.008771", "b_h1 = 0.35"):
        assert f">{line}<" in h1
    for line in ("net_o1 = 1.1059", "out_o1 = 0.7514", "t_o1 = 0.01", "δ_o1 = 0.1385"):
        assert f">{line}<" in o1
    assert "b_h1⁺" not in dot  # update_bias: false
    assert "E_total = 0.2984" in dot and "η = 0.5" in dot


def test_forward_has_no_deltas_and_updated_biases_show() -> None:
    forward = dict(yaml.safe_load(Path(MAZUR).read_text()), command="forward")
    for key in ("learning_rate", "update_bias"):
        forward.pop(key)
    dot = dlcalc.solve(forward).diagram("dot")
    assert "δ" not in dot and "⁺" not in dot and "net_o2 = 1.2249" in dot
    trained = dict(yaml.safe_load(Path(MAZUR).read_text()), update_bias=True)
    assert "b_o1⁺ = " in dlcalc.solve(trained).diagram("dot")


def test_the_graph_as_dot_micrograd_style() -> None:
    """A box per node with its value and adjoint, fed by the operation that made it."""
    s = dlcalc.solve("x*y + sin(x)", "graph", at="x=0.5,y=2")
    nodes, edges, clusters = parse(s.diagram("dot"))
    assert clusters == []
    ids = by_heading(nodes)
    assert set(ids) == {"x", "y", "v1", "v2", "f", "x × y", "sin(x)", "v1 + v2"}
    assert nodes[ids["x × y"]][0] == "ellipse" and nodes[ids["x"]][0] == "plain"
    pairs = {(a, b) for a, b, _ in edges}
    assert pairs == {
        (ids["x"], ids["x × y"]),
        (ids["y"], ids["x × y"]),
        (ids["x × y"], ids["v1"]),
        (ids["x"], ids["sin(x)"]),
        (ids["sin(x)"], ids["v2"]),
        (ids["v1"], ids["v1 + v2"]),
        (ids["v2"], ids["v1 + v2"]),
        (ids["v1 + v2"], ids["f"]),
    }
    x = nodes[ids["x"]][1]
    assert ">value = 0.5<" in x and ">∂f/∂x = 2.8776<" in x  # 2·… + cos(0.5)
    assert s.result["nodes"][2] == {
        "node": "v1",
        "operation": "*",
        "inputs": ["x", "y"],
        "value": 1.0,
        "adjoint": 1.0,
    }


def test_a_squared_input_feeds_its_operation_once() -> None:
    nodes, edges, _ = parse(dlcalc.solve("x*x + 3*x", "graph", at="x=2").diagram("dot"))
    assert len(edges) == len({(a, b) for a, b, _ in edges})
    assert ">∂f/∂x = 7<" in nodes[by_heading(nodes)["x"]][1]


HOSTILE = '<b>"h\\1&amp;\n}]; n0 -> n1 ['


def _hostile() -> dict:
    data = yaml.safe_load(Path(MAZUR).read_text())
    data["title"] = HOSTILE
    data["layers"][0]["units"] = ['<i>"h1', "h2]>"]
    return data


def test_user_text_is_escaped_in_the_dot() -> None:
    dot = dlcalc.solve(_hostile()).diagram("dot")
    nodes, edges, _ = parse(dot)
    assert len(nodes) == 6 and len(edges) == 8
    assert "<i>" not in dot and "&lt;i&gt;&quot;h1" in dot
    assert "&amp;amp;" in dot and "\\n" not in dot.split("label=<", 1)[1].split(">", 1)[0]


@needs_dot
def test_graphviz_reads_the_dot_as_dlcalc_meant_it() -> None:
    """Graphviz's own reading (JSON) of the hostile diagram: 6 nodes, 8 edges, labels as written."""
    dot = dlcalc.solve(_hostile()).diagram("dot")
    drawn = json.loads(
        subprocess.run(
            ["dot", "-Tjson"], input=dot, capture_output=True, text=True, check=True
        ).stdout
    )
    nodes = [o for o in drawn["objects"] if "nodes" not in o]
    edges = [e for e in drawn["edges"] if e.get("style") != "invis"]  # those keep units in order
    assert len(nodes) == 6 and len(edges) == 8
    labels = {e["label"] for e in edges}
    assert len(labels) == 8 and "w1 = 0.15<br/>w1⁺ = 0.1498" in labels


@needs_dot
def test_the_svg_is_graphvizs_drawing(tmp_path: Path, runner) -> None:
    from xml.etree import ElementTree as etree

    target = tmp_path / "mazur.svg"
    result = runner.invoke(app, ["backprop", MAZUR, "--diagram", str(target), "-f", "json"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the solution is still written as asked
    svg = etree.fromstring(target.read_bytes())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(svg.findall(".//s:g[@class='node']", ns)) == 6
    assert len(svg.findall(".//s:g[@class='edge']", ns)) == 8
    texts = [t.text for t in svg.iterfind(".//s:text", ns)]
    for text in ("w1⁺ = 0.1498", "δ_o1 = 0.1385", "out_h2 = 0.5969", "layer 1 (hidden, sigmoid)"):
        assert text in texts
    hostile = dlcalc.solve(_hostile()).diagram("svg")
    texts = [t.text for t in etree.fromstring(hostile.encode()).iterfind(".//s:text", ns)]
    assert '<i>"h1' in texts and "h2]>" in texts


def test_dot_and_errors_on_the_command_line(tmp_path: Path, runner, monkeypatch) -> None:
    target = tmp_path / "g.dot"
    result = runner.invoke(app, ["graph", "x*y", "--at", "x=1,y=2", "--diagram", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("digraph dlcalc {")
    result = runner.invoke(
        app, ["forward", str(EXAMPLES / "bce-binary.yaml"), "--diagram", "x.png"]
    )
    assert result.exit_code == 2
    assert "use .svg or .dot" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz
    svg = tmp_path / "n.svg"
    result = runner.invoke(app, ["backprop", MAZUR, "--diagram", str(svg)])
    assert result.exit_code == 2 and not svg.exists()
    assert result.stderr.strip().splitlines() == [
        f"dlcalc: error: {MAZUR}: --diagram: drawing an SVG needs Graphviz's `dot`, which is not "
        "installed (apt install graphviz, brew install graphviz or conda install graphviz); "
        "or write the DOT text instead: --diagram FILE.dot"
    ]
    s = dlcalc.solve(MAZUR)
    assert "<svg" not in s._repr_html_() and "0.5933" in s._repr_html_()  # shown without it
    with pytest.raises(dlcalc.InvalidInput, match="needs Graphviz's `dot`"):
        s.diagram("svg")


@needs_dot
def test_the_notebook_display_carries_the_diagram() -> None:
    html = dlcalc.solve(MAZUR)._repr_html_()
    assert html.count("<svg") == 1 and "<?xml" not in html and "<!DOCTYPE" not in html
    assert html.index("<svg") < html.index("Forward pass")
    assert "<svg" not in dlcalc.solve({"command": "softmax", "logits": [1, 2]})._repr_html_()


def test_a_diagram_too_large_is_refused(tmp_path: Path, runner, monkeypatch) -> None:
    from dlcalc.render import diagram

    monkeypatch.setattr(diagram, "MAX_LINKS", 7)
    target = tmp_path / "m.dot"
    result = runner.invoke(app, ["backprop", MAZUR, "--diagram", str(target)])
    assert result.exit_code == 2 and not target.exists()
    assert "the diagram would have 8 edges; at most 7 are drawn" in result.stderr
    html = dlcalc.solve(MAZUR)._repr_html_()
    assert "<svg" not in html and "0.5933" in html  # the solution still shows


@needs_dot
def test_units_are_drawn_in_their_order_top_to_bottom() -> None:
    """x1 above x2 above x3 …, h1 above h2 …: Graphviz would reorder them to save crossings."""
    dot = dlcalc.solve(str(EXAMPLES / "ce-multiclass.yaml")).diagram("dot")
    drawn = json.loads(
        subprocess.run(
            ["dot", "-Tjson"], input=dot, capture_output=True, text=True, check=True
        ).stdout
    )
    height = {}
    for o in drawn["objects"]:
        heading = re.search(r"<b>(.*?)</b>", o.get("label", ""))
        if heading and "pos" in o:
            height[heading[1]] = float(o["pos"].split(",")[1])
    for column in (["x1", "x2", "x3", "x4"], ["h1", "h2", "h3", "h4"], ["o1", "o2", "o3"]):
        ys = [height[name] for name in column]
        assert ys == sorted(ys, reverse=True), (column, ys)  # y grows upwards in Graphviz


def test_several_epochs_or_examples_draw_the_first_pass_and_update() -> None:
    data = yaml.safe_load(Path(MAZUR).read_text())
    assert "first example" not in dlcalc.solve(data).diagram("dot")
    epochs = dlcalc.solve({**data, "epochs": 3}).diagram("dot")
    assert "numbers of the first pass (example 1, epoch 1) and the first update" in epochs.replace(
        "&#x27;", "'"
    )
    assert ">δ_o1 = 0.1385<" in epochs and "w5⁺ = 0.3589" in epochs  # epoch 1's
    two = {k: v for k, v in data.items() if k not in ("input", "target")}
    two["examples"] = [
        {"input": [0.05, 0.1], "target": [0.01, 0.99]},
        {"input": [0.5, 0.2], "target": [0.5, 0.5]},
    ]
    dot = dlcalc.solve(two).diagram("dot")
    assert ">net_h1 = 0.3775<" in dot and "x1</b><br/>0.05>" in dot  # example 1


def test_solve_and_check_draw_too(tmp_path: Path, runner) -> None:
    """dlcalc solve passes --diagram on; a checked solution is drawn with the same numbers."""
    target = tmp_path / "m.dot"
    answers = str(EXAMPLES / "answers" / "mazur.yaml")
    args = ["solve", MAZUR, "--check", answers, "--diagram", str(target), "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1  # the sheet has a wrong claim; the diagram is still written
    assert json.loads(result.stdout)["command"] == "check"
    assert target.read_text() == dlcalc.solve(MAZUR).diagram("dot")
