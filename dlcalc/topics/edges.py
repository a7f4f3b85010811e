"""Image-processing kernels of the convolution lecture: a Gaussian kernel from σ, and edge maps.

A Gaussian kernel (``kernel: {gaussian: {sigma, size}}``) is worked out entry by entry:
g = e^(−(u² + v²)/(2σ²)) at each offset (u, v) from the centre, then K = g/Σg, so the
kernel sums to 1 (the 1/(2πσ²) of the continuous Gaussian cancels in the division).
With ``edges: true`` the last output's two channels are read as the edge maps s_x and s_y
(a conv with Sobel-like filters) and each cell gets the magnitude √(s_x² + s_y²) and the
direction atan2(s_y, s_x) in degrees (the slides' tan⁻¹(s_y/s_x), in the right quadrant).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dlcalc.model.formula import TWO, Name, Num, Q, call, q, total
from dlcalc.model.steps import Grid, Section
from dlcalc.specs.convolution import ConvLayer, ConvNet
from dlcalc.topics.convolution_steps import Tensor3, cell_name, index_label, layer_names
from dlcalc.topics.worked import Work

ONE_MAP = (False, True, True)  # cell names without a channel: g₁₂, M₂₁


def gaussian_sections(net: ConvNet, carry: int | None) -> tuple[ConvNet, dict[int, Section]]:
    """Each Gaussian kernel worked out (under --carry, rounded), and the net with those kernels."""
    work = Work(carry)
    sections: dict[int, Section] = {}
    layers = list(net.layers)
    names = layer_names(net)
    for n, layer in enumerate(net.layers):
        if not isinstance(layer, ConvLayer) or layer.gaussian is None:
            continue
        sigma_value, size = layer.gaussian
        kname = names[n][1]
        r = size // 2
        section = Section(f"Layer {n + 1} · Gaussian kernel, σ = {sigma_value:g}, {size}×{size}")
        section.add(
            "G_σ(u, v) = e^(−(u² + v²)/(2σ²))/(2πσ²) at each offset (u, v) from the centre "
            f"(u and v run over {', '.join(str(k).replace('-', '−') for k in range(-r, r + 1))}); "
            "dividing by the sum of the entries makes the kernel sum to 1, so the constant "
            "1/(2πσ²) cancels and is left out."
        )
        sigma = q("sigma", sigma_value, Name("σ"))
        gs: list[list[Q]] = []
        for a in range(size):
            row = []
            for b in range(size):
                # the offsets from the centre: row a is u_a = a − r, column b is v_b = b − r
                u = q(f"u[{a}]", a - r, Name("u", str(a + 1), index=True))
                v = q(f"v[{b}]", b - r, Name("v", str(b + 1), index=True))
                expr = call("exp", -(u**TWO + v**TWO) / (TWO * sigma**TWO))
                row.append(
                    work.step(
                        section,
                        index_label("g", (a, b)),
                        cell_name("g", (0, a, b), ONE_MAP),
                        expr,
                    )
                )
            gs.append(row)
        g_sum = work.step(section, "g_sum", Name("S"), total([g for row in gs for g in row]))
        keep = (False, False, True, True)
        kernel = [
            [
                work.step(
                    section,
                    index_label(kname, (0, 0, a, b)),
                    cell_name(kname, (0, 0, a, b), keep),
                    gs[a][b] / g_sum,
                ).value
                for b in range(size)
            ]
            for a in range(size)
        ]
        section.add(Grid(f"{kname}, the normalised Gaussian kernel", kernel))
        sections[n] = section
        layers[n] = dataclasses.replace(layer, kernels=[[kernel]])
    if not sections:
        return net, sections
    return dataclasses.replace(net, layers=layers), sections


def edge_section(maps: Tensor3, carry: int | None) -> tuple[Section, dict[str, Any]]:
    """Magnitude √(s_x² + s_y²) and direction atan2(s_y, s_x) in degrees of every cell."""
    work = Work(carry)
    _, height, width = maps.shape
    section = Section("Edge magnitude and direction")
    sx, sy = maps.map_title(0), maps.map_title(1)
    section.add(
        f"Channel 1 ({sx}) is s_x and channel 2 ({sy}) is s_y: the magnitude √(s_x² + s_y²) "
        "says how strong the edge is, the direction atan2(s_y, s_x) (tan⁻¹(s_y/s_x) in the "
        "right quadrant, here in degrees) which way the intensity grows.  Where both are 0 there "
        "is no edge and the direction means nothing (atan2(0, 0) = 0 by convention)."
    )
    magnitude: list[list[float]] = []
    direction: list[list[float]] = []
    for i in range(height):
        m_row, d_row = [], []
        for j in range(width):
            x, y = maps.leaf(0, i, j), maps.leaf(1, i, j)
            m_row.append(
                work.step(
                    section,
                    index_label("M", (i, j)),
                    cell_name("M", (0, i, j), ONE_MAP),
                    call("sqrt", x**TWO + y**TWO),
                ).value
            )
            d_row.append(
                work.step(
                    section,
                    index_label("theta", (i, j)),
                    cell_name("θ", (0, i, j), ONE_MAP),
                    call("atan2", y, x) * Num(180) / call("pi"),
                ).value
            )
        magnitude.append(m_row)
        direction.append(d_row)
    section.add(Grid("Edge magnitude M", magnitude))
    section.add(Grid("Edge direction θ (degrees)", direction))
    return section, {"magnitude": magnitude, "direction": direction}
