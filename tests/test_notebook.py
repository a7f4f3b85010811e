"""dlcalc in a real Jupyter kernel (nbclient + ipykernel): a notebook, and docs/notebook-tutorial.ipynb."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TUTORIAL = ROOT / "docs" / "notebook-tutorial.ipynb"


@pytest.fixture(autouse=True)
def this_python(tmp_path, monkeypatch) -> None:
    """A kernelspec for the Python running the tests (found first through JUPYTER_PATH), so
    that no other installed "python3" kernel, without dlcalc, is started instead."""
    from ipykernel.kernelspec import write_kernel_spec

    write_kernel_spec(tmp_path / "kernels" / KERNEL)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))


KERNEL = "dlcalc-tests"


def execute(nb, folder) -> None:
    """Run every cell in a fresh kernel of this Python."""
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name=KERNEL, resources={"metadata": {"path": str(folder)}}
    )
    client.execute()


def outputs(cell) -> list:
    return [
        o for o in cell.outputs if o.output_type in ("execute_result", "display_data", "stream")
    ]


def test_a_notebook_solves_shows_reads_and_catches() -> None:
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell('import dlcalc\ns = dlcalc.solve("examples/mazur.yaml")\ns'),
            v4.new_code_cell('s.result["layers"][0]["net"][0], s.result["loss"]'),
            v4.new_code_cell(
                "try:\n"
                '    dlcalc.solve({"command": "softmax", "logits": ["a"]})\n'
                "except dlcalc.InvalidInput as e:\n"
                '    print("caught", type(e).__mro__[1].__name__, e)'
            ),
            v4.new_code_cell("s.show(every_step=True, decimals=6)"),
        ]
    )
    execute(nb, ROOT)
    shown, read, caught, again = (outputs(c) for c in nb.cells)
    html = shown[0].data["text/html"]
    assert shown[0].output_type == "execute_result"
    for value in ("0.3775", "0.5933", "0.7514", "0.2984", "0.1385", "0.3589"):
        assert value in html
    assert html.startswith('<div class="dlcalc-solution">') and "<details open>" in html
    assert ("<svg" in html) == (shutil.which("dot") is not None)  # the diagram, with Graphviz
    assert read[0].data["text/plain"] == "(0.3775, 0.2983711087600026)"
    assert (
        caught[0].text
        == "caught ValueError <dict>: logits: item 0: expected a number, got the text 'a'\n"
    )
    assert again[0].output_type == "display_data" and "0.377500" in again[0].data["text/html"]


def test_the_tutorial_runs() -> None:
    """docs/notebook-tutorial.ipynb is kept without outputs; every cell runs and shows what
    the text around it says."""
    nb = nbformat.read(TUTORIAL, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    execute(nb, TUTORIAL.parent)
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in outputs(cell):
            assert o.output_type != "error"
            texts.append(o.get("text") or o.data.get("text/html") or o.data["text/plain"])
    joined = "\n".join(texts)
    assert "0.5933" in joined and "[0.3775, 0.39249999999999996]" in joined
    assert "'out_h1': 'wrong'" in joined and "InvalidInput: <dict>: layers[0].weights" in joined
    assert "∂f/∂x = 2.8776" in joined or "2.8776" in joined
