"""The XFEL ΔXAS figure draws identical delays once (issue 12, item 9: no identical curves drawn as separate ones)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from localpairs.analysis.xfel_figures import dxas_maps


def _spectra(curves: list[np.ndarray]) -> dict:
    omega = np.linspace(525.0, 533.0, 161)
    peaks = [{"found": False} for _ in curves]
    lattice = {"dxas": curves, "peaks": peaks}
    return {"omega": omega, "delays": [0.0, 30.0, 60.0][: len(curves)], "window": (526.0, 531.0),
            "ground": np.exp(-((omega - 529.0) ** 2)), "unrelaxed": lattice, "relaxed": lattice}


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_identical_delays_share_one_line_and_say_why():
    omega = np.linspace(525.0, 533.0, 161)
    curve = np.sin(omega)
    fig = dxas_maps(_spectra([curve, curve.copy(), curve.copy()]), title="t")
    labels = _legend(fig)
    assert labels[1:] == ["ΔXAS, 0, 30, 60 fs (identical: the probe of a freely evolving χ is stationary)"]
    # the ground state plus one ΔXAS line in the unrelaxed panel (a vertical span is a patch, not a line)
    assert len(fig.axes[0].get_lines()) == 1 + 1 + 1  # ground, one ΔXAS, the zero line


def test_different_delays_keep_their_own_lines():
    omega = np.linspace(525.0, 533.0, 161)
    # curves differing by 1e-3 of their scale: far above the 1e-9 grouping tolerance
    curves = [np.sin(omega), np.sin(omega) + 1e-3, np.sin(omega)]
    labels = _legend(dxas_maps(_spectra(curves), title="t"))
    assert labels[1:] == ["ΔXAS, 0, 60 fs (identical: the probe of a freely evolving χ is stationary)", "ΔXAS, 30 fs"]
