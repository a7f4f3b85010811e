"""Figures for ``--plot FILE``: the perceptron's data and decision boundaries, the delta rule's error.

matplotlib is an optional extra (``pip install ".[plot]"``); it is imported only here,
only when a plot is asked for, and always with the non-interactive Agg backend.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlcalc.app import files
from dlcalc.errors import InputError

SUFFIXES = (".png", ".svg")
MAX_LINES = 300  # decision boundaries drawn at most


def check_path(path: Path) -> None:
    """Refuse a plot file name that is not .png or .svg (before any work is done)."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"cannot plot to {path.name!r}: expected a .png or .svg file name",
            field="--plot",
        )
    if path.is_dir():
        raise InputError(
            "is a directory; give a .png or .svg file name", file=str(path), field="--plot"
        )


def _config_dir() -> str:
    """A private folder for matplotlib's font cache in the temporary directory, never under home.

    Reused between runs (building the cache takes a second) when it is ours and private;
    otherwise a fresh one.
    """
    folder = os.path.join(tempfile.gettempdir(), f"dlcalc-matplotlib-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return tempfile.mkdtemp(prefix="dlcalc-matplotlib-")
    info = os.lstat(folder)
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return folder
    return tempfile.mkdtemp(prefix="dlcalc-matplotlib-")


def _pyplot() -> Any:
    if "matplotlib" not in sys.modules:
        os.environ["MPLCONFIGDIR"] = _config_dir()  # matplotlib reads it once, on import
    try:
        import matplotlib
    except ImportError:
        raise InputError(
            'plotting needs matplotlib: pip install ".[plot]" in the dlcalc checkout '
            '(not "dlcalc[plot]": the package index\'s dlcalc is another project)',
            field="--plot",
        ) from None
    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # no "building the font cache" line
    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # titles and labels are plain text, never $math$
    matplotlib.rcParams["text.usetex"] = False
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    """Draw into a staged file beside ``path``; the command renames it when everything succeeded."""
    tmp = files.staged(path, "--plot")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. a glyph missing from the font: not an error
            fig.savefig(
                tmp,
                format=path.suffix.lower().lstrip("."),
                dpi=120,
                bbox_inches="tight",
                metadata={"Software": None} if path.suffix.lower() == ".png" else {"Date": None},
            )
    except (ValueError, RuntimeError) as e:
        raise InputError(
            f"cannot be drawn: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
            file=str(path),
            field="--plot",
        ) from None
    except OSError as e:
        raise InputError(
            f"cannot be written: {e.strerror or e}", file=str(path), field="--plot"
        ) from None
    if not files.in_command():  # called directly, not by a command: write the file now
        files.commit()


def plot_perceptron(
    path: Path,
    points: Sequence[Sequence[float]],
    positive: Sequence[bool],
    labels: tuple[str, str],
    columns: Sequence[str],
    weights: Sequence[Sequence[float]],
    title: str | None = None,
) -> None:
    """The data by class and the decision boundary w0 + w1·x1 + w2·x2 = 0 of every epoch (latest bold)."""
    if len(columns) != 2:
        raise InputError(
            f"draws data with two input columns; this problem has {len(columns)}",
            field="--plot",
        )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    try:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        pad_x = (max(xs) - min(xs)) * 0.15 or 1.0
        pad_y = (max(ys) - min(ys)) * 0.15 or 1.0
        x_lo, x_hi = min(xs) - pad_x, max(xs) + pad_x
        y_lo, y_hi = min(ys) - pad_y, max(ys) + pad_y
        for is_pos, marker, colour, name in (
            (True, "o", "tab:green", labels[1]),
            (False, "s", "tab:red", labels[0]),
        ):
            sel = [p for p, flag in zip(points, positive) if flag is is_pos]
            if sel:
                ax.scatter(
                    [p[0] for p in sel],
                    [p[1] for p in sel],
                    marker=marker,
                    c=colour,
                    edgecolors="black",
                    zorder=3,
                    label=name,
                )
        n = len(weights)
        step = max(1, -(-n // MAX_LINES))  # a very long run: every step-th epoch, and the last
        shown = [k for k in range(n) if k % step == 0 or k == n - 1]
        for k in shown:
            w = weights[k]
            latest = k == n - 1
            style = (
                {"color": "black", "linewidth": 2.5, "alpha": 1.0, "zorder": 2}
                if latest
                else {
                    "color": "tab:blue",
                    "linewidth": 0.8,
                    "alpha": 0.15 + 0.5 * (k + 1) / n,
                    "zorder": 1,
                }
            )
            label = f"epoch {k + 1} (final)" if latest else ("earlier epochs" if k == 0 else None)
            w0, w1, w2 = w
            if w2 != 0:
                ax.plot(
                    [x_lo, x_hi],
                    [-(w0 + w1 * x_lo) / w2, -(w0 + w1 * x_hi) / w2],
                    label=label,
                    **style,
                )
            elif w1 != 0:
                ax.plot([-w0 / w1] * 2, [y_lo, y_hi], label=label, **style)
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.set_xlabel(columns[0])
        ax.set_ylabel(columns[1])
        ax.set_title(title or "Perceptron training: decision boundary per epoch")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", borderaxespad=0)
        ax.grid(True, alpha=0.3)
        _save(fig, path)
    finally:
        plt.close(fig)


def plot_errors(path: Path, errors: Sequence[float], title: str | None = None) -> None:
    """The delta rule's error E = ½ Σ (t − o)² at the start of each epoch."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    try:
        epochs = list(range(1, len(errors) + 1))
        ax.plot(epochs, errors, marker="o", color="tab:blue")
        ax.set_xlabel("epoch")
        ax.set_ylabel("E = ½ Σ (t − o)²")
        ax.set_title(title or "Delta rule: error per epoch")
        ax.grid(True, alpha=0.3)
        _save(fig, path)
    finally:
        plt.close(fig)


def plot_path(
    path: Path,
    points: Sequence[Sequence[float]],
    loss: Any,
    optimizer: str,
    title: str | None = None,
    grid: int = 80,
) -> None:
    """An optimizer's path w_0, w_1, … over the contour lines of a loss of two weights."""
    import math

    plt = _pyplot()
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad_x = (max(xs) - min(xs)) * 0.2 or 1.0
    pad_y = (max(ys) - min(ys)) * 0.2 or 1.0
    x_lo, x_hi = min(xs) - pad_x, max(xs) + pad_x
    y_lo, y_hi = min(ys) - pad_y, max(ys) + pad_y
    gx = [x_lo + (x_hi - x_lo) * k / (grid - 1) for k in range(grid)]
    gy = [y_lo + (y_hi - y_lo) * k / (grid - 1) for k in range(grid)]
    z = []
    for y in gy:
        row = []
        for x in gx:
            value = loss(x, y)
            row.append(value if math.isfinite(value) else math.nan)
        z.append(row)
    fig, ax = plt.subplots(figsize=(6, 5))
    try:
        contours = ax.contour(gx, gy, z, levels=15, cmap="viridis", linewidths=0.8)
        ax.clabel(contours, fontsize="x-small", inline=True)
        step = max(1, -(-len(points) // MAX_LINES))
        shown = [p for k, p in enumerate(points) if k % step == 0 or k == len(points) - 1]
        ax.plot(
            [p[0] for p in shown],
            [p[1] for p in shown],
            marker="o",
            markersize=3,
            color="tab:red",
            linewidth=1.2,
            label=f"{optimizer} path",
            zorder=3,
        )
        ax.scatter([xs[0]], [ys[0]], marker="s", c="black", zorder=4, label="start w_0")
        ax.scatter(
            [xs[-1]],
            [ys[-1]],
            marker="*",
            s=120,
            c="gold",
            edgecolors="black",
            zorder=4,
            label="final",
        )
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(title or f"{optimizer}: path over the loss's contour lines")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", borderaxespad=0)
        ax.grid(True, alpha=0.3)
        _save(fig, path)
    finally:
        plt.close(fig)
